#include "cli/record_source.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace shardyfusion::cli {
namespace {

using Json = nlohmann::ordered_json;

struct ReadAll {
  std::vector<Record> records;
  Status error;
};

ReadAll Read(RecordFormat format, const std::string& text) {
  std::istringstream in(text);
  std::unique_ptr<RecordSource> source = NewRecordSource(format, &in);
  ReadAll all;
  for (;;) {
    Record r;
    Result<bool> more = source->Next(&r);
    if (!more.ok()) {
      all.error = more.status();
      return all;
    }
    if (!*more) return all;
    all.records.push_back(std::move(r));
  }
}

TEST(CliRecordSourceTest, JsonlKeepsTypesAndLineNumbersAndSkipsBlankLines) {
  ReadAll all = Read(RecordFormat::kJsonl,
                     "{\"id\":1,\"name\":\"a\",\"tags\":[1,2]}\n"
                     "\n"
                     "   \r\n"
                     "{\"id\":-2,\"ok\":true,\"x\":null}\r\n"
                     "{\"id\":3.5}");  // no final newline
  ASSERT_TRUE(all.error.ok()) << all.error.ToString();
  ASSERT_EQ(all.records.size(), 3u);
  EXPECT_EQ(all.records[0].line, 1u);
  EXPECT_TRUE(all.records[0].fields["id"].is_number_integer());
  EXPECT_TRUE(all.records[0].fields["tags"].is_array());
  EXPECT_FALSE(all.records[0].text_fields);
  EXPECT_EQ(all.records[1].line, 4u);
  EXPECT_EQ(all.records[1].fields["id"], -2);
  EXPECT_TRUE(all.records[1].fields["ok"].is_boolean());
  EXPECT_EQ(all.records[2].line, 5u);
  EXPECT_TRUE(all.records[2].fields["id"].is_number_float());
}

TEST(CliRecordSourceTest, JsonlKeepsFieldOrder) {
  ReadAll all = Read(RecordFormat::kJsonl, "{\"z\":1,\"a\":2}\n");
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.records[0].fields.dump(), "{\"z\":1,\"a\":2}");
}

