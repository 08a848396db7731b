// FaultInjectingStore: rules, truncation and call accounting.

#include "storage/fault_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/memory_store.h"
#include "storage/storage_testing.h"

namespace shardyfusion {
namespace {

class FaultStoreTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryStore> base_ = std::make_shared<MemoryStore>("fault-test");
  FaultInjectingStore store_{base_};
};

TEST_F(FaultStoreTest, FailsOnlyTheNthCall) {
  store_.FailNthCall(StoreOp::kPut, 2, Status(ErrorCode::kStorage, "boom", false));
  EXPECT_TRUE(store_.Put("a", "1", PutOptions()).ok());
  auto second = store_.Put("b", "2", PutOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "boom");
  EXPECT_FALSE(second.status().retryable());
  EXPECT_TRUE(store_.Put("c", "3", PutOptions()).ok());
  // The failed call did not reach the wrapped store.
  auto b = base_->Get("b");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  EXPECT_EQ(store_.CallCount(StoreOp::kPut), 3);
  EXPECT_EQ(store_.CallCount(StoreOp::kGet), 0);
  EXPECT_EQ(store_.FaultsInjected(), 1);
}

TEST_F(FaultStoreTest, CountsFromWhenTheRuleWasAdded) {
  ASSERT_TRUE(store_.Put("a", "1", PutOptions()).ok());
  store_.FailNthCall(StoreOp::kPut, 1, Status(ErrorCode::kStorage, "boom"));
  EXPECT_FALSE(store_.Put("b", "2", PutOptions()).ok());
  EXPECT_TRUE(store_.Put("b", "2", PutOptions()).ok());
}

TEST_F(FaultStoreTest, KeySubstringRuleFailsEveryMatchingCall) {
  FaultRule rule;
  rule.op = StoreOp::kGet;
  rule.key_contains = "_CURRENT";
  rule.error = Status(ErrorCode::kStorage, "pointer unavailable");
  store_.AddRule(rule);
  ASSERT_TRUE(store_.Put("root/_CURRENT", "p", PutOptions()).ok());
  ASSERT_TRUE(store_.Put("root/manifest", "m", PutOptions()).ok());
  for (int i = 0; i < 3; ++i) {
    auto r = store_.Get("root/_CURRENT");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "pointer unavailable");
  }
  EXPECT_TRUE(store_.Get("root/manifest").ok());
  store_.ClearRules();
  EXPECT_TRUE(store_.Get("root/_CURRENT").ok());
}

TEST_F(FaultStoreTest, AfterEffectFailureStillWrites) {
  FaultRule rule;
  rule.op = StoreOp::kPut;
  rule.nth = 1;
  rule.after_effect = true;
  rule.error = Status(ErrorCode::kStorage, "timeout after write");
  store_.AddRule(rule);
  EXPECT_FALSE(store_.Put("k", "landed", PutOptions()).ok());
  auto got = base_->Get("k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "landed");
}

TEST_F(FaultStoreTest, DroppedWritesAreAcknowledgedButNotStored) {
  FaultRule rule;
  rule.op = StoreOp::kPut;
  rule.key_contains = "lost/";
  rule.drop_write = true;
  store_.AddRule(rule);
  EXPECT_TRUE(store_.Put("lost/a", "bytes", PutOptions()).ok());
  EXPECT_TRUE(store_.Put("kept/a", "bytes", PutOptions()).ok());
  auto lost = base_->Get("lost/a");
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(lost->has_value());
  auto kept = base_->Get("kept/a");
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->has_value());
  EXPECT_EQ(store_.FaultsInjected(), 1);
}

TEST_F(FaultStoreTest, TruncatesReads) {
  ASSERT_TRUE(store_.Put("obj", "0123456789", PutOptions()).ok());
  for (StoreOp op : {StoreOp::kGet, StoreOp::kGetRange, StoreOp::kGetToFile}) {
    FaultRule rule;
    rule.op = op;
    rule.truncate_to = 4;
    store_.AddRule(rule);
  }
  auto get = store_.Get("obj");
  ASSERT_TRUE(get.ok() && get->has_value());
  EXPECT_EQ(**get, "0123");
  auto range = store_.GetRange("obj", 2, 100);
  ASSERT_TRUE(range.ok() && range->has_value());
  EXPECT_EQ(**range, "2345");
  auto short_range = store_.GetRange("obj", 8, 100);
  ASSERT_TRUE(short_range.ok() && short_range->has_value());
  EXPECT_EQ(**short_range, "89");

  ScratchDir dir;
  const std::string path = dir.path() + "/out";
  auto to_file = store_.GetToFile("obj", path);
  ASSERT_TRUE(to_file.ok()) << to_file.status().ToString();
  EXPECT_TRUE(*to_file);
  EXPECT_EQ(std::filesystem::file_size(path), 4u);
  auto missing = store_.Get("missing");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(FaultStoreTest, RecordsCallsInOrder) {
  ASSERT_TRUE(store_.Put("m/manifest", "m", PutOptions()).ok());
  ASSERT_TRUE(store_.Put("_CURRENT", "p", PutOptions()).ok());
  ASSERT_TRUE(store_.List("m/", "/").ok());
  ASSERT_TRUE(store_.Delete({"a", "b"}).ok());
  ASSERT_TRUE(store_.Head("_CURRENT").ok());
  const std::vector<StoreCall> calls = store_.Calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0].op, StoreOp::kPut);
  EXPECT_EQ(calls[0].key, "m/manifest");
  EXPECT_EQ(calls[1].key, "_CURRENT");
  EXPECT_EQ(calls[2].op, StoreOp::kList);
  EXPECT_EQ(calls[2].key, "m/");
  EXPECT_EQ(calls[3].key, "a,b");
  EXPECT_EQ(StoreOpName(calls[4].op), std::string("Head"));
  EXPECT_EQ(store_.Url("k"), base_->Url("k"));
}

TEST_F(FaultStoreTest, DeleteRuleMatchesAnyKey) {
  FaultRule rule;
  rule.op = StoreOp::kDelete;
  rule.key_contains = "attempt=01";
  store_.AddRule(rule);
  EXPECT_TRUE(store_.Delete({"s/attempt=00/x"}).ok());
  Status s = store_.Delete({"s/attempt=00/y", "s/attempt=01/x"});
  EXPECT_EQ(s.code(), ErrorCode::kStorage);
  EXPECT_EQ(store_.FaultsInjected(), 1);
}

}  // namespace
}  // namespace shardyfusion
