#include "backend/slatedb/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "backend/slatedb/coding.h"

namespace shardyfusion::slatedb {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path FixtureDb(const std::string& scenario) {
  return fs::path(SHARDY_SOURCE_DIR) / "tests/fixtures/slatedb" / scenario / "db";
}

// The newest manifest of a fixture database, as a reader finds it.
DbManifest LatestManifest(const std::string& scenario, uint64_t* id_out = nullptr) {
  uint64_t best = 0;
  for (const auto& e : fs::directory_iterator(FixtureDb(scenario) / "manifest")) {
    std::optional<uint64_t> id = ParseSequencedName(e.path().filename().string(), ".manifest");
    if (id && *id > best) best = *id;
  }
  EXPECT_GT(best, 0u) << scenario;
  if (id_out) *id_out = best;
  const std::string name = ManifestName(best);
  Result<DbManifest> m = DecodeManifest(ReadFile(FixtureDb(scenario) / name), name);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : DbManifest{};
}

// Manifest facts of databases real SlateDB 0.12.1 wrote (tests/fixtures/slatedb/README.md).
TEST(SlateDbManifestTest, DecodesRealWalOnlyManifest) {
  uint64_t id = 0;
  DbManifest m = LatestManifest("wal-only", &id);
  EXPECT_EQ(id, 4u);
  EXPECT_EQ(m.version, 1);
  EXPECT_TRUE(m.initialized);
  EXPECT_TRUE(m.l0.empty());
  EXPECT_TRUE(m.compacted.empty());
  EXPECT_EQ(m.replay_after_wal_id, 0u);
  EXPECT_EQ(m.wal_id_last_seen, 5u);
  EXPECT_EQ(m.last_l0_seq, 0u);
  EXPECT_EQ(m.last_l0_clock_tick, INT64_MIN);
}

TEST(SlateDbManifestTest, DecodesRealL0ManifestAndItsSstFooter) {
  DbManifest m = LatestManifest("l0");
  ASSERT_EQ(m.l0.size(), 1u);
  EXPECT_EQ(m.replay_after_wal_id, 6u);
  EXPECT_EQ(m.wal_id_last_seen, 6u);
  EXPECT_EQ(m.last_l0_seq, 5u);
  const SstHandle& sst = m.l0[0];
  EXPECT_EQ(sst.format_version, 2);
  EXPECT_GT(sst.info.filter_len, 0u) << "1000 keys get a bloom filter";
  ASSERT_TRUE(sst.info.last_entry.has_value());
  EXPECT_LT(sst.info.first_entry, *sst.info.last_entry);

  // The SST named by the manifest: footer, SsTableInfo with a valid CRC, index.
  const std::string file = ReadFile(FixtureDb("l0") / CompactedName(sst.id));
  ASSERT_GT(file.size(), 10u);
  const uint64_t info_offset = DecodeU64(file.data() + file.size() - 10);
  EXPECT_EQ(DecodeU16(file.data() + file.size() - 2), 2) << "SST format version";
  const std::string_view info_and_crc(file.data() + info_offset, file.size() - 10 - info_offset);
  const std::string_view info_bytes = info_and_crc.substr(0, info_and_crc.size() - 4);
  EXPECT_EQ(Crc32(info_bytes), DecodeU32(info_and_crc.data() + info_and_crc.size() - 4));
  Result<SstInfo> info = DecodeSstInfo(info_bytes, "l0 footer");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->first_entry, sst.info.first_entry);
  EXPECT_EQ(info->index_offset, sst.info.index_offset);
  EXPECT_EQ(info->filter_offset, sst.info.filter_offset);
  const std::string_view index_and_crc(file.data() + info->index_offset, info->index_len);
  Result<std::vector<BlockMeta>> index =
      DecodeSstIndex(index_and_crc.substr(0, index_and_crc.size() - 4), "l0 index");
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_EQ(index->size(), 9u);
  EXPECT_EQ((*index)[0].offset, 0u);
  EXPECT_TRUE((*index)[0].first_key.empty()) << "block 0's separator is empty";
  for (size_t i = 1; i < index->size(); ++i) {
    EXPECT_GT((*index)[i].offset, (*index)[i - 1].offset);
    EXPECT_GT((*index)[i].first_key, (*index)[i - 1].first_key);
  }
}

