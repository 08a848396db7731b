#include "backend/fault_shard_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "shardyfusion/sqlite_backend.h"
#include "storage/memory_store.h"

namespace shardyfusion {
namespace {

class FaultShardWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fault_shard_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ShardWriterContext Ctx(const std::string& key) {
    std::string local = (dir_ / key).string();
    std::filesystem::create_directories(local);
    return ShardWriterContext{store_, key, local};
  }

  std::filesystem::path dir_;
  std::shared_ptr<MemoryStore> store_ = std::make_shared<MemoryStore>("mem");
};

TEST_F(FaultShardWriterTest, FailsTheNthMatchingCallOnlyAndPassesTheRestThrough) {
  FaultInjectingShardWriterFactory f(NewSqliteWriterFactory());
  f.AddFault(ShardFault{ShardFault::Stage::kWriteBatch, "db=00001", 2});
  KvBatch batch;
  batch.Add("k", "v");
  auto w0 = f.Open(Ctx("run/db=00000/attempt=00"));
  auto w1 = f.Open(Ctx("run/db=00001/attempt=00"));
  ASSERT_TRUE(w0.ok() && w1.ok());
  EXPECT_TRUE((*w0)->WriteBatch(batch).ok());
  EXPECT_TRUE((*w0)->WriteBatch(batch).ok());  // another shard: never matches
  EXPECT_TRUE((*w1)->WriteBatch(batch).ok());
  Status st = (*w1)->WriteBatch(batch);
  EXPECT_EQ(st.code(), ErrorCode::kShardWrite);
  EXPECT_TRUE(st.retryable());
  EXPECT_NE(st.message().find("db=00001"), std::string::npos);
  EXPECT_TRUE((*w1)->WriteBatch(batch).ok());
  EXPECT_EQ(f.FaultsInjected(), 1);
  EXPECT_EQ(f.Calls(ShardFault::Stage::kWriteBatch), 5);
  EXPECT_TRUE((*w0)->Seal().ok());
  (*w1)->Abandon();
}

TEST_F(FaultShardWriterTest, OpenAndSealFaultsAndSlowCalls) {
  FaultInjectingShardWriterFactory f(NewSqliteWriterFactory());
  f.AddFault(ShardFault{ShardFault::Stage::kOpen, "db=00002", 0,
                        Status(ErrorCode::kDbAdapter, "backend down")});
  f.AddFault(ShardFault{ShardFault::Stage::kSeal, "db=00003", 1, Status::OK(),
                        std::chrono::milliseconds(30)});
  auto w2 = f.Open(Ctx("run/db=00002/attempt=00"));
  EXPECT_EQ(w2.status().code(), ErrorCode::kDbAdapter);
  EXPECT_FALSE(w2.status().retryable());
  auto w3 = f.Open(Ctx("run/db=00003/attempt=00"));
  ASSERT_TRUE(w3.ok());
  KvBatch batch;
  batch.Add("k", "v");
  ASSERT_TRUE((*w3)->WriteBatch(batch).ok());
  auto t0 = std::chrono::steady_clock::now();
  auto sealed = (*w3)->Seal();  // slow, then succeeds
  EXPECT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(30));
  EXPECT_EQ(f.FaultsInjected(), 2);
}

}  // namespace
}  // namespace shardyfusion
