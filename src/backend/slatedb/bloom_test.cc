#include "backend/slatedb/bloom.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/slatedb/coding.h"

namespace shardyfusion::slatedb {
namespace {

std::string Hex(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += fmt::format("{:02x}", c);
  return out;
}

TEST(SlateDbBloom, ProbeSequenceMatchesSlateDbUnitVector) {
  EXPECT_EQ(BloomProbes(0xDF77EF56DEADBEEFULL, 7, 1000000),
            (std::vector<uint32_t>{928559, 107781, 287004, 466229, 645457, 824689, 3926}));
}

// Expected values are CPython 3.11's own SipHash-1-3 (hash(bytes) with
// PYTHONHASHSEED=0, i.e. the all-zero key), an implementation independent of
// this one; the empty input (which CPython maps to 0) comes from a separate
// reference script.
TEST(SlateDbBloom, SipHash13Vectors) {
  EXPECT_EQ(SipHash13(""), 0xd1fba762150c532cULL);
  EXPECT_EQ(SipHash13("a"), 0x407448d2b89b1813ULL);
  EXPECT_EQ(SipHash13("abcdefg"), 0x6db12aae9070f506ULL);
  EXPECT_EQ(SipHash13("abcdefgh"), 0x3f7b849c0b8e35eaULL);
  EXPECT_EQ(SipHash13("hello, slatedb!"), 0x533f399a05536aafULL);
  EXPECT_EQ(SipHash13("0123456789abcdef0123"), 0x560ed5360a9a319aULL);
  EXPECT_EQ(SipHash13(std::string(9, '\xff')), 0xe271c8ef95f59694ULL);
  std::string bytes;
  for (int i = 0; i < 64; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash13(bytes.substr(0, 15)), 0xf30eb725bb91c9eaULL);
  EXPECT_EQ(SipHash13(bytes), 0x75e05fd5bbc870c6ULL);
}

// Bytes of the filter that the research prototype (Python, verified against
// real SlateDB readers) builds for keys k0000..k0009 at 10 bits per key.
TEST(SlateDbBloom, LegacyPayloadIsByteExact) {
  BloomBuilder builder;
  for (int i = 0; i < 10; ++i) builder.AddKey(fmt::format("k{:04d}", i));
  EXPECT_EQ(Hex(builder.Finish()), "00064048241964577bda514e826b72");
}

TEST(SlateDbBloom, PayloadSizeAndProbeCount) {
  BloomBuilder builder(10);
  for (int i = 0; i < 1001; ++i) builder.AddKey(fmt::format("key{}", i));
  const std::string payload = builder.Finish();
  EXPECT_EQ(payload.size(), 2u + 1252u);  // ceil(1001 * 10 / 8)
  EXPECT_EQ(DecodeU16(payload.data()), 6);
  EXPECT_EQ(builder.num_keys(), 0u) << "Finish clears the builder";

  BloomBuilder wide(20);
  wide.AddKey("x");
  const std::string w = wide.Finish();
  EXPECT_EQ(w.size(), 2u + 3u);
  EXPECT_EQ(DecodeU16(w.data()), 13);  // floor(20 * 0.69)
}

TEST(SlateDbBloom, NoFalseNegativesAndLowFalsePositiveRate) {
  constexpr int kKeys = 10000;
  BloomBuilder builder;
  for (int i = 0; i < kKeys; ++i) builder.AddKey(fmt::format("present-{}", i));
  auto reader = BloomReader::Open(builder.Finish());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(reader->MayContain(fmt::format("present-{}", i))) << i;
  }
  int false_positives = 0;
  for (int i = 0; i < kKeys; ++i)
    false_positives += reader->MayContain(fmt::format("absent-{}", i));
  EXPECT_LT(false_positives, kKeys * 2 / 100);
  EXPECT_GT(false_positives, 0) << "a 10-bit filter is not exact; zero suggests no probing";
}

TEST(SlateDbBloom, ReaderEdgeCases) {
  EXPECT_FALSE(BloomReader::Open("").ok());
  EXPECT_FALSE(BloomReader::Open(std::string_view("\x00", 1)).ok());
  BloomBuilder none;
  auto empty = BloomReader::Open(none.Finish());
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->MayContain("anything"));
  // Zero probes can rule nothing out.
  auto no_probes = BloomReader::Open(std::string("\x00\x00\x00\x00", 4));
  ASSERT_TRUE(no_probes.ok());
  EXPECT_TRUE(no_probes->MayContain("anything"));
}

std::string CompositeEntry(std::string_view name, std::string_view data) {
  std::string s;
  PutU16(&s, static_cast<uint16_t>(name.size()));
  s.append(name);
  PutU64(&s, data.size());
  s.append(data);
  return s;
}

TEST(SlateDbBloom, CompositeSectionYieldsWholeKeyBloom) {
  BloomBuilder builder;
  builder.AddKey("alpha");
  builder.AddKey("beta");
  const std::string payload = builder.Finish();
  std::string section;
  PutU16(&section, 3);
  section += CompositeEntry("_bf:p=fixed3", "zzzzzz");
  section += CompositeEntry("_bf", payload);
  section += CompositeEntry("future", "");
  auto found = FindCompositeBloom(section);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, payload);
  auto reader = BloomReader::Open(**found);
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE(reader->MayContain("alpha"));
  EXPECT_TRUE(reader->MayContain("beta"));
}

TEST(SlateDbBloom, CompositeWithoutWholeKeyBloom) {
  std::string section;
  PutU16(&section, 1);
  section += CompositeEntry("_bf:wh=0", "data");
  auto found = FindCompositeBloom(section);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST(SlateDbBloom, CompositeTruncatedIsAnError) {
  std::string section;
  PutU16(&section, 1);
  section += CompositeEntry("_bf", "0123456789");
  for (size_t len = 0; len < section.size(); ++len) {
    auto found = FindCompositeBloom(std::string_view(section).substr(0, len));
    EXPECT_FALSE(found.ok()) << len;
    if (!found.ok()) {
      EXPECT_EQ(found.status().code(), ErrorCode::kDbAdapter);
    }
  }
  std::string huge;
  PutU16(&huge, 1);
  PutU16(&huge, 3);
  huge += "_bf";
  PutU64(&huge, ~uint64_t{0});
  EXPECT_FALSE(FindCompositeBloom(huge).ok());
}

}  // namespace
}  // namespace shardyfusion::slatedb
