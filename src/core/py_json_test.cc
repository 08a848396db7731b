#include "core/py_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace shardyfusion {
namespace {

using nlohmann::json;

// Every expected string in this file was produced by Debian's
// /usr/bin/python3 (3.11) json module, e.g.
//   python3 -c 'import json; print(json.dumps([1.0, 1e20]))'

TEST(PyJsonTest, FloatsMatchPythonRepr) {
  json v = json::array({1.0,
                        1e20,
                        1.5e-7,
                        1e16,
                        1e15,
                        123456789012345678.0,
                        0.0001,
                        0.00001,
                        -0.0,
                        0.1,
                        1.0 / 3,
                        2.5e-300,
                        5e-324,
                        1.7976931348623157e308,
                        std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity(),
                        std::numeric_limits<double>::quiet_NaN(),
                        100.0,
                        1e22,
                        12345.678});
  EXPECT_EQ(PyJsonDumps(v),
            "[1.0, 1e+20, 1.5e-07, 1e+16, 1000000000000000.0, 1.2345678901234568e+17, 0.0001, "
            "1e-05, -0.0, 0.1, 0.3333333333333333, 2.5e-300, 5e-324, 1.7976931348623157e+308, "
            "Infinity, -Infinity, NaN, 100.0, 1e+22, 12345.678]");
}

TEST(PyJsonTest, IntegersMatchPython) {
  json v = json::array(
      {std::numeric_limits<int64_t>::min(), std::numeric_limits<uint64_t>::max(), 0, -1});
  // python3: json.dumps([-9223372036854775808, 18446744073709551615, 0, -1])
  EXPECT_EQ(PyJsonDumps(v), "[-9223372036854775808, 18446744073709551615, 0, -1]");
}

TEST(PyJsonTest, StringEscapesMatchEnsureAscii) {
  // python3: json.dumps("a\"\\\n\r\t\b\f\x00\x1f\x7f\x80é日本😀/<>&'")
  const std::string s = "a\"\\\n\r\t\b\f" + std::string(1, '\0') +
                        "\x1f\x7f\xc2\x80\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x98\x80/<>&'";
  EXPECT_EQ(PyJsonDumps(json(s)),
            "\"a\\\"\\\\\\n\\r\\t\\b\\f\\u0000\\u001f\\u007f\\u0080\\u00e9\\u65e5\\u672c"
            "\\ud83d\\ude00/<>&'\"");
}

TEST(PyJsonTest, InvalidUtf8UsesSurrogateEscape) {
  // python3: json.dumps(b"\xff\xfeab\xc3\xa9\xe6\x97a\xed\xa0\x80\xf4\x90\x80\x80"
  //                     b"\xc0\xaf\xf0\x9f\x98\x80".decode("utf-8", "surrogateescape"))
  const std::string bytes =
      "\xff\xfe"
      "ab\xc3\xa9\xe6\x97"
      "a\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf\xf0\x9f\x98\x80";
  const std::string expected =
      "\"\\udcff\\udcfeab\\u00e9\\udce6\\udc97a\\udced\\udca0\\udc80\\udcf4\\udc90\\udc80"
      "\\udc80\\udcc0\\udcaf\\ud83d\\ude00\"";
  EXPECT_EQ(PyJsonQuoteBytes(bytes), expected);
  EXPECT_EQ(PyJsonDumps(json(bytes)), expected);

  auto back = PyJsonLoads(expected);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->get<std::string>(), bytes);
}

TEST(PyJsonTest, TruncatedSequencesRoundTripForEveryPrefix) {
  const std::string full = "\xf0\x9f\x98\x80\xe6\x97\xa5\xc3\xa9";
  for (size_t cut = 0; cut <= full.size(); ++cut) {
    for (size_t start = 0; start < cut; ++start) {
      const std::string bytes = full.substr(start, cut - start);
      auto back = PyJsonLoads(PyJsonQuoteBytes(bytes));
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(back->get<std::string>(), bytes) << "start " << start << " cut " << cut;
    }
  }
}

