// End-to-end CEL routing: the real writer (SQLite and SlateDB shards) on a
// local directory, read back through the sharded reader, in every mode.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <ranges>
#include <sstream>

#include "shardyfusion/reader.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"

namespace shardyfusion {
namespace {

namespace fs = std::filesystem;

// The seed page's record: {"id": i, "region": ..., "payload": "row-<i>"}.
struct Row {
  int64_t id;
  std::string region;
  std::string payload;
};

std::vector<Row> SeedRows(int64_t n) {
  std::vector<Row> rows;
  for (int64_t i = 0; i < n; ++i) {
    rows.push_back({i, i % 2 == 0 ? "us-east" : "eu-west", "row-" + std::to_string(i)});
  }
  return rows;
}

auto RowKey = [](const Row& r) { return r.id; };
auto RowValue = [](const Row& r) { return r.payload; };
auto RowRegion = [](const Row& r) { return std::vector<CelValue>{CelValue::String(r.region)}; };
// With tokens ["eu-west", "us-east"].
auto RegionShard = [](const Row& row) { return row.region == "eu-west" ? 0 : 1; };
auto RegionContext = [](const Row& row) {
  return RoutingContext{{"region", CelValue::String(row.region)}};
};

class CelEndToEndTest : public ::testing::TestWithParam<bool> {  // true = SlateDB shards
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cel_e2e_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    prefix_ = "file://" + dir_ + "/snapshot";
  }
  void TearDown() override { fs::remove_all(dir_); }

