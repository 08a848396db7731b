#include "backend/slatedb/separator.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace shardyfusion::slatedb {
namespace {

TEST(SlateDbSeparator, PrefixThroughFirstDifferingByte) {
  EXPECT_EQ(ShortestSeparator("apple", "banana"), "b");
  EXPECT_EQ(ShortestSeparator("key0099", "key0100"), "key01");
  EXPECT_EQ(ShortestSeparator("abc", "abd"), "abd");
  EXPECT_EQ(ShortestSeparator("abc", "abzzzz"), "abz");
  EXPECT_EQ(ShortestSeparator(std::string("a\x00\x01", 3), std::string("a\x01", 2)),
            std::string("a\x01", 2));
}

TEST(SlateDbSeparator, WholeKeyWhenOneIsAPrefix) {
  EXPECT_EQ(ShortestSeparator("abc", "abcd"), "abcd");
  EXPECT_EQ(ShortestSeparator("", "x"), "x");
  EXPECT_EQ(ShortestSeparator("k", std::string("k\x00", 2)), std::string("k\x00", 2));
}

TEST(SlateDbSeparator, SortsBetweenTheKeys) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> len(0, 6), byte(0, 3);
  for (int i = 0; i < 2000; ++i) {
    std::string a, b;
    for (int n = len(rng); n > 0; --n) a.push_back(static_cast<char>('a' + byte(rng)));
    for (int n = len(rng); n > 0; --n) b.push_back(static_cast<char>('a' + byte(rng)));
    if (a == b) continue;
    if (b < a) std::swap(a, b);
    const std::string sep = ShortestSeparator(a, b);
    EXPECT_LT(a, sep) << a << " " << b;
    EXPECT_LE(sep, b) << a << " " << b;
    EXPECT_EQ(b.compare(0, sep.size(), sep), 0) << "separator is a prefix of the first key";
  }
}

}  // namespace
}  // namespace shardyfusion::slatedb
