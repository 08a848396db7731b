#include "shardyfusion/cel.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "shardyfusion/routing.h"

namespace shardyfusion {
namespace {

TEST(CelProgramTest, CompilesAgainstColumnsAndEvaluatesInColumnOrder) {
  auto p = CelProgram::Compile("region + ':' + string(id % 3)",
                               {{"id", CelType::kInt}, {"region", CelType::kString}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->result_type(), "string");
  EXPECT_EQ((*p)->ColumnIndex("region"), 1u);
  EXPECT_EQ((*p)->ColumnIndex("nope"), std::nullopt);
  std::vector<CelValue> values = {CelValue::Int(7), CelValue::String("eu")};
  auto v = (*p)->Evaluate(values);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, CelValue::String("eu:1"));
}

TEST(CelProgramTest, ConfigErrorsNameTheProblem) {
  auto bad = CelProgram::Compile("key +", {{"key", CelType::kInt}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(bad.status().message().find("line 1, column"), std::string::npos);
  auto reserved = CelProgram::Compile("1", {{"in", CelType::kInt}});
  EXPECT_EQ(reserved.status().code(), ErrorCode::kConfigValidation);
  auto dup = CelProgram::Compile("1", {{"a", CelType::kInt}, {"a", CelType::kInt}});
  EXPECT_EQ(dup.status().code(), ErrorCode::kConfigValidation);
  auto typed = CelProgram::Compile("key % 4u", {{"key", CelType::kInt}});
  ASSERT_FALSE(typed.ok());
  EXPECT_NE(typed.status().message().find("(int, uint)"), std::string::npos)
      << typed.status().message();
  EXPECT_NE(typed.status().message().find("uint(x) % 4u"), std::string::npos)
      << typed.status().message();
}

TEST(CelProgramTest, EvaluationErrorsAndWrongValueKinds) {
  auto p = CelProgram::Compile("100 / key", {{"key", CelType::kInt}});
  ASSERT_TRUE(p.ok());
  std::vector<CelValue> zero = {CelValue::Int(0)};
  auto r = (*p)->Evaluate(zero);
  EXPECT_EQ(r.status().code(), ErrorCode::kShardAssignment);
  EXPECT_NE(r.status().message().find("division by zero"), std::string::npos);
  std::vector<CelValue> wrong = {CelValue::String("x")};
  EXPECT_EQ((*p)->Evaluate(wrong).status().code(), ErrorCode::kInvalidArgument);
  auto list = CelProgram::Compile("[key]", {{"key", CelType::kInt}});
  ASSERT_TRUE(list.ok());
  std::vector<CelValue> one = {CelValue::Int(1)};
  EXPECT_EQ((*list)->Evaluate(one).status().code(), ErrorCode::kShardAssignment);
}

TEST(CelProgramTest, ShardHashRoutesLikeHashRouting) {
  auto p = CelProgram::Compile("shard_hash(key) % 8u", {{"key", CelType::kString}});
  ASSERT_TRUE(p.ok());
  std::shared_ptr<const Router> router = NewHashRouter(8);
  for (std::string k : {"", "a", "hello", "user:42", "caf\xc3\xa9"}) {
    std::vector<CelValue> v = {CelValue::String(k)};
    auto r = (*p)->Evaluate(v);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->uint_value(), **router->Route(Key::Str(k), {}, nullptr)) << k;
  }
}

TEST(CelProgramTest, EvaluatesConcurrentlyFromManyThreads) {
  auto p = CelProgram::Compile("shard_hash(name + '/' + string(id)) % 16u",
                               {{"id", CelType::kInt}, {"name", CelType::kString}});
  ASSERT_TRUE(p.ok());
  std::vector<uint64_t> expected;
  for (int i = 0; i < 2000; ++i) {
    std::vector<CelValue> v = {CelValue::Int(i), CelValue::String("n")};
    expected.push_back((*p)->Evaluate(v)->uint_value());
  }
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        std::vector<CelValue> v = {CelValue::Int(i), CelValue::String("n")};
        if ((*p)->Evaluate(v)->uint_value() != expected[i]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace shardyfusion