  CelShardedWriteConfig Config(std::string expr, std::vector<CelColumn> columns) {
    CelShardedWriteConfig c;
    c.s3_prefix = prefix_;
    c.local_root = dir_ + "/staging";
    c.adapter_factory = GetParam() ? NewSlateDbWriterFactory() : NewSqliteWriterFactory();
    c.cel_expr = std::move(expr);
    c.cel_columns = std::move(columns);
    return c;
  }
  std::unique_ptr<ShardedReader> OpenReader() {
    ReaderOptions o;
    o.local_root = dir_ + "/cache";
    Result<std::unique_ptr<ShardedReader>> r = ShardedReader::Open(prefix_, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
  // Every row reads back, from shard `shard_of(row)`.
  template <typename ShardOf, typename ContextOf>
  void ExpectRowsReadBack(ShardedReader& reader, const std::vector<Row>& rows, ShardOf shard_of,
                          ContextOf context_of) {
    for (const Row& row : rows) {
      const RoutingContext ctx = context_of(row);
      Result<int64_t> db = reader.RouteKey(Key::Int(row.id), ctx);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      ASSERT_EQ(*db, shard_of(row)) << row.id;
      Result<std::optional<std::string>> v = reader.Get(Key::Int(row.id), ctx);
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      ASSERT_EQ(v->value_or("<missing>"), row.payload);
    }
  }
  // Whether any object of run `run_id` is left under the snapshot.
  // Writes `rows` routed by their region into two shards; null on failure.
  std::unique_ptr<ShardedReader> WriteByRegion(const std::vector<Row>& rows,
                                               const CelShardedWriteConfig& config) {
    Result<BuildResult> r =
        WriteCelSharded(rows, config, CelRecordInput{RowKey, RowValue, RowRegion});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return nullptr;
    EXPECT_EQ(r->num_dbs, 2);
    return OpenReader();
  }
  bool RunHasObjects(const std::string& run_id) {
    const fs::path run = dir_ + "/snapshot/shards/run_id=" + run_id;
    if (!fs::exists(run)) return false;
    for (const auto& entry : fs::recursive_directory_iterator(run)) {
      if (entry.is_regular_file()) return true;
    }
    return false;
  }

  std::string dir_;
  std::string prefix_;
};

auto NoContext = [](const Row&) { return RoutingContext(); };

// The seed page configures cel_columns {"key": "int"} with `key % 4u`, which
// strict CEL rejects: `%` has no (int, uint) overload, so it is a compile
// error naming the expression. The closest valid expression is tested.
TEST_P(CelEndToEndTest, SeedExampleKeyModFourU) {
  const std::vector<Row> rows = SeedRows(10000);
  CelShardedWriteConfig seed = Config("key % 4u", {{"key", CelType::kInt}});
  Result<BuildResult> bad = WriteCelSharded(rows, seed, CelRecordInput{RowKey, RowValue});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kConfigValidation);
  // The message names the expression, the position, the mismatch and a fix.
  for (const char* part :
       {"cel_expr does not compile: CEL expression 'key % 4u': line 1, column 5",
        "no matching overload for '_%_' applied to (int, uint)", "uint(x) % 4u"}) {
    EXPECT_NE(bad.status().message().find(part), std::string::npos) << bad.status().message();
  }
  EXPECT_FALSE(fs::exists(dir_ + "/snapshot/_CURRENT"));

  CelShardedWriteConfig config = Config("uint(key) % 4u", {{"key", CelType::kInt}});
  Result<BuildResult> r = WriteCelSharded(rows, config, CelRecordInput{RowKey, RowValue});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, 4);
  EXPECT_EQ(r->stats.rows_written, 10000);
  auto reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  const SnapshotInfo info = reader->snapshot_info();
  EXPECT_EQ(info.sharding.strategy, ShardingSpec::Strategy::kCel);
  EXPECT_EQ(info.sharding.cel_expr, "uint(key) % 4u");
  EXPECT_EQ(info.sharding.cel_columns, (std::map<std::string, std::string>{{"key", "int"}}));
  EXPECT_FALSE(info.sharding.routing_values_json.has_value());
  ExpectRowsReadBack(
      *reader, rows, [](const Row& row) { return row.id % 4; }, NoContext);
  // Absent keys route (key-only: from the key alone) and miss.
  for (int64_t k = 10000; k < 10008; ++k) {
    EXPECT_EQ(*reader->RouteKey(Key::Int(k)), k % 4);
    EXPECT_FALSE(reader->Get(Key::Int(k))->has_value());
  }
}

TEST_P(CelEndToEndTest, CategoricalTwoRegions) {
  const std::vector<Row> rows = SeedRows(2000);
  CelShardedWriteConfig config = Config("region", {{"region", CelType::kString}});
  config.routing_values = {CelValue::String("eu-west"), CelValue::String("us-east")};
  auto reader = WriteByRegion(rows, config);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->snapshot_info().sharding.routing_values_json,
            (std::vector<std::string>{"\"eu-west\"", "\"us-east\""}));
  ExpectRowsReadBack(*reader, rows, RegionShard, RegionContext);
  for (const ShardDetail& d : reader->shard_details()) EXPECT_EQ(d.row_count, 1000);

