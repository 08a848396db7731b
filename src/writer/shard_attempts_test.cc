// ShardAttempts' retry schedule, on a fake clock: retry k+1 waits
// initial_backoff * multiplier^k, a stop request cuts the wait short, and an
// attempt's duration is the clock's.
#include "writer/shard_attempts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/fault_shard_writer.h"
#include "shardyfusion/metrics.h"
#include "shardyfusion/sqlite_backend.h"
#include "storage/memory_store.h"
#include "storage/storage_testing.h"

namespace shardyfusion {
namespace {

class ShardAttemptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<DbPathTemplate> db_path = DbPathTemplate::Compile("db={db_id:05d}");
    ASSERT_TRUE(db_path.ok());
    env_.store = std::make_shared<MemoryStore>("shard-attempts-test");
    env_.root_key = "snap";
    env_.shard_prefix = "shards";
    env_.run_id = "run";
    env_.db_path = *db_path;
    env_.factory = faults_;
    env_.local_run_dir = local_.path() + "/run_id=run";
    env_.retry =
        RetryConfig{.max_retries = 3, .initial_backoff_seconds = 1.5, .backoff_multiplier = 3.0};
    env_.emit = [this](std::string_view event,
                       std::vector<std::pair<std::string_view, double>> numbers) {
      if (event != metric_events::kWriteShardRetried) return;
      for (const auto& [name, value] : numbers) {
        if (name == "backoff_s") emitted_backoffs_.push_back(value);
      }
    };
    env_.stop = stop_.get_token();
    env_.clock = &clock_;
  }

  // Fails the first WriteBatch of attempt=00 .. attempt=<n-1> of shard 0.
  void FailFirstAttempts(int n) {
    for (int a = 0; a < n; ++a) {
      faults_->AddFault(
          {ShardFault::Stage::kWriteBatch, "db=00000/attempt=0" + std::to_string(a), 1});
    }
  }

  static KvBatch Batch() {
    KvBatch batch;
    batch.Add("k1", "v1");
    batch.Add("k2", "v2");
    return batch;
  }

  ScratchDir local_;
  FakeClock clock_;
  std::stop_source stop_;
  std::shared_ptr<FaultInjectingShardWriterFactory> faults_ =
      std::make_shared<FaultInjectingShardWriterFactory>(NewSqliteWriterFactory());
  ShardAttemptEnv env_;
  std::vector<double> emitted_backoffs_;
};

TEST_F(ShardAttemptsTest, EachRetryWaitsInitialTimesMultiplierToTheK) {
  FailFirstAttempts(3);
  ShardAttempts attempts(&env_, 0);
  Status st = attempts.Write(Batch());
  ASSERT_TRUE(st.ok()) << st.ToString();
  Result<SealResult> sealed = attempts.Seal();
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(attempts.attempt(), 3);
  EXPECT_NE(attempts.db_key().find("/attempt=03"), std::string::npos) << attempts.db_key();
  const std::vector<double> schedule = {1.5, 4.5, 13.5};
  EXPECT_EQ(clock_.sleep_log(), schedule);
  EXPECT_EQ(emitted_backoffs_, schedule);
  EXPECT_EQ(clock_.NowSeconds(), 19.5);
}

TEST_F(ShardAttemptsTest, ExhaustedRetriesWaitBeforeEveryRetryAndNotAfterTheLast) {
  faults_->AddFault({ShardFault::Stage::kWriteBatch, "db=00000/", 0});
  ShardAttempts attempts(&env_, 0);
  Status st = attempts.Write(Batch());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::kShardWrite);
  EXPECT_NE(st.message().find("after 4 attempts"), std::string::npos) << st.ToString();
  EXPECT_EQ(clock_.sleep_log(), (std::vector<double>{1.5, 4.5, 13.5}));
}

TEST_F(ShardAttemptsTest, AStopRequestEndsTheBackoffAndTheRetries) {
  FailFirstAttempts(1);
  stop_.request_stop();  // the build failed elsewhere
  ShardAttempts attempts(&env_, 0);
  Status st = attempts.Write(Batch());
  ASSERT_FALSE(st.ok());
  EXPECT_FALSE(st.retryable());
  EXPECT_NE(st.message().find("stopped because the build failed"), std::string::npos)
      << st.ToString();
  EXPECT_EQ(clock_.sleep_log(), std::vector<double>{1.5});
  EXPECT_EQ(clock_.NowSeconds(), 0.0) << "the stopped wait took no time";
  EXPECT_TRUE(emitted_backoffs_.empty());
}

TEST_F(ShardAttemptsTest, WithoutRetriesNothingWaits) {
  env_.retry = RetryConfig{.max_retries = 0};
  FailFirstAttempts(1);
  ShardAttempts attempts(&env_, 0);
  EXPECT_FALSE(attempts.Write(Batch()).ok());
  EXPECT_EQ(clock_.sleeps(), 0);
}

TEST_F(ShardAttemptsTest, AnAttemptsDurationIsTheClocks) {
  ShardAttempts attempts(&env_, 0);
  ASSERT_TRUE(attempts.Write(Batch()).ok());
  clock_.Advance(2.5);
  EXPECT_EQ(attempts.duration_ms(), 2500);
}

}  // namespace
}  // namespace shardyfusion
