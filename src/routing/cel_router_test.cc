#include "routing/cel_router.h"

#include <gtest/gtest.h>

namespace shardyfusion {
namespace {

TEST(CelRouterTest, DirectShardIdReadsResultsAsPythonInt) {
  EXPECT_EQ(*DirectShardId(CelValue::Int(3)), 3);
  EXPECT_EQ(*DirectShardId(CelValue::Int(-2)), -2);
  EXPECT_EQ(*DirectShardId(CelValue::Uint(7)), 7);
  EXPECT_EQ(*DirectShardId(CelValue::String("3")), 3);
  EXPECT_EQ(*DirectShardId(CelValue::String(" +12\n")), 12);
  EXPECT_EQ(*DirectShardId(CelValue::String("1_000")), 1000);
  EXPECT_EQ(*DirectShardId(CelValue::String("-4")), -4);
  EXPECT_EQ(*DirectShardId(CelValue::Bytes("05")), 5);
  for (const char* bad : {"", "x", "1__0", "_1", "1_", "0x10", "1.5", "99999999999999999999"}) {
    Result<int64_t> r = DirectShardId(CelValue::String(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kShardAssignment) << bad;
  }
  for (const CelValue& v : {CelValue::Double(1.0), CelValue::Bool(true), CelValue(),
                            CelValue::Uint(uint64_t{1} << 63)}) {
    Result<int64_t> r = DirectShardId(v);
    ASSERT_FALSE(r.ok()) << v.DebugString();
    EXPECT_EQ(r.status().code(), ErrorCode::kShardAssignment);
  }
}

TEST(CelRouterTest, KeyColumnValueFitsTheKeyToTheDeclaredType) {
  EXPECT_EQ(*KeyColumnValue(Key::Int(-5), CelType::kInt), CelValue::Int(-5));
  EXPECT_EQ(*KeyColumnValue(Key::Int(5), CelType::kUint), CelValue::Uint(5));
  EXPECT_EQ(*KeyColumnValue(Key::Str("a"), CelType::kString), CelValue::String("a"));
  EXPECT_EQ(*KeyColumnValue(Key::Str("a"), CelType::kBytes), CelValue::Bytes("a"));
  EXPECT_EQ(*KeyColumnValue(Key::Bytes("\xff"), CelType::kBytes), CelValue::Bytes("\xff"));
  EXPECT_EQ(*KeyColumnValue(Key::Bytes("ok"), CelType::kString), CelValue::String("ok"));
  for (const auto& [key, type] :
       std::vector<std::pair<Key, CelType>>{{Key::Int(-1), CelType::kUint},
                                            {Key::Int(1), CelType::kString},
                                            {Key::Str("1"), CelType::kInt},
                                            {Key::Bytes("\xff"), CelType::kString},
                                            {Key::Int(1), CelType::kDouble}}) {
    Result<CelValue> r = KeyColumnValue(key, type);
    ASSERT_FALSE(r.ok()) << key.DebugString();
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(key.DebugString()), std::string::npos);
  }
}

TEST(CelRouterTest, TokenRules) {
  EXPECT_TRUE(CheckRoutingTokens({}).ok());
  const std::vector<RoutingToken> ok = {CelValue::Int(2), CelValue::Int(1)};
  EXPECT_TRUE(CheckRoutingTokens(ok).ok());
  const std::vector<std::pair<std::vector<RoutingToken>, std::string>> bad = {
      {{CelValue::Int(1), CelValue::String("1")}, "must all share one type"},
      {{CelValue::String("a"), CelValue::String("a")}, "must be unique"},
      {{CelValue::Bool(true)}, "must be an int, a string or bytes"},
      {{CelValue::Uint(1)}, "must be an int, a string or bytes"},
      {{CelValue()}, "must be an int, a string or bytes"},
  };
  for (const auto& [tokens, message] : bad) {
    Status st = CheckRoutingTokens(tokens);
    EXPECT_EQ(st.code(), ErrorCode::kConfigValidation) << message;
    EXPECT_NE(st.message().find(message), std::string::npos) << st.message();
  }
}

TEST(CelRouterTest, CategoricalLookupIsExactEquality) {
  auto router = CelRouter::Create(
      "region", {{"region", CelType::kString}},
      std::vector<RoutingToken>{CelValue::String("eu-west"), CelValue::String("us-east")}, 2);
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  const CelRouter& r = **router;
  EXPECT_FALSE(r.key_only());
  EXPECT_TRUE(r.categorical());
  EXPECT_EQ(**r.ShardOf(CelValue::String("us-east")), 1);
  EXPECT_EQ(**r.ShardOf(CelValue::String("eu-west")), 0);
  EXPECT_FALSE(r.ShardOf(CelValue::String("ap-south"))->has_value());
  EXPECT_FALSE(r.ShardOf(CelValue::Bytes("us-east"))->has_value()) << "bytes != string";
  EXPECT_EQ(r.ShardOf(CelValue::Double(1)).status().code(), ErrorCode::kShardAssignment);
  EXPECT_NE(r.DescribeNoShard(CelValue::String("ap-south")).find("\"ap-south\""),
            std::string::npos);

  auto ints = CelRouter::Create("key", {{"key", CelType::kInt}},
                                std::vector<RoutingToken>{CelValue::Int(10), CelValue::Int(1)}, 2);
  ASSERT_TRUE(ints.ok()) << ints.status().ToString();
  EXPECT_TRUE((*ints)->key_only());
  EXPECT_EQ(**(*ints)->ShardOf(CelValue::Int(1)), 1);
  EXPECT_EQ(**(*ints)->ShardOf(CelValue::Uint(1)), 1) << "a uint equals the int token";
  EXPECT_FALSE((*ints)->ShardOf(CelValue::String("1"))->has_value()) << "int 1 != \"1\"";
}

TEST(CelRouterTest, DirectModeBoundsTheId) {
  auto router = CelRouter::Create("key", {{"key", CelType::kInt}}, std::nullopt, 4);
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  EXPECT_EQ(**(*router)->ShardOf(CelValue::Int(3)), 3);
  EXPECT_FALSE((*router)->ShardOf(CelValue::Int(4))->has_value());
  EXPECT_FALSE((*router)->ShardOf(CelValue::Int(-1))->has_value());
  EXPECT_NE((*router)->DescribeNoShard(CelValue::Int(4)).find("outside [0, 4)"), std::string::npos);
  EXPECT_EQ(**(*router)->ShardOf(CelValue::String("2")), 2);
}

TEST(CelRouterTest, EvaluatesKeyOnlyAndColumnExpressions) {
  auto key_only =
      CelRouter::Create("shard_hash(key) % 8u", {{"key", CelType::kInt}}, std::nullopt, 8);
  ASSERT_TRUE(key_only.ok()) << key_only.status().ToString();
  Result<CelValue> v = (*key_only)->Evaluate(Key::Int(42), {});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, CelValue::Uint(ShardHash(Key::Int(42)) % 8));
  const CelValue extra = CelValue::Int(1);
  EXPECT_EQ((*key_only)->Evaluate(Key::Int(42), {&extra, 1}).status().code(),
            ErrorCode::kInvalidArgument);

  auto columns =
      CelRouter::Create("a + b", {{"a", CelType::kInt}, {"b", CelType::kInt}}, std::nullopt, 8);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  const std::vector<CelValue> values = {CelValue::Int(1), CelValue::Int(2)};
  EXPECT_EQ(*(*columns)->Evaluate(Key::Int(0), values), CelValue::Int(3));
  Result<CelValue> missing = (*columns)->Evaluate(Key::Int(0), {values.data(), 1});
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("a, b"), std::string::npos);
}

TEST(CelRouterTest, CompileErrorsNameTheExpression) {
  auto r = CelRouter::Create("nope +", {{"key", CelType::kInt}}, std::nullopt, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(r.status().message().find("cel_expr does not compile: CEL expression 'nope +'"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace shardyfusion