  // A multi-column snapshot needs its columns.
  Result<std::optional<std::string>> no_ctx = reader->Get(Key::Int(2));
  ASSERT_FALSE(no_ctx.ok());
  EXPECT_EQ(no_ctx.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(no_ctx.status().message().find("missing: region"), std::string::npos)
      << no_ctx.status().message();
  EXPECT_EQ(reader->MultiGet({Key::Int(2)}).status().code(), ErrorCode::kInvalidArgument);
  const RoutingContext typo = {{"regoin", CelValue::String("us-east")},
                               {"region", CelValue::String("us-east")}};
  EXPECT_EQ(reader->Get(Key::Int(2), typo).status().code(), ErrorCode::kInvalidArgument);
  const RoutingContext wrong_kind = {{"region", CelValue::Int(1)}};
  EXPECT_FALSE(reader->Get(Key::Int(2), wrong_kind).ok());

  // An unknown token: a miss for lookups, an error for route.
  const RoutingContext unknown = {{"region", CelValue::String("ap-south")}};
  Result<std::optional<std::string>> miss = reader->Get(Key::Int(2), unknown);
  ASSERT_TRUE(miss.ok()) << miss.status().ToString();
  EXPECT_FALSE(miss->has_value());
  Result<std::vector<std::optional<std::string>>> many =
      reader->MultiGet({Key::Int(1), Key::Int(2)}, unknown);
  ASSERT_TRUE(many.ok());
  EXPECT_FALSE((*many)[0].has_value());
  Result<int64_t> route = reader->RouteKey(Key::Int(2), unknown);
  ASSERT_FALSE(route.ok());
  EXPECT_EQ(route.status().code(), ErrorCode::kShardAssignment);
  EXPECT_NE(route.status().message().find("\"ap-south\""), std::string::npos);
  EXPECT_EQ(reader->ShardForKey(Key::Int(2), unknown).status().code(), ErrorCode::kShardAssignment);

  // The right shard and a wrong one: routing by context only.
  const RoutingContext us = {{"region", CelValue::String("us-east")}};
  Result<std::vector<std::optional<std::string>>> both =
      reader->MultiGet({Key::Int(2), Key::Int(3)}, us);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ((*both)[0], "row-2");
  EXPECT_FALSE((*both)[1].has_value()) << "key 3 lives in eu-west";
}

TEST_P(CelEndToEndTest, UnknownTokenStopsTheWriter) {
  const std::vector<Row> rows = SeedRows(10);
  CelShardedWriteConfig config = Config("region", {{"region", CelType::kString}});
  config.routing_values = {CelValue::String("us-east")};
  Result<BuildResult> r =
      WriteCelSharded(rows, config, CelRecordInput{RowKey, RowValue, RowRegion});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kShardAssignment);
  EXPECT_NE(r.status().message().find("key 1:"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("\"eu-west\""), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(dir_ + "/snapshot/_CURRENT"));
}

TEST_P(CelEndToEndTest, InferredCategoricalSortsTokens) {
  const std::vector<Row> rows = SeedRows(500);
  CelShardedWriteConfig config = Config("region", {{"region", CelType::kString}});
  config.infer_routing_values_from_data = true;
  auto reader = WriteByRegion(rows, config);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->snapshot_info().routing_values,
            (std::vector<RoutingToken>{CelValue::String("eu-west"), CelValue::String("us-east")}));
  ExpectRowsReadBack(*reader, rows, RegionShard, RegionContext);
}

TEST_P(CelEndToEndTest, InferredIntTokensSortNumerically) {
  // key % 10 - 5 gives -5..4: numeric order differs from text order.
  const std::vector<Row> rows = SeedRows(100);
  CelShardedWriteConfig config = Config("key % 10 - 5", {{"key", CelType::kInt}});
  config.infer_routing_values_from_data = true;
  Result<BuildResult> r = WriteCelSharded(rows, config, CelRecordInput{RowKey, RowValue});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, 10);
  auto reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  std::vector<RoutingToken> expected;
  for (int64_t t = -5; t < 5; ++t) expected.push_back(CelValue::Int(t));
  EXPECT_EQ(reader->snapshot_info().routing_values, expected);
  ExpectRowsReadBack(
      *reader, rows, [](const Row& row) { return row.id % 10; }, NoContext);
}

// The reference refuses inference in parallel mode; here routing happens on
// the producer in both modes, so it works the same.
TEST_P(CelEndToEndTest, InferredRoutingInParallelMode) {
  const std::vector<Row> rows = SeedRows(3000);
  CelShardedWriteConfig config = Config("key % 10 - 5", {{"key", CelType::kInt}});
  config.infer_routing_values_from_data = true;
  config.batch_size = 50;
  WriteOptions options;
  options.parallel = true;
  options.workers = 3;
  Result<BuildResult> r = WriteCelSharded(rows, config, CelRecordInput{RowKey, RowValue}, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, 10);
  EXPECT_EQ(r->stats.rows_written, 3000);
  auto reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  ExpectRowsReadBack(
      *reader, rows, [](const Row& row) { return row.id % 10; }, NoContext);
}

