#include "backend/slatedb/sst_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "backend/slatedb/coding.h"
#include "backend/slatedb/fixtures_testing.h"
#include "storage/fault_store.h"
#include "storage/memory_store.h"

namespace shardyfusion::slatedb {
namespace {

namespace fs = std::filesystem;

// The fixture's only L0 SST, opened through the file store.
std::unique_ptr<SstReader> OpenOnlyL0(const std::string& scenario,
                                      std::shared_ptr<ObjectStore> store = nullptr) {
  Result<StoreLocation> loc = OpenStoreForUrl(FixtureDir(scenario) + "/db");
  EXPECT_TRUE(loc.ok());
  if (store == nullptr) store = loc->store;
  uint64_t best = 0;
  for (const auto& e : fs::directory_iterator(FixtureDir(scenario) + "/db/manifest")) {
    best =
        std::max(best, ParseSequencedName(e.path().filename().string(), ".manifest").value_or(0));
  }
  std::ifstream in(FixtureDir(scenario) + "/db/" + ManifestName(best), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Result<DbManifest> m = DecodeManifest(bytes, "manifest");
  EXPECT_TRUE(m.ok() && m->l0.size() == 1u) << scenario;
  if (!m.ok() || m->l0.empty()) return nullptr;
  Result<std::unique_ptr<SstReader>> r =
      SstReader::Open(store, loc->key + "/" + CompactedName(m->l0[0].id), m->l0[0].format_version);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

class SlateDbSstReaderFixtureTest : public ::testing::TestWithParam<std::string> {};

// Every key real SlateDB reports is found with its value; absent keys are not.
TEST_P(SlateDbSstReaderFixtureTest, MatchesRealSlateDbOnEveryKey) {
  std::unique_ptr<SstReader> sst = OpenOnlyL0(GetParam());
  ASSERT_NE(sst, nullptr);
  const std::map<std::string, std::string> expected = FixtureExpected(GetParam());
  ASSERT_FALSE(expected.empty());
  for (const auto& [key, value] : expected) {
    Result<std::optional<Row>> row = sst->Get(key);
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    ASSERT_TRUE(row->has_value()) << "missing key " << key;
    EXPECT_EQ((*row)->flags & kRowTombstone, 0);
    EXPECT_EQ((*row)->value, value) << key;
  }
  for (const std::string& key : FixtureAbsent(GetParam())) {
    Result<std::optional<Row>> row = sst->Get(key);
    ASSERT_TRUE(row.ok());
    EXPECT_FALSE(row->has_value() && !((*row)->flags & kRowTombstone)) << "found absent " << key;
  }
  // A full pass sees the same rows, in key order.
  std::vector<std::string> keys;
  ASSERT_TRUE(sst->ForEachRow([&](const Row& r) {
                   keys.push_back(r.key);
                   return Status::OK();
                 })
                  .ok());
  EXPECT_EQ(keys.size(), expected.size());
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

INSTANTIATE_TEST_SUITE_P(RealSlateDb, SlateDbSstReaderFixtureTest,
                         ::testing::Values("l0", "codec-lz4", "codec-zstd", "codec-snappy",
                                           "codec-zlib", "large-values"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(SlateDbSstReaderTest, L0FixtureHasABloomFilterThatRejectsAbsentKeys) {
  std::unique_ptr<SstReader> sst = OpenOnlyL0("l0");
  ASSERT_NE(sst, nullptr);
  EXPECT_TRUE(sst->has_filter());
  EXPECT_EQ(sst->num_blocks(), 9u);
}

TEST(SlateDbSstReaderTest, CorruptBlocksAreErrorsNamingTheSst) {
  auto base = OpenStoreForUrl(FixtureDir("l0") + "/db");
  ASSERT_TRUE(base.ok());
  auto faulty = std::make_shared<FaultInjectingStore>(base->store);
  std::unique_ptr<SstReader> sst = OpenOnlyL0("l0", faulty);
  ASSERT_NE(sst, nullptr);
  // Block reads come back one byte short: the CRC no longer matches.
  FaultRule rule;
  rule.op = StoreOp::kGetRange;
  rule.truncate_to = 100;
  faulty->AddRule(rule);
  const std::string some_key = FixtureExpected("l0").begin()->first;
  Result<std::optional<Row>> row = sst->Get(some_key);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.status().code(), ErrorCode::kDbAdapter);
  EXPECT_NE(row.status().message().find(".sst"), std::string::npos) << row.status().message();
}

// An SST without data blocks, `[filter][crc][index][crc][info][crc][footer]`,
// stored uncompressed whatever `info.compression` says.
std::string MetadataOnlySst(std::string_view filter, SstInfo info) {
  std::string sst;
  auto stored = [&sst](std::string_view body) {
    sst.append(body);
    PutU32(&sst, Crc32(body));
  };
  info.filter_offset = 0;
  stored(filter);
  info.filter_len = sst.size();
  info.index_offset = sst.size();
  stored(EncodeSstIndex({}));
  info.index_len = sst.size() - info.index_offset;
  const uint64_t info_offset = sst.size();
  stored(EncodeSstInfo(info));
  PutU64(&sst, info_offset);
  PutU16(&sst, 2);
  return sst;
}

Status OpenFromMemory(const std::string& sst) {
  auto store = std::make_shared<MemoryStore>("sst-test");
  EXPECT_TRUE(store->Put("db/compacted/x.sst", sst, PutOptions()).ok());
  return SstReader::Open(store, "db/compacted/x.sst").status();
}

// Regression (fuzz_db): an SsTableInfo naming an unknown codec was an error
// that did not name the SST.
TEST(SlateDbSstReaderTest, UnknownCodecIsAnErrorNamingTheSst) {
  SstInfo info;
  info.compression = static_cast<Compression>(19);
  const Status st = OpenFromMemory(MetadataOnlySst("", info));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::kDbAdapter);
  EXPECT_NE(st.message().find("memory://sst-test/db/compacted/x.sst"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("unknown compression codec 19"), std::string::npos) << st.message();
}

// Regression (fuzz_sst): a truncated Composite filter section (here: a count
// of 25441 entries and no entries) was an error that did not name the SST.
TEST(SlateDbSstReaderTest, TruncatedCompositeFilterIsAnErrorNamingTheSst) {
  SstInfo info;
  info.filter_format = FilterFormat::kComposite;
  const Status st = OpenFromMemory(MetadataOnlySst("\x63\x61", info));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::kDbAdapter);
  EXPECT_NE(st.message().find("memory://sst-test/db/compacted/x.sst"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("composite filter section truncated"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace shardyfusion::slatedb
