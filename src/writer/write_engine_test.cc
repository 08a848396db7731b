// The write engine's rate limits, metric events and run record, end to end
// on a memory store with SQLite shards (a fault-injecting wrapper where a
// failure is needed).
#include "writer/write_engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "backend/fault_shard_writer.h"
#include "core/metrics_testing.h"
#include "core/status_internal.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"
#include "storage/memory_store.h"

namespace shardyfusion {
namespace {

class WriteEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    local_ = std::filesystem::temp_directory_path() /
             ("write_engine_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(local_);
  }
  void TearDown() override { std::filesystem::remove_all(local_); }

  HashShardedWriteConfig Config() {
    HashShardedWriteConfig c;
    c.store = store_;
    c.s3_prefix = store_->Url("snap");
    c.num_dbs = 4;
    c.batch_size = 100;
    c.local_root = local_.string();
    c.adapter_factory = NewSqliteWriterFactory();
    c.metrics = metrics_;
    return c;
  }
  std::vector<std::string> Keys(const std::string& prefix) {
    std::vector<std::string> out;
    Result<ListResult> listed = store_->List(prefix, "");
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (!listed.ok()) return out;
    const ListResult& l = *listed;
    for (const ObjectInfo& o : l.objects) out.push_back(o.key);
    return out;
  }
  std::string RunRecordText() {
    auto keys = Keys("snap/runs/");
    EXPECT_EQ(keys.size(), 1u);
    return keys.empty() ? "" : **store_->Get(keys[0]);
  }

  std::filesystem::path local_;
  std::shared_ptr<MemoryStore> store_ = std::make_shared<MemoryStore>("mem");
  std::shared_ptr<RecordingCollector> metrics_ = std::make_shared<RecordingCollector>();
};

Result<BuildResult> Write(const HashShardedWriteConfig& config, int n,
                          const WriteOptions& options = {}) {
  SHARDY_ASSIGN_OR_RETURN(auto writer, HashShardedWriter::Open(config, options));
  for (int i = 0; i < n; ++i) {
    Status st = writer->Add(Key::Int(i), "value-" + std::to_string(i));
    if (!st.ok()) return st;
  }
  return writer->Finish();
}

TEST_F(WriteEngineTest, EmitsTheBuildsEventsAndFinishesTheRunRecord) {
  auto result = Write(Config(), 1000);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::vector<std::string> names = metrics_->Names();
  ASSERT_GE(names.size(), 5u);
  EXPECT_EQ(names.front(), "write.started");
  EXPECT_EQ(names.back(), "write.completed");
  for (const char* e :
       {"write.shards_completed", "write.manifest_published", "write.current_published"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), e), names.end()) << e;
  }
  std::vector<RecordedEvent> completed = metrics_->Named(metric_events::kWriteCompleted);
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(completed[0].Number("rows_written"), 1000);
  std::string record = RunRecordText();
  EXPECT_NE(record.find("status: succeeded\n"), std::string::npos) << record;
  EXPECT_NE(record.find("manifest_ref: '" + result->manifest_ref + "'"), std::string::npos)
      << record;
  EXPECT_NE(record.find("run_id: '" + result->run_id + "'"), std::string::npos);
  EXPECT_EQ(result->run_record_ref, store_->Url(Keys("snap/runs/")[0]));
}

TEST_F(WriteEngineTest, AFailedBuildRecordsTheErrorAndPublishesNothing) {
  auto config = Config();
  auto faulty = std::make_shared<FaultInjectingShardWriterFactory>(NewSqliteWriterFactory());
  faulty->AddFault(ShardFault{ShardFault::Stage::kSeal, "db=00002", 0,
                              Status(ErrorCode::kShardWrite, "disk on fire", false)});
  config.adapter_factory = faulty;
  auto result = Write(config, 1000);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kShardWrite);
  EXPECT_TRUE(Keys("snap/manifests/").empty());
  EXPECT_FALSE(store_->Get("snap/_CURRENT")->has_value());
  std::string record = RunRecordText();
  EXPECT_NE(record.find("status: failed\n"), std::string::npos) << record;
  EXPECT_NE(record.find("error_type: 'ShardWrite'"), std::string::npos) << record;
  EXPECT_NE(record.find("disk on fire"), std::string::npos) << record;
  EXPECT_EQ(metrics_->Names().back(), "write.failed");
}

// Cancel() from another thread while shards seal: Finish stops before it
// publishes and deletes what the build uploaded.
TEST_F(WriteEngineTest, CancelDuringFinishPublishesNothingAndCleansUp) {
  for (bool before_finish : {true, false}) {
    SCOPED_TRACE(before_finish ? "cancelled before Finish" : "cancelled during a seal");
    store_ = std::make_shared<MemoryStore>("mem-" + std::to_string(before_finish));
    auto config = Config();
    auto slow = std::make_shared<FaultInjectingShardWriterFactory>(NewSqliteWriterFactory());
    ShardFault delay{ShardFault::Stage::kSeal, "db=00001", 0, Status::OK()};
    delay.delay = std::chrono::milliseconds(300);
    slow->AddFault(delay);
    config.adapter_factory = slow;
    Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(config);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (int64_t i = 0; i < 1000; ++i) ASSERT_TRUE((*w)->Add(Key::Int(i), "v").ok());
    if (before_finish) (*w)->Cancel();
    std::thread canceller([&] {
      if (before_finish) return;
      while (slow->Calls(ShardFault::Stage::kSeal) == 0) std::this_thread::yield();
      (*w)->Cancel();
    });
    Result<BuildResult> r = (*w)->Finish();
    canceller.join();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("cancelled"), std::string::npos) << r.status().ToString();
    EXPECT_TRUE(Keys("snap/manifests/").empty());
    EXPECT_TRUE(Keys("snap/shards/").empty());
    EXPECT_FALSE(store_->Get("snap/_CURRENT")->has_value());
    EXPECT_NE(RunRecordText().find("cancelled"), std::string::npos) << RunRecordText();
    EXPECT_FALSE(std::filesystem::exists(local_) && !std::filesystem::is_empty(local_))
        << "local staging left behind under " << local_;
  }
}

