// The writer's failure table, each row produced by an injected fault, in
// single-process and parallel mode, with SQLite and SlateDB shards:
//
//   bad config                  -> kConfigValidation, nothing written
//   transient shard failure     -> retried from the spool, build succeeds
//   retries exhausted           -> kShardWrite naming the shard, nothing published
//   no successful attempt       -> kShardCoverage, nothing published
//   manifest PUT fails          -> kPublishManifest, _CURRENT untouched
//   _CURRENT PUT fails          -> kPublishCurrent with the manifest ref;
//                                  SetCurrent(ref) or a rerun publishes
//   rerun of a used run id      -> kConfigValidation, nothing written
//   a failed build's cleanup    -> deletes what it created, nothing else
//
// Every build runs over a previously published snapshot; after each failure
// a reader still sees that snapshot, every key with its old value, and the
// failed run left no shard objects behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "backend/fault_shard_writer.h"
#include "core/metrics_testing.h"
#include "core/status_internal.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"
#include "storage/fault_store.h"
#include "storage/memory_store.h"

namespace shardyfusion {
namespace {

constexpr int kRecords = 3000;
constexpr uint32_t kShards = 4;

struct Mode {
  bool parallel;
  bool slatedb;
};

std::string ModeName(const ::testing::TestParamInfo<Mode>& info) {
  return std::string(info.param.parallel ? "Parallel" : "Single") +
         (info.param.slatedb ? "SlateDb" : "Sqlite");
}

class FailureTableTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    local_ = (std::filesystem::temp_directory_path() /
              ("failure_table_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                 .string();
    std::replace(local_.begin() + local_.rfind("failure_table_"), local_.end(), '/', '_');
    std::filesystem::remove_all(local_);
    base_factory_ = GetParam().slatedb ? NewSlateDbWriterFactory() : NewSqliteWriterFactory();
    faults_ = std::make_shared<FaultInjectingShardWriterFactory>(base_factory_);
    // The snapshot every failing build must leave readable.
    Result<BuildResult> first = Build("old", Config("first"));
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    first_ref_ = first->manifest_ref;
    current_bytes_ = CurrentBytes();
    events_ = std::make_shared<RecordingCollector>();  // only the build under test from here
  }
  void TearDown() override { std::filesystem::remove_all(local_); }

  HashShardedWriteConfig Config(const std::string& run_id) {
    HashShardedWriteConfig c;
    c.store = store_;
    c.s3_prefix = store_->Url("snap");
    c.run_id = run_id;
    c.num_dbs = kShards;
    c.batch_size = 200;
    c.local_root = local_ + "/stage";
    c.adapter_factory = faults_;
    c.metrics = events_;
    return c;
  }
  static RetryConfig FastRetries(uint32_t n) {
    RetryConfig r;
    r.max_retries = n;
    r.initial_backoff_seconds = 0.001;
    r.backoff_multiplier = 2.0;
    return r;
  }
  WriteOptions Options() {
    WriteOptions o;
    o.parallel = GetParam().parallel;
    o.workers = 3;
    return o;
  }

  Result<BuildResult> Build(const std::string& tag, const HashShardedWriteConfig& config) {
    SHARDY_ASSIGN_OR_RETURN(auto writer, HashShardedWriter::Open(config, Options()));
    for (int i = 0; i < kRecords; ++i) {
      SHARDY_RETURN_IF_ERROR(writer->Add(Key::Int(i), tag + "-" + std::to_string(i)));
    }
    return writer->Finish();
  }

  std::string CurrentBytes() {
    Result<std::optional<std::string>> got = base_->Get("snap/_CURRENT");
    EXPECT_TRUE(got.ok() && got->has_value());
    return got.ok() && got->has_value() ? **got : "";
  }

  // A fresh reader sees the snapshot `ref`, every key with `tag`'s value.
  void ExpectSnapshot(const std::string& ref, const std::string& tag) {
    ReaderOptions o;
    o.store = base_;
    o.local_root = local_ + "/reader-" + std::to_string(readers_++);
    Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(base_->Url("snap"), o);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->snapshot_info().manifest_ref, ref);
    std::vector<Key> keys;
    for (int i = 0; i < kRecords; ++i) keys.push_back(Key::Int(i));
    Result<std::vector<std::optional<std::string>>> got = (*reader)->MultiGet(keys);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    int wrong = 0;
    for (int i = 0; i < kRecords; ++i) {
      wrong += (*got)[i] != std::optional<std::string>(tag + "-" + std::to_string(i));
    }
    EXPECT_EQ(wrong, 0) << "keys without " << tag << "'s value";
  }

