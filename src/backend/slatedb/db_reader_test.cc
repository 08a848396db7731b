#include "backend/slatedb/db_reader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "backend/slatedb/fixtures_testing.h"

namespace shardyfusion::slatedb {
namespace {

namespace fs = std::filesystem;

// Every file of a directory tree with its size, to prove nothing was written.
std::map<std::string, uintmax_t> Snapshot(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[e.path().string()] = e.file_size();
  }
  return out;
}

Result<std::unique_ptr<DbReader>> OpenDir(const std::string& dir) {
  Result<StoreLocation> loc = OpenStoreForUrl(dir);
  if (!loc.ok()) return loc.status();
  return DbReader::Open(loc->store, loc->key);
}

class SlateDbReaderFixtureTest : public ::testing::TestWithParam<std::string> {};

// Databases real SlateDB wrote: every key it reports, and none it does not.
TEST_P(SlateDbReaderFixtureTest, MatchesRealSlateDbOnEveryKey) {
  const std::string db = FixtureDir(GetParam()) + "/db";
  const auto before = Snapshot(db);
  Result<std::unique_ptr<DbReader>> reader = OpenDir(db);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const std::map<std::string, std::string> expected = FixtureExpected(GetParam());
  ASSERT_FALSE(expected.empty());
  for (const auto& [key, value] : expected) {
    Result<std::optional<std::string>> got = (*reader)->Get(key);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value()) << GetParam() << ": missing key " << key;
    EXPECT_EQ(**got, value) << GetParam() << ": key " << key;
  }
  for (const std::string& key : FixtureAbsent(GetParam())) {
    Result<std::optional<std::string>> got = (*reader)->Get(key);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_FALSE(got->has_value()) << GetParam() << ": found absent key " << key;
  }
  EXPECT_EQ(Snapshot(db), before) << "the reader must not write to the database";
}

INSTANTIATE_TEST_SUITE_P(RealSlateDb, SlateDbReaderFixtureTest,
                         ::testing::Values("wal-only", "l0", "compacted", "codec-lz4", "codec-zstd",
                                           "codec-snappy", "codec-zlib", "large-values",
                                           // written by our writer, as real SlateDB reads them
                                           "ours-direct", "ours-local-zstd"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(SlateDbReaderTest, WalOnlyShardsAreServedFromTheReplayedWal) {
  Result<std::unique_ptr<DbReader>> reader = OpenDir(FixtureDir("wal-only") + "/db");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->manifest().l0.empty());
  EXPECT_GT((*reader)->wal_rows_replayed(), 0u);
  EXPECT_GT((*reader)->visible_seq(), 0u);
}

class SlateDbReaderDamageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/sdb_reader_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::copy(FixtureDir("l0") + "/db", dir_ + "/db", fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(SlateDbReaderDamageTest, CorruptLatestManifestIsAnErrorNamingIt) {
  const std::string latest = dir_ + "/db/" + ManifestName(5);
  ASSERT_TRUE(fs::exists(latest));
  std::ofstream(latest, std::ios::binary | std::ios::trunc) << std::string("\x00\x01garbage", 9);
  Result<std::unique_ptr<DbReader>> reader = OpenDir(dir_ + "/db");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kDbAdapter);
  EXPECT_NE(reader.status().message().find("00000000000000000005.manifest"), std::string::npos)
      << reader.status().message();
}

TEST_F(SlateDbReaderDamageTest, MissingSstAndEmptyDirectoryAreErrors) {
  fs::remove_all(dir_ + "/db/compacted");
  Result<std::unique_ptr<DbReader>> reader = OpenDir(dir_ + "/db");
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find(".sst"), std::string::npos);
  fs::create_directories(dir_ + "/empty");
  Result<std::unique_ptr<DbReader>> none = OpenDir(dir_ + "/empty");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no SlateDB database"), std::string::npos);
}

}  // namespace
}  // namespace shardyfusion::slatedb