TEST_F(WriteEngineTest, BadConfigWritesNothingAtAll) {
  auto config = Config();
  config.max_writes_per_second = 0;
  auto result = Write(config, 10);
  EXPECT_EQ(result.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(result.status().message().find("max_writes_per_second"), std::string::npos);
  config = Config();
  config.run_registry_prefix = "a/b";
  EXPECT_EQ(Write(config, 10).status().code(), ErrorCode::kConfigValidation);
  EXPECT_TRUE(Keys("").empty());
  EXPECT_TRUE(metrics_->Names().empty());
}

TEST_F(WriteEngineTest, RunRecordCanBeTurnedOff) {
  auto config = Config();
  config.write_run_record = false;
  auto result = Write(config, 10);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(Keys("snap/runs/").empty());
  EXPECT_TRUE(result->run_record_ref.empty());
}

// The limit is the build's total: 3,000 records at 2,000/s, with a second's
// worth in the bucket at the start, cannot finish in under about half a
// second, and the waits are reported. (A lower bound only: a slow machine
// may take longer.)
TEST_F(WriteEngineTest, TheRecordRateLimitHolds) {
  auto config = Config();
  config.max_writes_per_second = 2000;
  auto t0 = std::chrono::steady_clock::now();
  auto result = Write(config, 3000);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->stats.rows_written, 3000);
  EXPECT_GE(seconds, 0.45);
  std::vector<std::string> names = metrics_->Names();
  EXPECT_NE(std::find(names.begin(), names.end(), "rate_limiter.throttled"), names.end());
}

// The reference hangs forever when a request needs more tokens than the
// bucket holds. Here one shard's final batch of 2,000 records meets a bucket
// of 1,000 (and about 36,000 bytes meet one of 20,000): both are served in
// parts, so the build finishes, after waiting for the deficit.
TEST_F(WriteEngineTest, ABatchLargerThanTheBucketIsServedInParts) {
  auto config = Config();
  config.num_dbs = 1;
  config.batch_size = 1500;  // never full before the end: the final flush takes all 2,000
  config.max_writes_per_second = 1000;
  config.max_write_bytes_per_second = 20000;
  auto t0 = std::chrono::steady_clock::now();
  auto result = Write(config, 2000);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->stats.rows_written, 2000);
  EXPECT_GE(seconds, 0.9);  // 1,000 records beyond the full bucket at 1,000/s
}

// One bucket for the whole build, not one per worker: four workers do not
// make 3,000 records at 2,000/s any faster.
TEST_F(WriteEngineTest, TheRecordRateLimitIsSharedByAllWorkers) {
  auto config = Config();
  config.num_dbs = 8;
  config.max_writes_per_second = 2000;
  WriteOptions options;
  options.parallel = true;
  options.workers = 4;
  auto t0 = std::chrono::steady_clock::now();
  auto result = Write(config, 3000, options);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->stats.rows_written, 3000);
  EXPECT_GE(seconds, 0.45);
}

// Parallel mode publishes the same shards as single-process mode: row
// counts and min/max keys exactly, and the same pairs.
TEST_F(WriteEngineTest, ParallelModeMatchesSingleProcessExactly) {
  auto config = Config();
  config.num_dbs = 7;
  config.batch_size = 37;  // many batches per shard, several in flight
  config.run_id = "single";
  auto single = Write(config, 5000);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  WriteOptions options;
  options.parallel = true;
  options.workers = 3;
  options.max_total_chunk_bytes = 4096;  // the budget binds: the producer waits
  options.max_chunk_bytes_per_worker = 2048;
  config.run_id = "parallel";
  auto parallel = Write(config, 5000, options);
  ASSERT_TRUE(parallel.ok()) << parallel.status().ToString();
  ASSERT_EQ(single->winners.size(), parallel->winners.size());
  for (size_t i = 0; i < single->winners.size(); ++i) {
    const ShardMeta& a = single->winners[i];
    const ShardMeta& b = parallel->winners[i];
    EXPECT_EQ(a.db_id, b.db_id);
    EXPECT_EQ(a.row_count, b.row_count);
    EXPECT_EQ(a.min_key, b.min_key);
    EXPECT_EQ(a.max_key, b.max_key);
    EXPECT_EQ(a.db_bytes, b.db_bytes);  // the same SQLite file, byte for byte in size
  }
  EXPECT_EQ(parallel->stats.rows_written, 5000);
}

}  // namespace
}  // namespace shardyfusion
