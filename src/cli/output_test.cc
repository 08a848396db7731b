#include "cli/output.h"

#include <gtest/gtest.h>

#include <sstream>

namespace shardyfusion::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string Emit(const Json& result, OutputFormat format, std::string null_repr = "null") {
  OutputOptions options;
  options.format = format;
  options.null_repr = std::move(null_repr);
  std::ostringstream out;
  EmitResult(result, options, out);
  return out.str();
}

TEST(CliOutputTest, KeysRenderAsNumbersOrStrings) {
  EXPECT_EQ(KeyToJson(Key::Int(-3)).dump(), "-3");
  EXPECT_EQ(KeyToJson(Key::Str("a\"b")).dump(), R"("a\"b")");
  EXPECT_EQ(KeyToJson(Key::Bytes("\xff")).dump(), "\"\xEF\xBF\xBD\"");
}

TEST(CliOutputTest, JsonFormats) {
  const Json result = {{"op", "route"}, {"key", 7}, {"db_id", 2}};
  EXPECT_EQ(Emit(result, OutputFormat::kJsonl), "{\"op\":\"route\",\"key\":7,\"db_id\":2}\n");
  EXPECT_EQ(Emit(result, OutputFormat::kJson),
            "{\n  \"op\": \"route\",\n  \"key\": 7,\n  \"db_id\": 2\n}\n");
}

TEST(CliOutputTest, TextRenderings) {
  EXPECT_EQ(Emit({{"op", "route"}, {"key", "abc"}, {"db_id", 2}}, OutputFormat::kText),
            "abc -> shard 2\n");
  EXPECT_EQ(
      Emit({{"op", "get"}, {"key", 1}, {"found", true}, {"value", "dg=="}}, OutputFormat::kText),
      "dg==\n");
  EXPECT_EQ(Emit({{"op", "get"}, {"key", 1}, {"found", false}, {"value", "NONE"}},
                 OutputFormat::kText, "NONE"),
            "NONE\n");
  const Json multi = {{"op", "multiget"},
                      {"results", Json::array({{{"key", 1}, {"found", true}, {"value", "x"}},
                                               {{"key", 2}, {"found", false}}})}};
  EXPECT_EQ(Emit(multi, OutputFormat::kText, "-"), "1=x\n2=-\n");
}

TEST(CliOutputTest, TableAlignsColumns) {
  EXPECT_EQ(RenderTable({"A", "LONGER"}, {{"wide cell", "1"}, {"x", "22"}}),
            "A          LONGER\n"
            "-----------------\n"
            "wide cell  1\n"
            "x          22\n");
  const Json history = {
      {"op", "history"},
      {"manifests",
       Json::array({{{"offset", 0}, {"run_id", "r2"}, {"published_at", "t2"}, {"ref", "u2"}},
                    {{"offset", 1}, {"run_id", "r1"}, {"published_at", "t1"}, {"ref", "u1"}}})}};
  EXPECT_EQ(Emit(history, OutputFormat::kTable),
            "OFFSET  RUN_ID  PUBLISHED_AT  REF\n"
            "---------------------------------\n"
            "0       r2      t2            u2\n"
            "1       r1      t1            u1\n");
  const Json shards = {{"op", "shards"},
                       {"shards", Json::array({{{"db_id", 0},
                                                {"row_count", 0},
                                                {"min_key", nullptr},
                                                {"max_key", nullptr},
                                                {"db_url", nullptr}}})}};
  EXPECT_EQ(Emit(shards, OutputFormat::kTable, "-"),
            "DB_ID  ROW_COUNT  MIN_KEY  MAX_KEY  DB_URL\n"
            "------------------------------------------\n"
            "0      0          -        -        -\n");
}

TEST(CliOutputTest, ErrorsAreJsonObjects) {
  OutputOptions options;
  std::ostringstream err;
  EmitError("get", "ReaderState: boom", Json("k1"), options, err);
  EXPECT_EQ(err.str(), "{\"op\":\"get\",\"error\":\"ReaderState: boom\",\"key\":\"k1\"}\n");
  std::ostringstream err2;
  EmitError("info", "x", std::nullopt, options, err2);
  EXPECT_EQ(err2.str(), "{\"op\":\"info\",\"error\":\"x\"}\n");
}

TEST(CliOutputTest, ParsesFormatNames) {
  EXPECT_EQ(ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_FALSE(ParseOutputFormat("yaml"));
}

}  // namespace
}  // namespace shardyfusion::cli