TEST(SlateDbManifestTest, DecodesRealCompactedManifestWithSortedRuns) {
  DbManifest m = LatestManifest("compacted");
  EXPECT_EQ(m.l0.size(), 2u);
  ASSERT_EQ(m.compacted.size(), 2u);
  EXPECT_GT(m.compacted[0].id, m.compacted[1].id) << "newest run first";
  for (const SortedRunMeta& run : m.compacted) {
    ASSERT_EQ(run.ssts.size(), 2u);
    EXPECT_LT(run.ssts[0].info.first_entry, run.ssts[1].info.first_entry);
  }
  EXPECT_EQ(m.replay_after_wal_id, 11u);
  EXPECT_EQ(m.wal_id_last_seen, 12u);
  EXPECT_EQ(m.last_l0_seq, 10u);
  EXPECT_GT(m.num_checkpoints, 0u) << "the compactor leaves checkpoints";
}

TEST(SlateDbManifestTest, CodecFixturesRecordTheirCompression) {
  const std::pair<const char*, Compression> cases[] = {{"codec-lz4", Compression::kLz4},
                                                       {"codec-zstd", Compression::kZstd},
                                                       {"codec-snappy", Compression::kSnappy},
                                                       {"codec-zlib", Compression::kZlib}};
  for (const auto& [scenario, codec] : cases) {
    DbManifest m = LatestManifest(scenario);
    ASSERT_EQ(m.l0.size(), 1u) << scenario;
    EXPECT_EQ(m.l0[0].info.compression, codec) << scenario;
  }
}

DbManifest SampleManifest() {
  DbManifest m;
  m.writer_epoch = 1;
  m.replay_after_wal_id = 0;
  m.wal_id_last_seen = 0;
  m.last_l0_seq = 7;
  m.recent_snapshot_min_seq = 7;
  m.last_l0_clock_tick = 1732500000000;
  SstHandle a;
  a.id = NewUlid(1732500000000);
  a.info.first_entry = "a";
  a.info.last_entry = "m";
  a.info.index_offset = 4096;
  a.info.index_len = 60;
  a.info.filter_offset = 4000;
  a.info.filter_len = 96;
  a.format_version = 2;
  SstHandle b = a;
  b.id = NewUlid(1732500000001);
  b.info.first_entry = std::string("n\0x", 3);
  b.info.last_entry.reset();
  b.visible_range =
      KeyRange{KeyBound{KeyBound::kIncluded, "n"}, KeyBound{KeyBound::kUnbounded, ""}};
  m.l0 = {a};
  m.compacted = {SortedRunMeta{3, {a, b}}};
  return m;
}

TEST(SlateDbManifestTest, V1RoundTrip) {
  const DbManifest m = SampleManifest();
  const std::string bytes = EncodeManifestV1(m);
  EXPECT_EQ(DecodeU16(bytes.data()), 1);
  Result<DbManifest> back = DecodeManifest(bytes, "sample");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->writer_epoch, 1u);
  EXPECT_EQ(back->last_l0_seq, 7u);
  EXPECT_EQ(back->recent_snapshot_min_seq, 7u);
  EXPECT_EQ(back->last_l0_clock_tick, 1732500000000);
  ASSERT_EQ(back->l0.size(), 1u);
  EXPECT_EQ(back->l0[0].id, m.l0[0].id);
  EXPECT_EQ(back->l0[0].format_version, 2);
  EXPECT_EQ(back->l0[0].info.last_entry, std::optional<std::string>("m"));
  ASSERT_EQ(back->compacted.size(), 1u);
  EXPECT_EQ(back->compacted[0].id, 3u);
  const SstHandle& b = back->compacted[0].ssts[1];
  EXPECT_EQ(b.info.first_entry, std::string("n\0x", 3));
  EXPECT_FALSE(b.info.last_entry.has_value());
  ASSERT_TRUE(b.visible_range.has_value());
  EXPECT_EQ(b.visible_range->start.type, KeyBound::kIncluded);
  EXPECT_EQ(b.visible_range->start.key, "n");
  EXPECT_EQ(b.visible_range->end.type, KeyBound::kUnbounded);
  EXPECT_EQ(back->num_checkpoints, 0u);
}

