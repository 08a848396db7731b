#include "cli/record_mapping.h"

#include <gtest/gtest.h>

namespace shardyfusion::cli {
namespace {

using Json = nlohmann::ordered_json;

Record JsonRecord(const char* text, uint64_t line = 7) {
  Record r;
  r.line = line;
  r.fields = Json::parse(text);
  return r;
}

Record TextRecord(std::initializer_list<std::pair<const char*, const char*>> fields) {
  Record r;
  r.line = 4;
  r.fields = Json::object();
  for (const auto& [name, value] : fields) r.fields[name] = value;
  r.text_fields = true;
  return r;
}

RecordMapping Mapping(KeyType type, std::optional<std::string> value_field = std::nullopt) {
  RecordMapping m;
  m.key_field = "k";
  m.key_type = type;
  m.value_field = std::move(value_field);
  return m;
}

TEST(CliRecordMappingTest, IntKeysFromJsonIntegers) {
  Key key;
  ASSERT_TRUE(ExtractKey(Mapping(KeyType::kInt), JsonRecord(R"({"k":42})"), &key).ok());
  EXPECT_EQ(key, Key::Int(42));
  ASSERT_TRUE(ExtractKey(Mapping(KeyType::kInt), JsonRecord(R"({"k":-5})"), &key).ok());
  EXPECT_EQ(key, Key::Int(-5));
  ASSERT_TRUE(
      ExtractKey(Mapping(KeyType::kInt), JsonRecord(R"({"k":9223372036854775807})"), &key).ok());
  EXPECT_EQ(key, Key::Int(INT64_MAX));
}

TEST(CliRecordMappingTest, IntKeyErrorsNameLineAndProblem) {
  Key key;
  Status s = ExtractKey(Mapping(KeyType::kInt), JsonRecord(R"({"k":"42"})"), &key);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(s.message(),
            "line 7: key field \"k\" must be a JSON integer for --key-type int, found string");
  s = ExtractKey(Mapping(KeyType::kInt), JsonRecord(R"({"k":1.5})"), &key);
  EXPECT_NE(s.message().find("found number"), std::string::npos) << s.message();
  s = ExtractKey(Mapping(KeyType::kInt), JsonRecord(R"({"k":true})"), &key);
  EXPECT_NE(s.message().find("found boolean"), std::string::npos) << s.message();
  s = ExtractKey(Mapping(KeyType::kInt), JsonRecord(R"({"k":9223372036854775808})"), &key);
  EXPECT_NE(s.message().find("line 7: key field \"k\" value 9223372036854775808 is out of"),
            std::string::npos)
      << s.message();
  s = ExtractKey(Mapping(KeyType::kInt), JsonRecord(R"({"other":1})"), &key);
  EXPECT_EQ(s.message(), "line 7: key field \"k\" is missing");
}

TEST(CliRecordMappingTest, IntKeysFromTextMustParseEntirely) {
  Key key;
  ASSERT_TRUE(ExtractKey(Mapping(KeyType::kInt), TextRecord({{"k", "-12"}}), &key).ok());
  EXPECT_EQ(key, Key::Int(-12));
  for (const char* bad : {"", "12a", " 12", "+12", "1.0", "0x10"}) {
    Status s = ExtractKey(Mapping(KeyType::kInt), TextRecord({{"k", bad}}), &key);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidInput) << bad;
    EXPECT_NE(s.message().find("line 4: key field \"k\" value"), std::string::npos);
    EXPECT_NE(s.message().find("is not an integer"), std::string::npos) << s.message();
  }
  Status s = ExtractKey(Mapping(KeyType::kInt), TextRecord({{"k", "99999999999999999999"}}), &key);
  EXPECT_NE(s.message().find("out of the signed 64-bit integer range"), std::string::npos);
}

TEST(CliRecordMappingTest, StrAndBytesKeys) {
  Key key;
  ASSERT_TRUE(ExtractKey(Mapping(KeyType::kStr), JsonRecord(R"({"k":"h\u00e9"})"), &key).ok());
  EXPECT_EQ(key, Key::Str("h\xC3\xA9"));
  ASSERT_TRUE(ExtractKey(Mapping(KeyType::kStr), TextRecord({{"k", "7"}}), &key).ok());
  EXPECT_EQ(key, Key::Str("7"));
  Status s = ExtractKey(Mapping(KeyType::kStr), JsonRecord(R"({"k":7})"), &key);
  EXPECT_EQ(s.message(),
            "line 7: key field \"k\" must be a JSON string for --key-type str, "
            "found number");

  ASSERT_TRUE(ExtractKey(Mapping(KeyType::kBytes), JsonRecord(R"({"k":"AP8="})"), &key).ok());
  EXPECT_EQ(key, Key::Bytes(std::string("\x00\xff", 2)));
  s = ExtractKey(Mapping(KeyType::kBytes), JsonRecord(R"({"k":"AP8"})"), &key);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(s.message().rfind("line 7: key field \"k\" is not valid base64", 0), 0u);
}

TEST(CliRecordMappingTest, ValueFieldStringIsRawAndOtherJsonIsCompact) {
  std::string value;
  const Record r = JsonRecord(R"({"k":1,"s":"t\u00e9xt","n":12,"o":{"b":1, "a":[1, 2]},"z":null})");
  ASSERT_TRUE(ExtractValue(Mapping(KeyType::kInt, "s"), r, &value).ok());
  EXPECT_EQ(value, "t\xC3\xA9xt");
  ASSERT_TRUE(ExtractValue(Mapping(KeyType::kInt, "n"), r, &value).ok());
  EXPECT_EQ(value, "12");
  ASSERT_TRUE(ExtractValue(Mapping(KeyType::kInt, "o"), r, &value).ok());
  EXPECT_EQ(value, R"({"b":1,"a":[1,2]})");
  ASSERT_TRUE(ExtractValue(Mapping(KeyType::kInt, "z"), r, &value).ok());
  EXPECT_EQ(value, "null");
  Status s = ExtractValue(Mapping(KeyType::kInt, "missing"), r, &value);
  EXPECT_EQ(s.message(), "line 7: value field \"missing\" is missing");
}

TEST(CliRecordMappingTest, WholeRecordValueIsCompactJsonInFieldOrder) {
  std::string value;
  ASSERT_TRUE(
      ExtractValue(Mapping(KeyType::kInt), JsonRecord(R"({ "k" : 1, "b" : [true, null] })"), &value)
          .ok());
  EXPECT_EQ(value, R"({"k":1,"b":[true,null]})");
  ASSERT_TRUE(
      ExtractValue(Mapping(KeyType::kInt), TextRecord({{"k", "1"}, {"a", "x"}}), &value).ok());
  EXPECT_EQ(value, R"({"k":"1","a":"x"})");
  // CSV text that is not UTF-8 cannot become JSON.
  Status s = ExtractValue(Mapping(KeyType::kInt), TextRecord({{"k", "1"}, {"a", "\xff"}}), &value);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(s.message().rfind("line 4: the record is not valid UTF-8", 0), 0u);
}

TEST(CliRecordMappingTest, DefaultEncodings) {
  EXPECT_EQ(DefaultKeyEncoding(KeyType::kInt), KeyEncoding::kU64BE);
  EXPECT_EQ(DefaultKeyEncoding(KeyType::kStr), KeyEncoding::kUtf8);
  EXPECT_EQ(DefaultKeyEncoding(KeyType::kBytes), KeyEncoding::kRaw);
  EXPECT_EQ(ParseKeyType("bytes"), KeyType::kBytes);
  EXPECT_FALSE(ParseKeyType("float"));
}

TEST(CliRecordMappingTest, CelColumnsFromJsonFields) {
  const std::vector<CelColumn> columns = {{"i", CelType::kInt},    {"u", CelType::kUint},
                                          {"d", CelType::kDouble}, {"s", CelType::kString},
                                          {"b", CelType::kBytes},  {"t", CelType::kBool}};
  std::vector<CelValue> values;
  ASSERT_TRUE(ExtractColumns(columns,
                             JsonRecord(R"({"i":-3,"u":18446744073709551615,"d":2,"s":"x",)"
                                        R"("b":"/wA=","t":true})"),
                             &values)
                  .ok());
  EXPECT_EQ(values, (std::vector<CelValue>{CelValue::Int(-3), CelValue::Uint(UINT64_MAX),
                                           CelValue::Double(2), CelValue::String("x"),
                                           CelValue::Bytes(std::string("\xff\x00", 2)),
                                           CelValue::Bool(true)}));
  Status st = ExtractColumns({{"u", CelType::kUint}}, JsonRecord(R"({"u":-1})"), &values);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidInput);
  EXPECT_NE(st.message().find("line 7: CEL column field \"u\" must be a non-negative JSON integer"),
            std::string::npos)
      << st.message();
  st = ExtractColumns({{"b", CelType::kBytes}}, JsonRecord(R"({"b":"not base64"})"), &values);
  EXPECT_NE(st.message().find("base64"), std::string::npos) << st.message();
  st = ExtractColumns({{"gone", CelType::kInt}}, JsonRecord(R"({"k":1})"), &values);
  EXPECT_NE(st.message().find("line 7: CEL column field \"gone\" is missing"), std::string::npos);
}

TEST(CliRecordMappingTest, CelColumnsFromCsvText) {
  std::vector<CelValue> values;
  ASSERT_TRUE(ExtractColumns({{"region", CelType::kString}, {"n", CelType::kInt}},
                             TextRecord({{"region", "eu"}, {"n", "12"}}), &values)
                  .ok());
  EXPECT_EQ(values, (std::vector<CelValue>{CelValue::String("eu"), CelValue::Int(12)}));
  Status st = ExtractColumns({{"n", CelType::kInt}}, TextRecord({{"n", "twelve"}}), &values);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidInput);
  EXPECT_NE(st.message().find("line 4: CEL column field \"n\""), std::string::npos) << st.message();
}

}  // namespace
}  // namespace shardyfusion::cli