TEST_P(CelEndToEndTest, InferenceNeedsAReiterableRange) {
  std::istringstream ids("1 2 3");
  CelShardedWriteConfig config = Config("key % 2", {{"key", CelType::kInt}});
  config.infer_routing_values_from_data = true;
  Result<BuildResult> r = WriteCelSharded(
      std::views::istream<int64_t>(ids), config,
      CelRecordInput{[](int64_t i) { return i; }, [](int64_t i) { return std::to_string(i); }});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(r.status().message().find("re-iterable"), std::string::npos);
}

TEST_P(CelEndToEndTest, PushWriterTwoPassInference) {
  CelShardedWriteConfig config = Config("region", {{"region", CelType::kString}});
  config.infer_routing_values_from_data = true;
  auto w = CelShardedWriter::Open(config);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  const std::vector<Row> rows = SeedRows(20);
  for (const Row& row : rows) ASSERT_TRUE((*w)->Observe(Key::Int(row.id), RowRegion(row)).ok());
  for (const Row& row : rows) {
    ASSERT_TRUE((*w)->Add(Key::Int(row.id), row.payload, RowRegion(row)).ok());
  }
  EXPECT_EQ((*w)->Observe(Key::Int(0), RowRegion(rows[0])).code(), ErrorCode::kInvalidArgument)
      << "Observe after Add";
  const std::vector<CelValue> unseen = {CelValue::String("ap-south")};
  Status st = (*w)->Add(Key::Int(99), "x", unseen);
  EXPECT_EQ(st.code(), ErrorCode::kShardAssignment) << "a token no Observe saw";
  (*w)->Abort();
  EXPECT_FALSE(fs::exists(dir_ + "/snapshot/_CURRENT"));
}

TEST_P(CelEndToEndTest, BytesTokensRoundTripThroughTheManifest) {
  const std::string odd("\xff\x00\xfe", 3);  // not UTF-8
  CelShardedWriteConfig config = Config("tag", {{"tag", CelType::kBytes}});
  config.routing_values = {CelValue::Bytes(odd), CelValue::Bytes("ab")};
  const std::vector<Row> rows = SeedRows(40);
  auto tag = [&](const Row& row) {
    return std::vector<CelValue>{CelValue::Bytes(row.id % 2 ? "ab" : odd)};
  };
  Result<BuildResult> r = WriteCelSharded(rows, config, CelRecordInput{RowKey, RowValue, tag});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  const SnapshotInfo info = reader->snapshot_info();
  EXPECT_EQ(info.routing_values, config.routing_values);
  EXPECT_EQ(info.sharding.routing_values_json,
            (std::vector<std::string>{"\"\\udcff\\u0000\\udcfe\"", "\"ab\""}));
  ExpectRowsReadBack(
      *reader, rows, [](const Row& row) { return row.id % 2; },
      [&](const Row& row) {
        return RoutingContext{{"tag", tag(row)[0]}};
      });
  // A string result is not a bytes token.
  const RoutingContext as_text = {{"tag", CelValue::String("ab")}};
  EXPECT_FALSE(reader->Get(Key::Int(1), as_text).ok()) << "tag is declared bytes";
}

TEST_P(CelEndToEndTest, DirectModeNonDenseIdsPublishNothing) {
  // A published snapshot first: a failed build must leave it current.
  CelShardedWriteConfig first = Config("key % 2", {{"key", CelType::kInt}});
  first.run_id = "good";
  const std::vector<Row> rows = SeedRows(10);
  ASSERT_TRUE(WriteCelSharded(rows, first, CelRecordInput{RowKey, RowValue}).ok());

  CelShardedWriteConfig config = Config("key * 2", {{"key", CelType::kInt}});
  config.run_id = "sparse";
  config.batch_size = 1;  // shard writers open (and upload) before the ids are checked
  Result<BuildResult> r = WriteCelSharded(rows, config, CelRecordInput{RowKey, RowValue});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kShardAssignment);
  EXPECT_NE(r.status().message().find("dense 0..18"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("1, 3, 5"), std::string::npos) << r.status().message();
  EXPECT_FALSE(RunHasObjects("sparse"));
  auto reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->snapshot_info().run_id, "good");
}