TEST(SlateDbManifestTest, CorruptManifestsAreErrorsNamingTheObject) {
  const std::string bytes = EncodeManifestV1(SampleManifest());
  EXPECT_FALSE(DecodeManifest("", "m1").ok());
  EXPECT_NE(DecodeManifest(std::string("\0\x03", 2) + bytes.substr(2), "m1")
                .status()
                .message()
                .find("unknown manifest format version 3"),
            std::string::npos);
  // Every truncation and many byte flips: an error or a valid decode, never a crash.
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<DbManifest> r = DecodeManifest(bytes.substr(0, n), "manifest/x");
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("manifest/x"), std::string::npos);
    }
  }
  for (size_t i = 2; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    (void)DecodeManifest(flipped, "manifest/x");
  }
  Result<SstInfo> bad_info = DecodeSstInfo("garbage!", "sst y");
  ASSERT_FALSE(bad_info.ok());
  EXPECT_EQ(bad_info.status().code(), ErrorCode::kDbAdapter);
  EXPECT_FALSE(DecodeSstIndex("\x01\x02", "sst y").ok());
}

TEST(SlateDbManifestTest, SstInfoAndIndexRoundTrip) {
  SstInfo info;
  info.first_entry = "k1";
  info.last_entry = "k9";
  info.index_offset = 10;
  info.index_len = 20;
  info.filter_offset = 9;
  info.compression = Compression::kZstd;
  Result<SstInfo> back = DecodeSstInfo(EncodeSstInfo(info), "info");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->first_entry, "k1");
  EXPECT_EQ(back->last_entry, std::optional<std::string>("k9"));
  EXPECT_EQ(back->index_len, 20u);
  EXPECT_EQ(back->compression, Compression::kZstd);
  EXPECT_EQ(back->filter_format, FilterFormat::kLegacy);

  std::vector<BlockMeta> blocks = {{0, ""}, {4000, "k5"}, {8100, std::string("k\0", 2)}};
  Result<std::vector<BlockMeta>> idx = DecodeSstIndex(EncodeSstIndex(blocks), "index");
  ASSERT_TRUE(idx.ok());
  ASSERT_EQ(idx->size(), 3u);
  EXPECT_EQ((*idx)[1].first_key, "k5");
  EXPECT_EQ((*idx)[2].first_key, std::string("k\0", 2));
  EXPECT_EQ((*idx)[2].offset, 8100u);
}

TEST(SlateDbNamesTest, UlidsAndSequencedNames) {
  const Ulid id{0x0001'8F3A'1B2C'3D4Eull, 0x5F60'7182'93A4'B5C6ull};
  const std::string text = UlidText(id);
  EXPECT_EQ(text.size(), 26u);
  Result<Ulid> back = ParseUlid(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, id);
  EXPECT_EQ(UlidText(Ulid{0, 0}), "00000000000000000000000000");
  EXPECT_EQ(UlidText(Ulid{0, 31}), "0000000000000000000000000Z");
  EXPECT_EQ(UlidText(Ulid{UINT64_MAX, UINT64_MAX}), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  EXPECT_FALSE(ParseUlid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ").ok());
  EXPECT_FALSE(ParseUlid("0000000000000000000000000U").ok());
  // Real SlateDB's file names parse back to the same text.
  for (const auto& e : fs::directory_iterator(FixtureDb("l0") / "compacted")) {
    const std::string stem = e.path().stem().string();
    Result<Ulid> parsed = ParseUlid(stem);
    ASSERT_TRUE(parsed.ok()) << stem;
    EXPECT_EQ(UlidText(*parsed), stem);
  }
  const Ulid fresh = NewUlid(1732500000000);
  EXPECT_EQ(fresh.high >> 16, 1732500000000u);
  EXPECT_NE(NewUlid(1).low, NewUlid(1).low);

  EXPECT_EQ(ManifestName(7), "manifest/00000000000000000007.manifest");
  EXPECT_EQ(WalName(12), "wal/00000000000000000012.sst");
  EXPECT_EQ(ParseSequencedName("00000000000000000012.sst", ".sst"), std::optional<uint64_t>(12));
  EXPECT_FALSE(ParseSequencedName("0000000000000000012.sst", ".sst").has_value());
  EXPECT_FALSE(ParseSequencedName("0000000000000000001x.manifest", ".manifest").has_value());
  EXPECT_FALSE(ParseSequencedName("99999999999999999999.sst", ".sst").has_value());
}

}  // namespace
}  // namespace shardyfusion::slatedb
