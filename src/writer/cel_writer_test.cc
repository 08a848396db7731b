// CelShardedWriter's configuration checks: all before any I/O.
#include <gtest/gtest.h>

#include "shardyfusion/writer.h"

namespace shardyfusion {
namespace {

CelShardedWriteConfig ValidConfig() {
  CelShardedWriteConfig c;
  c.s3_prefix = "memory://cel-writer-test/snap";
  c.local_root = ::testing::TempDir() + "/cel_writer_test_staging";
  c.cel_expr = "key % 4";
  c.cel_columns = {{"key", CelType::kInt}};
  return c;
}

void ExpectConfigError(const CelShardedWriteConfig& config, const std::string& message) {
  Result<std::unique_ptr<CelShardedWriter>> w = CelShardedWriter::Open(config);
  ASSERT_FALSE(w.ok()) << message;
  EXPECT_EQ(w.status().code(), ErrorCode::kConfigValidation) << w.status().ToString();
  EXPECT_NE(w.status().message().find(message), std::string::npos) << w.status().message();
}

TEST(CelWriterConfigTest, ValidConfigOpens) {
  Result<std::unique_ptr<CelShardedWriter>> w = CelShardedWriter::Open(ValidConfig());
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->num_dbs(), 0u) << "direct mode discovers its shards";
  (*w)->Abort();
}

// Direct mode with a known shard count: the shards exist up front, empty
// ones are fine, and an id beyond them names the key.
TEST(CelWriterConfigTest, DirectModeWithAKnownShardCount) {
  CelShardedWriteConfig c = ValidConfig();
  c.s3_prefix = "memory://cel-writer-test-known/snap";
  c.num_dbs = 6;
  Result<std::unique_ptr<CelShardedWriter>> w = CelShardedWriter::Open(c);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->num_dbs(), 6u);
  for (int64_t k = 0; k < 40; ++k) {
    ASSERT_TRUE((*w)->Add(Key::Int(k), "v").ok());
  }
  Result<BuildResult> r = (*w)->Finish();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, 6);
  EXPECT_EQ(r->winners.size(), 4u);  // key % 4: shards 4 and 5 stay empty

  c = ValidConfig();
  c.cel_expr = "key";
  c.num_dbs = 3;
  w = CelShardedWriter::Open(c);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Status st = (*w)->Add(Key::Int(3), "v");
  EXPECT_EQ(st.code(), ErrorCode::kShardAssignment) << st.ToString();
  (*w)->Abort();

  c = ValidConfig();
  c.num_dbs = 0;
  ExpectConfigError(c, "num_dbs must be 1..");
  c = ValidConfig();
  c.num_dbs = 2;
  c.routing_values = std::vector<RoutingToken>{CelValue::Int(0), CelValue::Int(1)};
  ExpectConfigError(c, "num_dbs applies to CEL direct mode only");
}

TEST(CelWriterConfigTest, RejectsBadExpressionsAndColumns) {
  CelShardedWriteConfig c = ValidConfig();
  c.cel_expr = "";
  ExpectConfigError(c, "cel_expr is required");
  c = ValidConfig();
  c.cel_expr = "key +";
  ExpectConfigError(c, "cel_expr does not compile: CEL expression 'key +'");
  c = ValidConfig();
  c.cel_expr = "region";
  ExpectConfigError(c, "undeclared reference to 'region'");
  c = ValidConfig();
  c.cel_columns = {};
  ExpectConfigError(c, "cel_columns must declare at least one column");
  c = ValidConfig();
  c.cel_columns = {{"a", CelType::kInt}, {"a", CelType::kInt}};
  c.cel_expr = "a";
  ExpectConfigError(c, "does not compile");
}

// One shard per token: more tokens than kMaxNumDbs are refused, given or
// inferred (the inferred set would otherwise grow with the data).
TEST(CelWriterConfigTest, TokensAreLimitedToTheShardLimit) {
  CelShardedWriteConfig c = ValidConfig();
  c.cel_expr = "key";
  c.routing_values.emplace();
  for (int64_t i = 0; i <= kMaxNumDbs; ++i) c.routing_values->push_back(CelValue::Int(i));
  ExpectConfigError(c, "routing_values has 65537 tokens, one shard each");

  c = ValidConfig();
  c.cel_expr = "key";
  c.infer_routing_values_from_data = true;
  Result<std::unique_ptr<CelShardedWriter>> w = CelShardedWriter::Open(c);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Status st;
  int64_t i = 0;
  for (; st.ok() && i <= kMaxNumDbs; ++i) st = (*w)->Observe(Key::Int(i));
  EXPECT_EQ(i, int64_t{kMaxNumDbs} + 1) << "the 65537th distinct value is refused";
  EXPECT_EQ(st.code(), ErrorCode::kConfigValidation) << st.ToString();
  EXPECT_NE(st.message().find("more than 65536 distinct routing values"), std::string::npos)
      << st.message();
  (*w)->Abort();
}

TEST(CelWriterConfigTest, RejectsBadRoutingValues) {
  CelShardedWriteConfig c = ValidConfig();
  c.routing_values = {CelValue::Int(1), CelValue::String("1")};
  ExpectConfigError(c, "must all share one type");
  c.routing_values = {CelValue::Int(1), CelValue::Int(1)};
  ExpectConfigError(c, "must be unique");
  c.routing_values = {CelValue::Bool(true)};
  ExpectConfigError(c, "must be an int, a string or bytes");
  c.routing_values = {CelValue::Double(1.5)};
  ExpectConfigError(c, "must be an int, a string or bytes");
  c.routing_values = {CelValue::Int(1)};
  c.infer_routing_values_from_data = true;
  ExpectConfigError(c, "exclusive");
}

TEST(CelWriterConfigTest, KeyOnlyColumnMustFitTheKeyEncoding) {
  CelShardedWriteConfig c = ValidConfig();
  c.cel_columns = {{"key", CelType::kString}};
  c.cel_expr = "key";
  ExpectConfigError(c, "does not fit key_encoding u64be");
  c.key_encoding = KeyEncoding::kUtf8;
  c.cel_columns = {{"key", CelType::kInt}};
  c.cel_expr = "key";
  ExpectConfigError(c, "does not fit key_encoding utf8");
  c.cel_columns = {{"key", CelType::kDouble}};
  ExpectConfigError(c, "does not fit");
}

TEST(CelWriterConfigTest, SharedSettingsAreCheckedToo) {
  CelShardedWriteConfig c = ValidConfig();
  c.batch_size = 0;
  ExpectConfigError(c, "batch_size must be > 0");
  c = ValidConfig();
  c.s3_prefix = "";
  ExpectConfigError(c, "s3_prefix is required");
}

TEST(CelWriterConfigTest, ObserveOnlyInInferredMode) {
  Result<std::unique_ptr<CelShardedWriter>> w = CelShardedWriter::Open(ValidConfig());
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->Observe(Key::Int(1)).code(), ErrorCode::kInvalidArgument);
  (*w)->Abort();
}

}  // namespace
}  // namespace shardyfusion
