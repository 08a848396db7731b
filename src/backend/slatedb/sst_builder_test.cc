#include "backend/slatedb/sst_builder.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend/slatedb/coding.h"
#include "backend/slatedb/sst_reader.h"
#include "storage/file_store.h"
#include "storage/storage_testing.h"

namespace shardyfusion::slatedb {
namespace {

struct Built {
  SstSummary summary;
  std::unique_ptr<SstReader> reader;
};

class SstBuilderTest : public ::testing::Test {
 protected:
  // Builds an SST of `rows` (in SST order) and opens it with SstReader.
  Built Build(const std::vector<Row>& rows, const SstBuilderOptions& options = {}) {
    const std::string path = dir_.path() + "/t" + std::to_string(n_++) + ".sst";
    Result<std::unique_ptr<SstBuilder>> b = SstBuilder::Create(path, options);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    for (const Row& r : rows) {
      Status st = (*b)->Add(r.key, r.seq, r.flags, r.value);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    Result<SstSummary> summary = (*b)->Finish();
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    Result<std::unique_ptr<SstReader>> reader =
        SstReader::Open(FileStore::Shared(), path.substr(1), 2);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    return Built{*summary, std::move(reader).value()};
  }

  static std::vector<Row> ReadAll(SstReader& reader) {
    std::vector<Row> out;
    Status st = reader.ForEachRow([&](const Row& r) {
      out.push_back(r);
      return Status::OK();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  ScratchDir dir_;
  int n_ = 0;
};

Row MakeRow(std::string key, uint64_t seq, std::string value, uint8_t flags = 0) {
  Row r;
  r.key = std::move(key);
  r.seq = seq;
  r.value = std::move(value);
  r.flags = flags;
  return r;
}

std::vector<Row> SequentialRows(size_t n, size_t value_size, const std::string& prefix = "key") {
  std::vector<Row> rows;
  for (size_t i = 0; i < n; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "%08zu", i);
    rows.push_back(
        MakeRow(prefix + key, 7, std::string(value_size, static_cast<char>('a' + i % 26))));
  }
  return rows;
}

TEST_F(SstBuilderTest, OneRowRoundTrips) {
  Built b = Build({MakeRow("k", 3, "v")});
  EXPECT_EQ(b.summary.num_rows, 1u);
  EXPECT_EQ(b.summary.info.first_entry, "k");
  EXPECT_EQ(b.summary.info.last_entry, "k");
  EXPECT_EQ(b.summary.info.filter_len, 0u);  // below min_filter_keys
  EXPECT_EQ(b.reader->num_blocks(), 1u);
  EXPECT_FALSE(b.reader->has_filter());
  Result<std::optional<Row>> got = b.reader->Get("k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, "v");
  EXPECT_EQ((*got)->seq, 3u);
  EXPECT_FALSE(b.reader->Get("j")->has_value());
  EXPECT_FALSE(b.reader->Get("l")->has_value());
}

TEST_F(SstBuilderTest, ManyBlocksEveryKeyAndNoOther) {
  const std::vector<Row> rows = SequentialRows(5000, 40);
  Built b = Build(rows);
  EXPECT_GT(b.reader->num_blocks(), 10u);
  EXPECT_TRUE(b.reader->has_filter());  // 5000 keys >= 1000
  EXPECT_GT(b.summary.info.filter_len, 5000u * 10 / 8);
  EXPECT_EQ(ReadAll(*b.reader), rows);
  for (const Row& r : rows) {
    Result<std::optional<Row>> got = b.reader->Get(r.key);
    ASSERT_TRUE(got.ok() && got->has_value()) << r.key;
    EXPECT_EQ((*got)->value, r.value);
  }
  // Between, before and after every key.
  for (const std::string& k : {std::string("a"), std::string("key"), std::string("key00000000x"),
                               std::string("key00002500\xff"), std::string("zzz")}) {
    EXPECT_FALSE(b.reader->Get(k)->has_value()) << k;
  }
}

TEST_F(SstBuilderTest, FilterThresholdAndDisabledFilter) {
  EXPECT_FALSE(Build(SequentialRows(999, 4)).reader->has_filter());
  EXPECT_TRUE(Build(SequentialRows(1000, 4)).reader->has_filter());
  SstBuilderOptions none;
  none.bloom_bits_per_key = 0;
  EXPECT_FALSE(Build(SequentialRows(3000, 4), none).reader->has_filter());
}

TEST_F(SstBuilderTest, ValuesLargerThanABlockAndLongSharedPrefixes) {
  std::vector<Row> rows;
  const std::string prefix(3000, 'p');
  for (int i = 0; i < 50; ++i) {
    rows.push_back(MakeRow(prefix + std::to_string(100 + i), 1, std::string(9000 + i, 'x')));
  }
  Built b = Build(rows);
  EXPECT_EQ(b.reader->num_blocks(), rows.size());  // one oversized row per block
  EXPECT_EQ(ReadAll(*b.reader), rows);
  for (const Row& r : rows) EXPECT_EQ(b.reader->Get(r.key)->value().value, r.value);
}

TEST_F(SstBuilderTest, VersionsOfOneKeyAcrossBlocksAndTombstones) {
  // Equal keys with descending seqs, spanning blocks.
  std::vector<Row> rows;
  rows.push_back(MakeRow("a", 1, "a1"));
  for (uint64_t s = 400; s >= 1; --s) rows.push_back(MakeRow("b", s, "b" + std::to_string(s)));
  rows.push_back(MakeRow("c", 9, "", kRowTombstone));
  rows.push_back(MakeRow("c", 8, "c8"));
  Built b = Build(rows);
  EXPECT_GT(b.reader->num_blocks(), 1u);
  EXPECT_EQ(ReadAll(*b.reader), rows);
  EXPECT_EQ(b.reader->Get("b")->value().seq, 400u);
  EXPECT_EQ(b.reader->Get("b", 17)->value().value, "b17");
  EXPECT_EQ(b.reader->Get("c")->value().flags & kRowTombstone, kRowTombstone);
  EXPECT_EQ(b.reader->Get("c", 8)->value().value, "c8");
}

TEST_F(SstBuilderTest, EveryCodecRoundTrips) {
  const std::vector<Row> rows = SequentialRows(3000, 100);
  for (CompressionCodec codec : {CompressionCodec::kSnappy, CompressionCodec::kZlib,
                                 CompressionCodec::kLz4, CompressionCodec::kZstd}) {
    SstBuilderOptions o;
    o.compression = codec;
    Built b = Build(rows, o);
    EXPECT_EQ(static_cast<int>(b.reader->info().compression), static_cast<int>(codec));
    EXPECT_EQ(ReadAll(*b.reader), rows) << CompressionCodecName(codec);
    EXPECT_TRUE(b.reader->has_filter());
    EXPECT_EQ(b.reader->Get(rows[1234].key)->value().value, rows[1234].value);
    // Repetitive values compress.
    EXPECT_LT(b.summary.file_size, 3000u * 100 / 2) << CompressionCodecName(codec);
  }
}

TEST_F(SstBuilderTest, LayoutFollowsTheFormat) {
  Built b = Build(SequentialRows(2000, 30));
  const SstInfo& info = b.summary.info;
  // Data, then filter, then index; the filter offset is the end of the data.
  EXPECT_GT(info.filter_offset, 0u);
  EXPECT_EQ(info.index_offset, info.filter_offset + info.filter_len);
  EXPECT_EQ(info.stats_len, 0u);
  EXPECT_EQ(info.sst_type, SstType::kCompacted);
  EXPECT_EQ(info.filter_format, FilterFormat::kLegacy);
  std::optional<std::string> bytes =
      FileStore::Shared()->Get(dir_.path().substr(1) + "/t0.sst").value();
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->size(), b.summary.file_size);
  EXPECT_EQ(DecodeU16(bytes->data() + bytes->size() - 2), 2u);  // footer: format version 2
  const uint64_t info_offset = DecodeU64(bytes->data() + bytes->size() - 10);
  EXPECT_EQ(info_offset, info.index_offset + info.index_len);
}

TEST_F(SstBuilderTest, RandomKeysMatchAMap) {
  std::mt19937_64 rng(42);
  std::map<std::string, std::string> want;
  while (want.size() < 4000) {
    std::string k(1 + rng() % 40, '\0');
    for (char& c : k) c = static_cast<char>(rng() % 4);  // many shared prefixes, zero bytes
    want[k] = std::string(rng() % 300, static_cast<char>(rng()));
  }
  std::vector<Row> rows;
  for (const auto& [k, v] : want) rows.push_back(MakeRow(k, 1, v));
  Built b = Build(rows);
  for (const auto& [k, v] : want) EXPECT_EQ(b.reader->Get(k)->value().value, v);
  for (int i = 0; i < 2000; ++i) {
    std::string k(1 + rng() % 40, '\0');
    for (char& c : k) c = static_cast<char>(rng() % 4);
    EXPECT_EQ(b.reader->Get(k)->has_value(), want.count(k) == 1) << i;
  }
}

TEST_F(SstBuilderTest, AbandonRemovesTheFile) {
  const std::string path = dir_.path() + "/gone.sst";
  Result<std::unique_ptr<SstBuilder>> b = SstBuilder::Create(path, {});
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Add("k", 1, "v").ok());
  (*b)->Abandon();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SstBuilderOptionsTest, RejectsOutOfRangeSettings) {
  SstBuilderOptions o;
  EXPECT_TRUE(ValidateSstBuilderOptions(o).ok());
  o.block_size = 512;
  EXPECT_EQ(ValidateSstBuilderOptions(o).code(), ErrorCode::kConfigValidation);
  o.block_size = 70000;
  EXPECT_EQ(ValidateSstBuilderOptions(o).code(), ErrorCode::kConfigValidation);
  o = {};
  o.bloom_bits_per_key = 100;
  EXPECT_EQ(ValidateSstBuilderOptions(o).code(), ErrorCode::kConfigValidation);
}

}  // namespace
}  // namespace shardyfusion::slatedb