TEST(CliRecordSourceTest, JsonlRejectsNonObjectsAndBadJsonWithTheLine) {
  ReadAll not_object = Read(RecordFormat::kJsonl, "{\"a\":1}\n\n[1,2]\n");
  EXPECT_EQ(not_object.error.code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(not_object.records.size(), 1u);
  EXPECT_EQ(not_object.error.message().rfind("line 3: expected a JSON object, found array", 0), 0u)
      << not_object.error.message();

  ReadAll bad = Read(RecordFormat::kJsonl, "{\"a\":1}\n{\"a\":}\n");
  EXPECT_EQ(bad.error.code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(bad.error.message().rfind("line 2: invalid JSON", 0), 0u) << bad.error.message();

  ReadAll bad_utf8 = Read(RecordFormat::kJsonl, "{\"a\":\"\xff\"}\n");
  EXPECT_EQ(bad_utf8.error.message().rfind("line 1: invalid JSON", 0), 0u);
}

TEST(CliRecordSourceTest, CsvHandlesQuotingEmbeddedNewlinesAndLineNumbers) {
  ReadAll all = Read(RecordFormat::kCsv,
                     "id,name,note\r\n"
                     "1,plain,\"a, b\"\r\n"
                     "2,\"say \"\"hi\"\"\",\"two\nlines\"\n"
                     "\n"
                     "3,,\"\"\n"
                     "4,\"x\ny\nz\",last");
  ASSERT_TRUE(all.error.ok()) << all.error.ToString();
  ASSERT_EQ(all.records.size(), 4u);
  EXPECT_EQ(all.records[0].line, 2u);
  EXPECT_EQ(all.records[0].fields.dump(), R"({"id":"1","name":"plain","note":"a, b"})");
  EXPECT_TRUE(all.records[0].text_fields);
  EXPECT_EQ(all.records[1].line, 3u);
  EXPECT_EQ(all.records[1].fields["name"], "say \"hi\"");
  EXPECT_EQ(all.records[1].fields["note"], "two\nlines");
  EXPECT_EQ(all.records[2].line, 6u);  // after the embedded newline and a blank line
  EXPECT_EQ(all.records[2].fields["name"], "");
  EXPECT_EQ(all.records[2].fields["note"], "");
  EXPECT_EQ(all.records[3].line, 7u);
  EXPECT_EQ(all.records[3].fields["name"], "x\ny\nz");
  EXPECT_EQ(all.records[3].fields["note"], "last");
}

TEST(CliRecordSourceTest, CsvKeepsCrLfInsideQuotedFields) {
  ReadAll all = Read(RecordFormat::kCsv, "a\r\n\"x\r\ny\"\r\n");
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.records[0].fields["a"], "x\r\ny");
}

TEST(CliRecordSourceTest, CsvErrorsNameTheLine) {
  ReadAll count = Read(RecordFormat::kCsv, "a,b\n1,2\n1,2,3\n");
  EXPECT_EQ(count.error.code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(count.error.message(), "line 3: expected 2 fields as in the header, found 3");

  ReadAll unterminated = Read(RecordFormat::kCsv, "a,b\n1,2\n3,\"open\nstill open\n");
  EXPECT_EQ(unterminated.error.message().rfind("line 3: unterminated quoted field", 0), 0u)
      << unterminated.error.message();

  ReadAll after_quote = Read(RecordFormat::kCsv, "a,b\n\"x\"y,2\n");
  EXPECT_EQ(after_quote.error.message().rfind("line 2: unexpected character after the closing", 0),
            0u)
      << after_quote.error.message();

  ReadAll stray_quote = Read(RecordFormat::kCsv, "a,b\nx\"y,2\n");
  EXPECT_EQ(stray_quote.error.message().rfind("line 2: quote inside an unquoted field", 0), 0u);

  ReadAll duplicate = Read(RecordFormat::kCsv, "a,a\n1,2\n");
  EXPECT_EQ(duplicate.error.message().rfind("line 1: duplicate column name \"a\"", 0), 0u);

  ReadAll empty = Read(RecordFormat::kCsv, "");
  EXPECT_EQ(empty.error.code(), ErrorCode::kInvalidInput);
}

TEST(CliRecordSourceTest, CsvHeaderOnlyHasNoRecords) {
  ReadAll all = Read(RecordFormat::kCsv, "a,b\n");
  EXPECT_TRUE(all.error.ok());
  EXPECT_TRUE(all.records.empty());
}

TEST(CliRecordSourceTest, TsvSplitsOnTabsWithoutQuoting) {
  ReadAll all = Read(RecordFormat::kTsv, "id\tname\r\n1\t\"quoted\"\r\n\n2\ta,b\n");
  ASSERT_TRUE(all.error.ok()) << all.error.ToString();
  ASSERT_EQ(all.records.size(), 2u);
  EXPECT_EQ(all.records[0].line, 2u);
  EXPECT_EQ(all.records[0].fields.dump(), R"({"id":"1","name":"\"quoted\""})");
  EXPECT_EQ(all.records[1].line, 4u);
  EXPECT_EQ(all.records[1].fields["name"], "a,b");

  ReadAll bad = Read(RecordFormat::kTsv, "id\tname\n1\n");
  EXPECT_EQ(bad.error.message(), "line 2: expected 2 fields as in the header, found 1");
}

// A 60,000-level value once overflowed the stack when the record was
// re-serialised (rc 139); the line is refused instead.
TEST(CliRecordSourceTest, JsonlRefusesValuesNestedTooDeep) {
  const auto nested = [](size_t levels) {
    return "{\"id\":1,\"v\":" + std::string(levels, '[') + std::string(levels, ']') + "}";
  };
  ReadAll all = Read(RecordFormat::kJsonl, "{\"id\":0}\n" + nested(60000) + "\n");
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.error.code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(all.error.message(), "line 2: JSON nested deeper than 1000 levels");
  // At the limit (the object itself is a level), and brackets inside strings
  // do not count.
  all = Read(RecordFormat::kJsonl,
             nested(999) + "\n{\"id\":2,\"s\":\"" + std::string(5000, '[') + "\\\"\"}\n");
  ASSERT_TRUE(all.error.ok()) << all.error.ToString();
  ASSERT_EQ(all.records.size(), 2u);
  EXPECT_EQ(all.records[0].fields.dump().size(), nested(999).size());
}

// A NUL byte after an object once ended the line silently, losing the
// record after it.
TEST(CliRecordSourceTest, JsonlRefusesANulByte) {
  ReadAll all =
      Read(RecordFormat::kJsonl, "{\"id\":1}\n" + std::string("{\"id\":2}\0{\"id\":3}\n", 19));
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.error.code(), ErrorCode::kInvalidInput);
  EXPECT_NE(all.error.message().find("line 2: invalid JSON at column 9: a NUL byte"),
            std::string::npos)
      << all.error.message();
}

