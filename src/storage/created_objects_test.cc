#include "storage/created_objects.h"

#include <gtest/gtest.h>

#include "storage/fault_store.h"
#include "storage/memory_store.h"

namespace shardyfusion {
namespace {

using Keys = std::vector<std::string>;

class CreatedObjectsTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryStore> base_ = std::make_shared<MemoryStore>("created");
  std::shared_ptr<FaultInjectingStore> faults_ = std::make_shared<FaultInjectingStore>(base_);
  CreatedObjectsStore store_{faults_};
};

TEST_F(CreatedObjectsTest, RecordsSuccessfulPutsAndForgetsDeletes) {
  ASSERT_TRUE(store_.Put("a/2", "x", PutOptions()).ok());
  ASSERT_TRUE(store_.Put("a/1", "x", PutOptions()).ok());
  PutOptions absent;
  absent.condition = PutCondition::kIfAbsent;
  ASSERT_TRUE(store_.Put("a/3", "x", absent).ok());
  EXPECT_EQ(store_.created(), (Keys{"a/1", "a/2", "a/3"}));
  ASSERT_TRUE(store_.Delete({"a/2", "elsewhere"}).ok());
  EXPECT_EQ(store_.created(), (Keys{"a/1", "a/3"}));
}

TEST_F(CreatedObjectsTest, ObjectsThatWereThereBeforeAreNotOurs) {
  ASSERT_TRUE(base_->Put("a/theirs", "old", PutOptions()).ok());
  PutOptions absent;
  absent.condition = PutCondition::kIfAbsent;
  Result<std::string> r = store_.Put("a/theirs", "new", absent);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kPreconditionFailed);
  // A conditional put that failed otherwise may also have met theirs.
  faults_->FailNthCall(StoreOp::kPut, 1, Status(ErrorCode::kStorage, "timeout", true));
  EXPECT_FALSE(store_.Put("a/maybe", "new", absent).ok());
  EXPECT_TRUE(store_.created().empty());
  // Nothing reads or lists into the record.
  ASSERT_TRUE(store_.List("a/", "").ok());
  ASSERT_TRUE(store_.Get("a/theirs").ok());
  EXPECT_TRUE(store_.created().empty());
}

TEST_F(CreatedObjectsTest, AFailedPlainPutMayHaveLandedAndIsRecorded) {
  FaultRule lost;
  lost.op = StoreOp::kPut;
  lost.after_effect = true;
  lost.error = Status(ErrorCode::kStorage, "reply lost", true);
  faults_->AddRule(lost);
  EXPECT_FALSE(store_.Put("a/landed", "x", PutOptions()).ok());
  EXPECT_EQ(store_.created(), Keys{"a/landed"});
  EXPECT_EQ(DeleteBestEffort(store_, store_.created(), "test_cleanup"), 1);
  EXPECT_FALSE(base_->Get("a/landed")->has_value());
}

TEST_F(CreatedObjectsTest, DeleteBestEffortReportsNothingDeletedOnFailure) {
  ASSERT_TRUE(store_.Put("a/1", "x", PutOptions()).ok());
  faults_->FailNthCall(StoreOp::kDelete, 1, Status(ErrorCode::kStorage, "503", true));
  EXPECT_EQ(DeleteBestEffort(store_, store_.created(), "test_cleanup"), 0);
  EXPECT_EQ(store_.created(), Keys{"a/1"});
  EXPECT_EQ(DeleteBestEffort(store_, {}, "test_cleanup"), 0);
}

}  // namespace
}  // namespace shardyfusion