  // The previous snapshot is still current, whole, and unchanged.
  void ExpectPreviousSnapshot() {
    EXPECT_EQ(CurrentBytes(), current_bytes_);
    ExpectSnapshot(first_ref_, "old");
  }

  // Every Put of a key containing `key_contains` fails, retryably.
  void FailEveryPut(const std::string& key_contains, const std::string& message) {
    FaultRule rule;
    rule.op = StoreOp::kPut;
    rule.key_contains = key_contains;
    rule.error = Status(ErrorCode::kStorage, message, true);
    store_->AddRule(rule);
  }

  std::vector<std::string> ObjectsUnder(const std::string& prefix) {
    std::vector<std::string> out;
    Result<ListResult> listed = base_->List(prefix, "");
    EXPECT_TRUE(listed.ok());
    if (listed.ok()) {
      for (const ObjectInfo& o : listed->objects) out.push_back(o.key);
    }
    return out;
  }
  std::vector<std::string> RunShardObjects(const std::string& run_id) {
    return ObjectsUnder("snap/shards/run_id=" + run_id + "/");
  }

  std::string local_;
  std::shared_ptr<MemoryStore> base_ = std::make_shared<MemoryStore>("mem");
  std::shared_ptr<FaultInjectingStore> store_ = std::make_shared<FaultInjectingStore>(base_);
  std::shared_ptr<ShardWriterFactory> base_factory_;
  std::shared_ptr<FaultInjectingShardWriterFactory> faults_;
  std::shared_ptr<RecordingCollector> events_ = std::make_shared<RecordingCollector>();
  std::string first_ref_;
  std::string current_bytes_;
  int readers_ = 0;
};

TEST_P(FailureTableTest, BadConfigWritesNothing) {
  const int puts = store_->CallCount(StoreOp::kPut) + store_->CallCount(StoreOp::kPutFile);
  HashShardedWriteConfig c = Config("bad");
  c.batch_size = 0;
  Result<BuildResult> r = Build("new", c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(r.status().message().find("batch_size"), std::string::npos);

  c = Config("bad");
  c.shard_retry = FastRetries(0);
  r = Build("new", c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(r.status().message().find("max_retries"), std::string::npos);

  EXPECT_EQ(store_->CallCount(StoreOp::kPut) + store_->CallCount(StoreOp::kPutFile), puts);
  ExpectPreviousSnapshot();
}

// A transient failure at each stage of one shard's first attempt: the shard
// is rewritten from its spool into attempt=01 and the build publishes.
TEST_P(FailureTableTest, TransientShardFailuresAreRetried) {
  faults_->AddFault({ShardFault::Stage::kOpen, "db=00000/attempt=00", 1});
  faults_->AddFault({ShardFault::Stage::kWriteBatch, "db=00001/attempt=00", 3});
  faults_->AddFault({ShardFault::Stage::kSeal, "db=00002/attempt=00", 1});
  // And a store failure under shard 3's first attempt (its uploads).
  FaultRule upload;
  upload.op = StoreOp::kPutFile;
  upload.key_contains = "db=00003/attempt=00/";
  upload.nth = 1;
  upload.error = Status(ErrorCode::kStorage, "injected 503 SlowDown", true);
  store_->AddRule(upload);

  HashShardedWriteConfig c = Config("retried");
  c.shard_retry = FastRetries(2);
  Result<BuildResult> r = Build("new", c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(faults_->FaultsInjected(), 3);
  EXPECT_EQ(store_->FaultsInjected(), 1);
  ASSERT_EQ(r->winners.size(), kShards);
  for (const ShardMeta& w : r->winners) {
    EXPECT_EQ(w.attempt, 1) << "db_id=" << w.db_id;
    EXPECT_NE(w.db_url.value_or("").find("/attempt=01"), std::string::npos)
        << w.db_url.value_or("");
  }
  EXPECT_EQ(r->stats.rows_written, kRecords);
  EXPECT_EQ(events_->Count(metric_events::kWriteShardRetried), 4);
  EXPECT_EQ(events_->Count(metric_events::kWriteShardRetryExhausted), 0);
  std::vector<RecordedEvent> completed = events_->Named(metric_events::kWriteShardCompleted);
  ASSERT_EQ(completed.size(), kShards);
  double rows = 0;
  for (const RecordedEvent& e : completed) {
    EXPECT_EQ(e.Number("attempt"), 1.0);
    rows += e.Number("row_count").value_or(0);
  }
  EXPECT_EQ(rows, kRecords);
  for (const RecordedEvent& e : events_->Named(metric_events::kWriteShardRetried)) {
    EXPECT_EQ(e.Number("attempt"), 1.0);
    EXPECT_EQ(e.Number("backoff_s"), 0.001);
  }
  ExpectSnapshot(r->manifest_ref, "new");
  // The failed first attempts are gone; only the winners remain.
  for (const std::string& key : RunShardObjects("retried")) {
    EXPECT_EQ(key.find("/attempt=00/"), std::string::npos) << key;
  }
  EXPECT_FALSE(std::filesystem::exists(local_ + "/stage/run_id=retried"));
}

TEST_P(FailureTableTest, ExhaustedRetriesFailTheBuildAndPublishNothing) {
  faults_->AddFault({ShardFault::Stage::kWriteBatch, "db=00001/", 0});
  HashShardedWriteConfig c = Config("exhausted");
  c.shard_retry = FastRetries(2);
  Result<BuildResult> r = Build("new", c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kShardWrite);
  EXPECT_NE(r.status().message().find("db_id=1"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("after 3 attempts"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("injected shard fault"), std::string::npos);
  std::vector<RecordedEvent> exhausted = events_->Named(metric_events::kWriteShardRetryExhausted);
  ASSERT_EQ(exhausted.size(), 1u);
  EXPECT_EQ(exhausted[0].Number("db_id"), 1.0);
  EXPECT_EQ(exhausted[0].Number("attempts"), 3.0);
  EXPECT_EQ(events_->Count(metric_events::kWriteShardRetried), 2);
  ExpectPreviousSnapshot();
  EXPECT_TRUE(RunShardObjects("exhausted").empty());
  EXPECT_FALSE(std::filesystem::exists(local_ + "/stage/run_id=exhausted"));
}

TEST_P(FailureTableTest, WithoutRetriesTheFirstFailureIsFinal) {
  faults_->AddFault({ShardFault::Stage::kSeal, "db=00002/attempt=00", 1});
  Result<BuildResult> r = Build("new", Config("no-retry"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kShardWrite);
  EXPECT_NE(r.status().message().find("db_id=2"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(faults_->FaultsInjected(), 1);
  EXPECT_EQ(events_->Count(metric_events::kWriteShardRetried), 0);
  ExpectPreviousSnapshot();
  EXPECT_TRUE(RunShardObjects("no-retry").empty());
}

TEST_P(FailureTableTest, NonRetryableErrorsAreNotRetried) {
  ShardFault fault{ShardFault::Stage::kWriteBatch, "db=00003/", 1};
  fault.error = Status(ErrorCode::kShardWrite, "disk format mismatch", false);
  faults_->AddFault(fault);
  HashShardedWriteConfig c = Config("fatal");
  c.shard_retry = FastRetries(3);
  Result<BuildResult> r = Build("new", c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kShardWrite);
  EXPECT_NE(r.status().message().find("db_id=3"), std::string::npos);
  EXPECT_NE(r.status().message().find("disk format mismatch"), std::string::npos);
  EXPECT_EQ(events_->Count(metric_events::kWriteShardRetried), 0);
  ExpectPreviousSnapshot();
  EXPECT_TRUE(RunShardObjects("fatal").empty());
}

// A store that acknowledges shard 2's uploads but keeps none of them: its
// attempt "succeeded" with nothing behind it, which is no successful
// attempt at all.
TEST_P(FailureTableTest, AShardWithNoSuccessfulAttemptIsACoverageError) {
  for (StoreOp op : {StoreOp::kPut, StoreOp::kPutFile}) {
    FaultRule drop;
    drop.op = op;
    drop.key_contains = "run_id=lost/db=00002/";
    drop.drop_write = true;
    store_->AddRule(drop);
  }
  Result<BuildResult> r = Build("new", Config("lost"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kShardCoverage) << r.status().ToString();
  EXPECT_NE(r.status().message().find("db_id=2"), std::string::npos) << r.status().ToString();
  ExpectPreviousSnapshot();
  EXPECT_TRUE(RunShardObjects("lost").empty());
}

TEST_P(FailureTableTest, ManifestPutFailureLeavesCurrentUntouched) {
  FailEveryPut("snap/manifests/", "injected 500 InternalError");
  Result<BuildResult> r = Build("new", Config("no-manifest"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kPublishManifest) << r.status().ToString();
  EXPECT_TRUE(r.status().retryable());
  ExpectPreviousSnapshot();
  EXPECT_TRUE(RunShardObjects("no-manifest").empty());
  ManifestStore manifests(base_, "snap");
  Result<std::vector<ManifestListing>> history = manifests.ListManifests(10);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u);
}

TEST_P(FailureTableTest, CurrentPutFailureCarriesTheManifestRefAndARerunPublishes) {
  FailEveryPut("snap/_CURRENT", "injected timeout");
  Result<BuildResult> r = Build("new", Config("unswitched"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kPublishCurrent) << r.status().ToString();
  ASSERT_TRUE(r.status().manifest_ref().has_value());
  const std::string ref = *r.status().manifest_ref();
  EXPECT_NE(ref.find("run_id=unswitched"), std::string::npos) << ref;
  ExpectPreviousSnapshot();
  // The manifest references its shards: they were kept.
  EXPECT_FALSE(RunShardObjects("unswitched").empty());

  // The store recovers: pointing _CURRENT at the manifest publishes it whole.
  store_->ClearRules();
  ManifestStore manifests(base_, "snap");
  ASSERT_TRUE(manifests.SetCurrent(ref).ok());
  ExpectSnapshot(ref, "new");

  // And a rerun of the build publishes a new snapshot of its own.
  Result<BuildResult> rerun = Build("rerun", Config("rerun"));
  ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
  ExpectSnapshot(rerun->manifest_ref, "rerun");
}

// Rerunning a published run id once destroyed its snapshot (the SlateDB
// seal failed on the existing manifest and the cleanup deleted the live
// shards) or rewrote it in place (SQLite's shard.db). It is refused before
// anything is written, whether the rerun would have succeeded or failed.
TEST_P(FailureTableTest, ARerunOfAUsedRunIdIsRefusedBeforeAnyWrite) {
  const auto puts = [&] {
    return store_->CallCount(StoreOp::kPut) + store_->CallCount(StoreOp::kPutFile) +
           store_->CallCount(StoreOp::kDelete);
  };
  const std::vector<std::string> old_objects = RunShardObjects("first");
  ASSERT_FALSE(old_objects.empty());
  const int before = puts();
  // A rerun that would succeed, and one that would fail in a shard.
  for (bool failing : {false, true}) {
    if (failing) faults_->AddFault({ShardFault::Stage::kSeal, "run_id=first/db=00001/", 0});
    Result<BuildResult> r = Build("new", Config("first"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kConfigValidation) << r.status().ToString();
    EXPECT_NE(r.status().message().find("run_id \"first\" is already used"), std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find("choose a new run id"), std::string::npos);
    EXPECT_EQ(puts(), before) << "the refused rerun wrote or deleted objects";
    EXPECT_EQ(RunShardObjects("first"), old_objects);
    ExpectPreviousSnapshot();
  }

  // A run id whose only trace is a run record (a build that failed and
  // cleaned up its shards) is taken too.
  faults_->AddFault({ShardFault::Stage::kSeal, "run_id=failed-once/db=00002/", 0});
  ASSERT_FALSE(Build("new", Config("failed-once")).ok());
  ASSERT_TRUE(RunShardObjects("failed-once").empty());
  Result<BuildResult> again = Build("new", Config("failed-once"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(again.status().message().find("a run record"), std::string::npos)
      << again.status().ToString();
  // A run id that only begins like a used one is free.
  Result<BuildResult> other = Build("new", Config("fir"));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
}

// Objects that appear under a build's attempt prefix without the build
// having written them (another writer that reused the run id) survive the
// build's cleanup after a failure: it deletes what it created, exactly.
TEST_P(FailureTableTest, AFailedBuildDeletesOnlyWhatItCreated) {
  faults_->AddFault({ShardFault::Stage::kSeal, "db=00003/", 0});
  HashShardedWriteConfig c = Config("shared");
  Result<std::unique_ptr<HashShardedWriter>> writer = HashShardedWriter::Open(c, Options());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  std::vector<std::string> foreign;
  for (const char* db : {"db=00000", "db=00003"}) {
    foreign.push_back(std::string("snap/shards/run_id=shared/") + db + "/attempt=00/foreign.sst");
    ASSERT_TRUE(base_->Put(foreign.back(), "not ours", PutOptions()).ok());
  }
  for (int i = 0; i < kRecords; ++i) ASSERT_TRUE((*writer)->Add(Key::Int(i), "v").ok());
  Result<BuildResult> r = (*writer)->Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kShardWrite) << r.status().ToString();
  EXPECT_EQ(RunShardObjects("shared"), foreign);
  ExpectPreviousSnapshot();
}

INSTANTIATE_TEST_SUITE_P(Modes, FailureTableTest,
                         ::testing::Values(Mode{false, false}, Mode{true, false}, Mode{false, true},
                                           Mode{true, true}),
                         ModeName);

}  // namespace
}  // namespace shardyfusion
