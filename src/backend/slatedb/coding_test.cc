#include "backend/slatedb/coding.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace shardyfusion::slatedb {
namespace {

TEST(SlateDbCoding, BigEndianFixedWidth) {
  std::string s;
  PutU16(&s, 0x0102);
  PutU32(&s, 0x03040506);
  PutU64(&s, 0x0708090a0b0c0d0eULL);
  PutI64(&s, -2);
  EXPECT_EQ(s, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e"
                           "\xff\xff\xff\xff\xff\xff\xff\xfe",
                           22));
  std::string_view in = s;
  uint16_t a;
  uint32_t b;
  uint64_t c;
  int64_t d;
  ASSERT_TRUE(GetU16(&in, &a));
  ASSERT_TRUE(GetU32(&in, &b));
  ASSERT_TRUE(GetU64(&in, &c));
  ASSERT_TRUE(GetI64(&in, &d));
  EXPECT_EQ(a, 0x0102);
  EXPECT_EQ(b, 0x03040506u);
  EXPECT_EQ(c, 0x0708090a0b0c0d0eULL);
  EXPECT_EQ(d, -2);
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetU16(&in, &a));
}

TEST(SlateDbCoding, FixedWidthTruncated) {
  std::string_view in("\x01\x02\x03", 3);
  uint32_t v;
  EXPECT_FALSE(GetU32(&in, &v));
  uint64_t w;
  std::string_view seven("1234567");
  EXPECT_FALSE(GetU64(&seven, &w));
}

TEST(SlateDbCoding, VarintRoundTripAtBoundaries) {
  const uint32_t values[] = {0,
                             1,
                             127,
                             128,
                             16383,
                             16384,
                             (1u << 21) - 1,
                             1u << 21,
                             (1u << 28) - 1,
                             1u << 28,
                             std::numeric_limits<uint32_t>::max()};
  for (uint32_t v : values) {
    std::string s;
    PutVarint32(&s, v);
    EXPECT_EQ(static_cast<int>(s.size()), Varint32Length(v)) << v;
    std::string_view in = s;
    uint32_t got = 0;
    ASSERT_TRUE(GetVarint32(&in, &got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
  }
  std::string s;
  PutVarint32(&s, 300);
  EXPECT_EQ(s, "\xac\x02");
}

TEST(SlateDbCoding, VarintRejectsTruncationAndOverflow) {
  uint32_t v;
  std::string_view empty;
  EXPECT_FALSE(GetVarint32(&empty, &v));
  std::string_view cut("\x80\x80", 2);
  EXPECT_FALSE(GetVarint32(&cut, &v));
  // 2^32 needs a fifth byte of 0x10: more than 32 bits.
  std::string_view over("\x80\x80\x80\x80\x10", 5);
  EXPECT_FALSE(GetVarint32(&over, &v));
  std::string_view six("\xff\xff\xff\xff\x8f\x01", 6);
  EXPECT_FALSE(GetVarint32(&six, &v));
  std::string_view max("\xff\xff\xff\xff\x0f", 5);
  ASSERT_TRUE(GetVarint32(&max, &v));
  EXPECT_EQ(v, 0xffffffffu);
}

TEST(SlateDbCoding, GetBytes) {
  std::string_view in("abcdef");
  std::string_view out;
  ASSERT_TRUE(GetBytes(&in, 2, &out));
  EXPECT_EQ(out, "ab");
  EXPECT_EQ(in, "cdef");
  EXPECT_FALSE(GetBytes(&in, 5, &out));
}

TEST(SlateDbCoding, Crc32IsIeee) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the standard check value
  EXPECT_EQ(Crc32(""), 0u);
}

}  // namespace
}  // namespace shardyfusion::slatedb
