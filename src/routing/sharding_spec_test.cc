#include "routing/sharding_spec.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/py_json.h"
#include "routing/cel_router.h"

namespace shardyfusion {
namespace {

ShardingSpec Cel(std::string expr, std::map<std::string, std::string> columns,
                 std::optional<std::vector<std::string>> routing_values = std::nullopt) {
  ShardingSpec spec;
  spec.strategy = ShardingSpec::Strategy::kCel;
  spec.cel_expr = std::move(expr);
  spec.cel_columns = std::move(columns);
  spec.routing_values_json = std::move(routing_values);
  return spec;
}

void ExpectSameSpec(const ShardingSpec& a, const ShardingSpec& b) {
  EXPECT_EQ(a.strategy, b.strategy);
  EXPECT_EQ(a.hash_algorithm, b.hash_algorithm);
  EXPECT_EQ(a.cel_expr, b.cel_expr);
  EXPECT_EQ(a.cel_columns, b.cel_columns);
  EXPECT_EQ(a.routing_values_json, b.routing_values_json);
}

constexpr const char* kBytesCustom = R"({"cel_routing_values_type": "bytes"})";

// Routers as the reader builds them, from a manifest's sharding spec, custom
// object and num_dbs, and where they send one key.
TEST(ShardingSpecTest, RoutersFromTheManifestRouteKeys) {
  struct Case {
    const char* name;
    ShardingSpec spec;
    std::string custom_json;
    uint32_t num_dbs;
    Key key;
    RoutingContext context;
    std::optional<uint32_t> shard;  // nullopt: no shard
    std::string why;                // the no-shard reason, exactly
  };
  const Case cases[] = {
      {"hash int key",
       ShardingSpec{},
       "{}",
       8,
       Key::Int(42),
       {},
       static_cast<uint32_t>(ShardHash(Key::Int(42)) % 8),
       ""},
      {"hash string key, context ignored",
       ShardingSpec{},
       "{}",
       3,
       Key::Str("user:7"),
       {{"region", CelValue::String("eu")}},
       static_cast<uint32_t>(ShardHash(Key::Str("user:7")) % 3),
       ""},
      {"direct, key-only", Cel("key % 4", {{"key", "int"}}), "{}", 4, Key::Int(6), {}, 2u, ""},
      {"direct, decimal text",
       Cel("key", {{"key", "string"}}),
       "{}",
       4,
       Key::Str(" 3 "),
       {},
       3u,
       ""},
      {"direct, id beyond num_dbs",
       Cel("key", {{"key", "int"}}),
       "{}",
       4,
       Key::Int(7),
       {},
       std::nullopt,
       "key 7: CEL result 7 gives shard id 7, outside [0, 4)"},
      {"direct, negative id",
       Cel("key - 5", {{"key", "int"}}),
       "{}",
       4,
       Key::Int(2),
       {},
       std::nullopt,
       "key 2: CEL result -3 gives shard id -3, outside [0, 4)"},
      {"direct, columns",
       Cel("a + b", {{"a", "int"}, {"b", "int"}}),
       "{}",
       8,
       Key::Int(0),
       {{"a", CelValue::Int(2)}, {"b", CelValue::Int(3)}},
       5u,
       ""},
      {"categorical strings",
       Cel("region", {{"region", "string"}}, {{"\"eu\"", "\"us\""}}),
       "{}",
       2,
       Key::Int(1),
       {{"region", CelValue::String("us")}},
       1u,
       ""},
      {"categorical, no such token",
       Cel("region", {{"region", "string"}}, {{"\"eu\"", "\"us\""}}),
       "{}",
       2,
       Key::Int(1),
       {{"region", CelValue::String("ap")}},
       std::nullopt,
       "key 1: routing token \"ap\" (string) is not one of the 2 routing_values"},
      {"categorical ints, a uint result equals the int token",
       Cel("uint(key)", {{"key", "int"}}, {{"5", "7"}}),
       "{}",
       2,
       Key::Int(7),
       {},
       1u,
       ""},
      {"categorical ints, key-only",
       Cel("key", {{"key", "int"}}, {{"-3", "9"}}),
       "{}",
       2,
       Key::Int(-3),
       {},
       0u,
       ""},
      {"bytes tokens via custom",
       Cel("tag", {{"tag", "bytes"}}, {{"\"\\udcff\"", "\"ab\""}}),
       kBytesCustom,
       2,
       Key::Int(1),
       {{"tag", CelValue::Bytes("\xff")}},
       0u,
       ""},
      {"bytes tokens via custom, bytes key-only",
       Cel("key", {{"key", "bytes"}}, {{"\"ab\""}}),
       kBytesCustom,
       1,
       Key::Bytes("ab"),
       {},
       0u,
       ""},
      {"without the custom key the tokens are strings: bytes name none",
       Cel("tag", {{"tag", "bytes"}}, {{"\"ab\"", "\"cd\""}}),
       "{}",
       2,
       Key::Int(1),
       {{"tag", CelValue::Bytes("cd")}},
       std::nullopt,
       "key 1: routing token b\"cd\" (bytes) is not one of the 2 routing_values"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<std::shared_ptr<const Router>> router = NewRouter(c.spec, c.custom_json, c.num_dbs);
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    EXPECT_EQ((*router)->num_dbs(), c.num_dbs);
    ExpectSameSpec((*router)->spec(), c.spec);
    Result<std::vector<CelValue>> columns = (*router)->ColumnValues(c.context);
    ASSERT_TRUE(columns.ok()) << columns.status().ToString();
    std::string why;
    Result<std::optional<uint32_t>> shard = (*router)->Route(c.key, *columns, &why);
    ASSERT_TRUE(shard.ok()) << shard.status().ToString();
    EXPECT_EQ(*shard, c.shard);
    EXPECT_EQ(why, c.why);
    // Without a place for the reason, the answer is the same.
    EXPECT_EQ(*(*router)->Route(c.key, *columns, nullptr), c.shard);
  }
}

TEST(ShardingSpecTest, RoutingValuesAreTyped) {
  auto bytes =
      NewRouter(Cel("tag", {{"tag", "bytes"}}, {{"\"\\udcff\"", "\"ab\""}}), kBytesCustom, 2);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  ASSERT_NE((*bytes)->routing_values(), nullptr);
  EXPECT_EQ(*(*bytes)->routing_values(),
            (std::vector<RoutingToken>{CelValue::Bytes("\xff"), CelValue::Bytes("ab")}));
  auto direct = NewRouter(Cel("key", {{"key", "int"}}), "{}", 3);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ((*direct)->routing_values(), nullptr);
  EXPECT_EQ(NewHashRouter(3)->routing_values(), nullptr);
}

TEST(ShardingSpecTest, ManifestsThatCannotBeRouted) {
  struct Case {
    const char* name;
    ShardingSpec spec;
    std::string custom_json;
    uint32_t num_dbs;
    ErrorCode code;
    std::string message;  // a part of it
  };
  const Case cases[] = {
      {"unknown column type", Cel("k", {{"k", "timestamp"}}), "{}", 1, ErrorCode::kManifestParse,
       "sharding.cel_columns['k'] has unknown type 'timestamp'"},
      {"bytes custom beside int tokens", Cel("k", {{"k", "int"}}, {{"1", "2"}}), kBytesCustom, 2,
       ErrorCode::kManifestParse, "says bytes but sharding.routing_values holds ints"},
      {"a custom type other than bytes", Cel("k", {{"k", "string"}}, {{"\"a\""}}),
       R"({"cel_routing_values_type": "str"})", 1, ErrorCode::kManifestParse,
       "custom.cel_routing_values_type must be \"bytes\""},
      {"expression does not compile", Cel("k +", {{"k", "int"}}), "{}", 1,
       ErrorCode::kConfigValidation, "cel_expr does not compile"},
      {"no shards", ShardingSpec{}, "{}", 0, ErrorCode::kInvalidArgument, "1 to 65536 shards"},
      {"too many shards", ShardingSpec{}, "{}", kMaxNumDbs + 1, ErrorCode::kInvalidArgument,
       "(got 65537)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<std::shared_ptr<const Router>> router = NewRouter(c.spec, c.custom_json, c.num_dbs);
    ASSERT_FALSE(router.ok());
    EXPECT_EQ(router.status().code(), c.code) << router.status().ToString();
    EXPECT_NE(router.status().message().find(c.message), std::string::npos)
        << router.status().message();
  }
}

TEST(ShardingSpecTest, RouteErrorsNameTheKey) {
  auto failing = NewRouter(Cel("10 / (3 - key)", {{"key", "int"}}), "{}", 8);
  ASSERT_TRUE(failing.ok());
  Result<std::optional<uint32_t>> r = (*failing)->Route(Key::Int(3), {}, nullptr);
  EXPECT_EQ(r.status().code(), ErrorCode::kShardAssignment);
  EXPECT_EQ(r.status().message().rfind("key 3: cel_expr \"10 / (3 - key)\" failed: ", 0), 0u)
      << r.status().message();

  auto boolean = NewRouter(Cel("key > 2", {{"key", "int"}}), "{}", 8);
  ASSERT_TRUE(boolean.ok());
  r = (*boolean)->Route(Key::Int(3), {}, nullptr);
  EXPECT_EQ(r.status().code(), ErrorCode::kShardAssignment);
  EXPECT_EQ(r.status().message().rfind("key 3: CEL result true is a bool", 0), 0u)
      << r.status().message();

  auto key_only = NewRouter(Cel("key", {{"key", "int"}}), "{}", 8);
  ASSERT_TRUE(key_only.ok());
  r = (*key_only)->Route(Key::Str("x"), {}, nullptr);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << r.status().ToString();
}

TEST(ShardingSpecTest, ColumnValuesComeFromTheContextInColumnOrder) {
  auto router =
      NewRouter(Cel("region + tenant", {{"tenant", "string"}, {"region", "string"}}), "{}", 8);
  ASSERT_TRUE(router.ok());
  Result<std::vector<CelValue>> values = (*router)->ColumnValues(
      {{"tenant", CelValue::String("t")}, {"region", CelValue::String("r")}});
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  EXPECT_EQ(*values, (std::vector<CelValue>{CelValue::String("r"), CelValue::String("t")}))
      << "column-name order";

  values = (*router)->ColumnValues({{"region", CelValue::String("r")}});
  EXPECT_EQ(values.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(values.status().message().find("(missing: tenant)"), std::string::npos)
      << values.status().message();
  values = (*router)->ColumnValues({{"region", CelValue::String("r")},
                                    {"tenant", CelValue::String("t")},
                                    {"zone", CelValue::String("z")}});
  EXPECT_EQ(values.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(values.status().message().find("\"zone\" is not one of the snapshot's CEL columns"),
            std::string::npos)
      << values.status().message();

  auto key_only = NewRouter(Cel("key", {{"key", "int"}}), "{}", 8);
  ASSERT_TRUE(key_only.ok());
  values = (*key_only)->ColumnValues({{"zone", CelValue::String("z")}});
  ASSERT_TRUE(values.ok()) << "a key-only router ignores the context";
  EXPECT_TRUE(values->empty());
}

// The writer's router and the one the reader builds back from the manifest
// form (spec + custom keys) agree on the spec, the tokens and every route.
TEST(ShardingSpecTest, WriterRoutersSurviveTheManifestForm) {
  struct Case {
    const char* name;
    std::string expr;
    std::vector<CelColumn> columns;
    std::optional<std::vector<RoutingToken>> tokens;
    std::vector<CelValue> results;  // values of the single column `v`
  };
  const Case cases[] = {
      {"direct",
       "v",
       {{"v", CelType::kInt}},
       std::nullopt,
       {CelValue::Int(0), CelValue::Int(3), CelValue::Int(9)}},
      {"ints",
       "v",
       {{"v", CelType::kInt}},
       {{CelValue::Int(-3), CelValue::Int(9)}},
       {CelValue::Int(9), CelValue::Int(1)}},
      {"strings",
       "v",
       {{"v", CelType::kString}},
       {{CelValue::String("caf\xc3\xa9"), CelValue::String("eu")}},
       {CelValue::String("eu"), CelValue::String("caf\xc3\xa9"), CelValue::String("x")}},
      {"bytes",
       "v",
       {{"v", CelType::kBytes}},
       {{CelValue::Bytes(std::string("\xff\x00", 2)), CelValue::Bytes("ab")}},
       {CelValue::Bytes("ab"), CelValue::Bytes(std::string("\xff\x00", 2)), CelValue::Bytes("zz")}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const uint32_t num_dbs = c.tokens ? static_cast<uint32_t>(c.tokens->size()) : 4;
    auto written = CelRouter::Create(c.expr, c.columns, c.tokens, num_dbs);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    nlohmann::json custom = nlohmann::json::object();
    AddRoutingCustomFields(**written, &custom);
    EXPECT_EQ(custom.contains(kRoutingValuesTypeKey), std::string(c.name) == "bytes");
    auto read = NewRouter((*written)->spec(), PyJsonDumps(custom), num_dbs);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    ExpectSameSpec((*read)->spec(), (*written)->spec());
    ASSERT_EQ((*read)->routing_values() != nullptr, c.tokens.has_value());
    if (c.tokens) {
      EXPECT_EQ(*(*read)->routing_values(), *c.tokens);
    }
    for (const CelValue& v : c.results) {
      const std::span<const CelValue> columns(&v, 1);
      EXPECT_EQ(*(*read)->Route(Key::Int(0), columns, nullptr),
                *(*written)->Route(Key::Int(0), columns, nullptr))
          << v.DebugString();
    }
  }
}

TEST(ShardingSpecTest, RoutingCustomFieldsOverwriteTheUsers) {
  auto router = CelRouter::Create("v", {{"v", CelType::kBytes}},
                                  std::vector<RoutingToken>{CelValue::Bytes("a")}, 1);
  ASSERT_TRUE(router.ok());
  nlohmann::json custom = {{kRoutingValuesTypeKey, "mine"}, {"team", "search"}};
  AddRoutingCustomFields(**router, &custom);
  EXPECT_EQ(PyJsonDumps(custom), R"({"cel_routing_values_type": "bytes", "team": "search"})");
}

TEST(ShardingSpecTest, TokensRoundTripThroughTheManifestForm) {
  const std::vector<RoutingToken> bytes = {CelValue::Bytes(std::string("\xff\x00", 2)),
                                           CelValue::Bytes("ab")};
  ShardingSpec spec;
  spec.strategy = ShardingSpec::Strategy::kCel;
  spec.routing_values_json = RoutingTokensToJson(bytes);
  EXPECT_EQ(*spec.routing_values_json, (std::vector<std::string>{"\"\\udcff\\u0000\"", "\"ab\""}));
  auto typed = RoutingTokensFromManifest(spec, R"({"cel_routing_values_type": "bytes"})");
  ASSERT_TRUE(typed.ok()) << typed.status().ToString();
  EXPECT_EQ(**typed, bytes);

  // Without our custom key (a reference manifest), valid text is a string token.
  spec.routing_values_json = RoutingTokensToJson(
      std::vector<RoutingToken>{CelValue::String("eu"), CelValue::String("caf\xc3\xa9")});
  EXPECT_EQ((*spec.routing_values_json)[1], "\"caf\\u00e9\"");
  typed = RoutingTokensFromManifest(spec, "{}");
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ((**typed)[1], CelValue::String("caf\xc3\xa9"));

  spec.routing_values_json =
      RoutingTokensToJson(std::vector<RoutingToken>{CelValue::Int(-3), CelValue::Int(9)});
  EXPECT_EQ(*spec.routing_values_json, (std::vector<std::string>{"-3", "9"}));
  EXPECT_EQ(**RoutingTokensFromManifest(spec, "{}"),
            (std::vector<RoutingToken>{CelValue::Int(-3), CelValue::Int(9)}));
  Result<std::optional<std::vector<RoutingToken>>> wrong =
      RoutingTokensFromManifest(spec, R"({"cel_routing_values_type": "bytes"})");
  EXPECT_EQ(wrong.status().code(), ErrorCode::kManifestParse);
  wrong = RoutingTokensFromManifest(spec, R"({"cel_routing_values_type": "str"})");
  EXPECT_EQ(wrong.status().code(), ErrorCode::kManifestParse);

  spec.routing_values_json.reset();
  EXPECT_FALSE(RoutingTokensFromManifest(spec, "{}")->has_value()) << "direct mode";
}

TEST(ShardingSpecTest, ColumnsFromManifestRejectUnknownTypes) {
  ShardingSpec spec;
  spec.cel_columns = std::map<std::string, std::string>{{"b", "int"}, {"a", "string"}};
  Result<std::vector<CelColumn>> cols = CelColumnsFromManifest(spec);
  ASSERT_TRUE(cols.ok());
  ASSERT_EQ(cols->size(), 2u);
  EXPECT_EQ((*cols)[0].name, "a");
  EXPECT_EQ((*cols)[1].type, CelType::kInt);
  spec.cel_columns = std::map<std::string, std::string>{{"a", "timestamp"}};
  EXPECT_EQ(CelColumnsFromManifest(spec).status().code(), ErrorCode::kManifestParse);
}

}  // namespace
}  // namespace shardyfusion