TEST(PyJsonTest, SortedKeysAndBothSeparators) {
  json v = json::object();
  v["b"] = json::array({1, 2, json::object()});
  v["a"] = json{{"z", nullptr}, {"y", true}, {"x", false}};
  v["\xc3\xa9"] = json::array();
  v["Z"] = "";
  v["\xf0\x9f\x98\x80"] = 1;
  v["\xef\xbf\xbf"] = 2;
  // python3: json.dumps({"b": [1, 2, {}], "a": {"z": None, "y": True, "x": False},
  //   "é": [], "Z": "", "\U0001F600": 1, "\uffff": 2}, sort_keys=True)
  EXPECT_EQ(PyJsonDumps(v),
            "{\"Z\": \"\", \"a\": {\"x\": false, \"y\": true, \"z\": null}, \"b\": [1, 2, {}], "
            "\"\\u00e9\": [], \"\\uffff\": 2, \"\\ud83d\\ude00\": 1}");

  json c = json{{"b", json::array({1, 2, json::object()})}, {"a", {{"z", nullptr}, {"y", true}}}};
  // python3: json.dumps(..., sort_keys=True, separators=(",", ":"))
  EXPECT_EQ(PyJsonDumpsCompact(c), "{\"a\":{\"y\":true,\"z\":null},\"b\":[1,2,{}]}");
}

TEST(PyJsonTest, LoadsSurrogates) {
  // python3: json.loads('"\\udc80\\ud83d\\ude00\\ud800x\\uDCFF"')
  //   == '\udc80😀\ud800x\udcff'
  auto v = PyJsonLoads("\"\\udc80\\ud83d\\ude00\\ud800x\\uDCFF\"");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->get<std::string>(), "\x80\xf0\x9f\x98\x80\xed\xa0\x80x\xff");
}

TEST(PyJsonTest, LoadsPythonLiteralsAndNumbers) {
  auto v = PyJsonLoads(
      " [NaN, Infinity, -Infinity, 1, -0, 1.5, 1e2, 18446744073709551615, "
      "-9223372036854775808, 99999999999999999999, \"\\/\"] ");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const json& a = *v;
  EXPECT_TRUE(std::isnan(a[0].get<double>()));
  EXPECT_TRUE(std::isinf(a[1].get<double>()));
  EXPECT_LT(a[2].get<double>(), 0);
  EXPECT_TRUE(a[3].is_number_integer());
  EXPECT_EQ(a[3].get<int64_t>(), 1);
  EXPECT_TRUE(a[4].is_number_integer());
  EXPECT_TRUE(a[5].is_number_float());
  EXPECT_TRUE(a[6].is_number_float());
  EXPECT_EQ(PyJsonDumps(a[6]), "100.0");
  EXPECT_EQ(a[7].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(a[8].get<int64_t>(), std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(a[9].is_number_float());
  EXPECT_EQ(a[10].get<std::string>(), "/");
}

TEST(PyJsonTest, LoadsDuplicateKeyLastWins) {
  auto v = PyJsonLoads("{\"a\": 1, \"a\": 2}");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(PyJsonDumps(*v), "{\"a\": 2}");
}

TEST(PyJsonTest, LoadsRejectsWhatPythonRejects) {
  for (const char* bad :
       {"",    " ",         "{",       "[1,]",     "{\"a\":1,}", "01",    "1.",
        ".5",  "+1",        "\"\\x\"", "\"\x01\"", "\"abc",      "[1] x", "{'a': 1}",
        "tru", "\"\\u12\"", "nan",     "{1: 2}",   "-",          "1e"}) {
    EXPECT_FALSE(PyJsonLoads(bad).ok()) << "accepted: " << bad;
  }
}

TEST(PyJsonTest, LoadsRejectsDeepNestingWithoutCrashing) {
  const std::string deep(100000, '[');
  auto v = PyJsonLoads(deep);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("nesting"), std::string::npos);
}

TEST(PyJsonTest, DumpsIsIdempotentThroughLoads) {
  const std::string text =
      "{\"cel_columns\": {\"k\": \"int\"}, \"list\": [1, 2.5, \"\\u00e9\", null, true], "
      "\"n\": {}}";
  auto v = PyJsonLoads(text);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(PyJsonDumps(*v), text);
}

}  // namespace
}  // namespace shardyfusion
