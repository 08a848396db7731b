#include "cli/value_codec.h"

#include <gtest/gtest.h>

namespace shardyfusion::cli {
namespace {

TEST(CliValueCodecTest, HexIsLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(HexEncode(std::string("\x00\x0a\xff", 3)), "000aff");
  EXPECT_EQ(HexEncode(""), "");
}

TEST(CliValueCodecTest, Utf8KeepsValidTextAndReplacesInvalidBytes) {
  EXPECT_EQ(Utf8WithReplacement("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string kFffd = "\xEF\xBF\xBD";
  EXPECT_EQ(Utf8WithReplacement("a\xFF"
                                "b"),
            "a" + kFffd + "b");
  // A truncated 3-byte sequence is one maximal subpart: one replacement.
  EXPECT_EQ(Utf8WithReplacement("a\xE2\x82"), "a" + kFffd);
  // Overlong encodings and surrogates are invalid, each byte replaced.
  EXPECT_EQ(Utf8WithReplacement("\xC0\xAF"), kFffd + kFffd);
  EXPECT_EQ(Utf8WithReplacement("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  // A lead byte followed by a non-continuation keeps the following byte.
  EXPECT_EQ(Utf8WithReplacement("\xE2(x"), kFffd + "(x");
  EXPECT_EQ(Utf8WithReplacement("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
}

TEST(CliValueCodecTest, EncodeValueDispatchesOnEncoding) {
  EXPECT_EQ(EncodeValue(ValueEncoding::kBase64, "foo"), "Zm9v");
  EXPECT_EQ(EncodeValue(ValueEncoding::kHex, "foo"), "666f6f");
  EXPECT_EQ(EncodeValue(ValueEncoding::kUtf8, "fo\xFF"), "fo\xEF\xBF\xBD");
  EXPECT_EQ(ParseValueEncoding("hex"), ValueEncoding::kHex);
  EXPECT_FALSE(ParseValueEncoding("base32"));
}

}  // namespace
}  // namespace shardyfusion::cli