TEST_P(CelEndToEndTest, DirectModeBadIdsAreAssignmentErrors) {
  const std::vector<Row> rows = SeedRows(10);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"key - 5", "key 0: CEL result -5 gives shard id -5"},
      {"key * 100000", "key 1: CEL result 100000 gives shard id 100000, outside [0, 65536)"},
      {"string(key) + \"x\"", "key 0: CEL result \"0x\" is not a decimal integer"},
      {"double(key)", "key 0: CEL result"},
      {"10 / (3 - key)", "key 3: cel_expr \"10 / (3 - key)\" failed"},
  };
  for (const auto& [expr, message] : cases) {
    CelShardedWriteConfig config = Config(expr, {{"key", CelType::kInt}});
    Result<BuildResult> r = WriteCelSharded(rows, config, CelRecordInput{RowKey, RowValue});
    ASSERT_FALSE(r.ok()) << expr;
    EXPECT_EQ(r.status().code(), ErrorCode::kShardAssignment) << expr;
    EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(fs::exists(dir_ + "/snapshot/_CURRENT"));
}

TEST_P(CelEndToEndTest, DirectModeStringResultsAndReaderBounds) {
  const std::vector<Row> rows = SeedRows(30);
  CelShardedWriteConfig config = Config("string(key % 3)", {{"key", CelType::kInt}});
  Result<BuildResult> r = WriteCelSharded(rows, config, CelRecordInput{RowKey, RowValue});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, 3);
  auto reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  ExpectRowsReadBack(
      *reader, rows, [](const Row& row) { return row.id % 3; }, NoContext);
  // -1 % 3 is -1 in CEL: outside [0, num_dbs), a miss (the reference does
  // not bounds-check) and a route error.
  EXPECT_FALSE(reader->Get(Key::Int(-1))->has_value());
  Result<int64_t> route = reader->RouteKey(Key::Int(-1));
  ASSERT_FALSE(route.ok());
  EXPECT_NE(route.status().message().find("outside [0, 3)"), std::string::npos);
}

TEST_P(CelEndToEndTest, KeyOnlyShardHashOverStringKeys) {
  CelShardedWriteConfig config = Config("shard_hash(key) % 5u", {{"key", CelType::kString}});
  config.key_encoding = KeyEncoding::kUtf8;
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("user:" + std::to_string(i));
  Result<BuildResult> r =
      WriteCelSharded(keys, config,
                      CelRecordInput{[](const std::string& k) { return Key::Str(k); },
                                     [](const std::string& k) { return "v-" + k; }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, 5);
  auto reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  for (const std::string& k : keys) {
    EXPECT_EQ(*reader->RouteKey(Key::Str(k)), static_cast<int64_t>(ShardHash(Key::Str(k)) % 5));
    EXPECT_EQ(reader->Get(Key::Str(k))->value_or(""), "v-" + k);
  }
  EXPECT_FALSE(reader->Get(Key::Str("absent"))->has_value());
}

TEST_P(CelEndToEndTest, EmptyInputs) {
  CelShardedWriteConfig direct = Config("key", {{"key", CelType::kInt}});
  Result<BuildResult> r =
      WriteCelSharded(std::vector<Row>{}, direct, CelRecordInput{RowKey, RowValue});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, 1) << "direct mode with no rows";
  CelShardedWriteConfig inferred = Config("key % 2", {{"key", CelType::kInt}});
  inferred.infer_routing_values_from_data = true;
  r = WriteCelSharded(std::vector<Row>{}, inferred, CelRecordInput{RowKey, RowValue});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, 1);
  auto reader = OpenReader();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->snapshot_info().routing_values, std::vector<RoutingToken>{});
  EXPECT_FALSE(reader->Get(Key::Int(0))->has_value()) << "every token is unknown";
}

INSTANTIATE_TEST_SUITE_P(Backends, CelEndToEndTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "SlateDb" : "Sqlite"; });

}  // namespace
}  // namespace shardyfusion
