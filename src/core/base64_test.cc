#include "core/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace shardyfusion {
namespace {

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64Test, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    const std::string bytes = all.substr(0, n);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes) << n;
  }
}

TEST(Base64Test, DecodeRejectsMalformedText) {
  EXPECT_EQ(Base64Decode("Zm8="), "fo");
  EXPECT_EQ(Base64Decode("Zg=="), "f");
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_FALSE(Base64Decode("Zm8"));       // padding required
  EXPECT_FALSE(Base64Decode("Zg="));       // wrong length
  EXPECT_FALSE(Base64Decode("Z==="));      // too much padding
  EXPECT_FALSE(Base64Decode("Zg==Zg=="));  // padding in the middle
  EXPECT_FALSE(Base64Decode("Zm-v"));      // URL-safe alphabet is not standard
  EXPECT_FALSE(Base64Decode("Zm9v\n"));    // no whitespace
  EXPECT_FALSE(Base64Decode("Z=8v"));      // '=' before data
}

}  // namespace
}  // namespace shardyfusion