TEST(CliRecordSourceTest, AByteOrderMarkStartsNoField) {
  const std::string bom = "\xEF\xBB\xBF";
  for (RecordFormat f : {RecordFormat::kCsv, RecordFormat::kTsv}) {
    const char sep = f == RecordFormat::kCsv ? ',' : '\t';
    ReadAll all = Read(f, bom + "id" + sep + "name\n1" + sep + "a\n");
    ASSERT_TRUE(all.error.ok()) << all.error.ToString();
    ASSERT_EQ(all.records.size(), 1u);
    EXPECT_EQ(all.records[0].fields.begin().key(), "id");
    EXPECT_EQ(all.records[0].fields["id"], "1");
  }
  ReadAll all = Read(RecordFormat::kJsonl, bom + "{\"id\":1}\n");
  ASSERT_TRUE(all.error.ok()) << all.error.ToString();
  ASSERT_EQ(all.records.size(), 1u);
  // Only at the very start: later, it is data.
  all = Read(RecordFormat::kCsv, "id\n" + bom + "1\n");
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.records[0].fields["id"], bom + "1");
}

TEST(CliRecordSourceTest, ParsesFormatNames) {
  EXPECT_EQ(ParseRecordFormat("jsonl"), RecordFormat::kJsonl);
  EXPECT_EQ(ParseRecordFormat("csv"), RecordFormat::kCsv);
  EXPECT_EQ(ParseRecordFormat("tsv"), RecordFormat::kTsv);
  EXPECT_FALSE(ParseRecordFormat("json"));
}

// A source continued at an earlier source's Position() reads exactly the
// records after it, with the same line numbers (a resumed build).
TEST(CliRecordSourceTest, SeekToAPositionContinuesWithTheNextRecord) {
  const std::vector<std::pair<RecordFormat, std::string>> inputs = {
      {RecordFormat::kJsonl, "\xEF\xBB\xBF{\"k\":1}\n\n{\"k\":2}\r\n{\"k\":3}\n{\"k\":4}"},
      {RecordFormat::kCsv, "k,v\n1,\"a\nb\"\n\n2,x\n3,y\n4,z\n"},
      {RecordFormat::kTsv, "k\tv\n1\ta\n2\tb\n\n3\tc\n4\td"}};
  for (const auto& [format, text] : inputs) {
    const ReadAll all = Read(format, text);
    ASSERT_TRUE(all.error.ok()) << all.error.ToString();
    ASSERT_EQ(all.records.size(), 4u);
    for (size_t after = 0; after <= 4; ++after) {
      std::istringstream first(text);
      std::unique_ptr<RecordSource> a = NewRecordSource(format, &first);
      Record r;
      for (size_t i = 0; i < after; ++i) ASSERT_TRUE(*a->Next(&r));
      const std::string position = a->Position();
      std::istringstream second(text);
      std::unique_ptr<RecordSource> b = NewRecordSource(format, &second);
      ASSERT_TRUE(b->SeekTo(position).ok()) << position;
      for (size_t i = after; i < 4; ++i) {
        Result<bool> more = b->Next(&r);
        ASSERT_TRUE(more.ok() && *more) << "record " << i << " after " << position;
        EXPECT_EQ(r.fields, all.records[i].fields);
        EXPECT_EQ(r.line, all.records[i].line);
      }
      Result<bool> end = b->Next(&r);
      ASSERT_TRUE(end.ok());
      EXPECT_FALSE(*end);
    }
  }
  std::istringstream in("{}\n");
  EXPECT_EQ(NewRecordSource(RecordFormat::kJsonl, &in)->SeekTo("twelve").code(),
            ErrorCode::kConfigValidation);
}

}  // namespace
}  // namespace shardyfusion::cli
