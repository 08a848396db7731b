// A snapshot whose shard is a SlateDB database real SlateDB wrote: the
// sharded reader detects the backend and serves every key through it.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "backend/slatedb/fixtures_testing.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/reader.h"

namespace shardyfusion {
namespace {

namespace fs = std::filesystem;

TEST(SlateDbShardTest, ShardedReaderServesARealSlateDbShard) {
  std::string tmpl =
      (fs::path(::testing::TempDir()) / "sdb_shard_XXXXXX").lexically_normal().string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string root = tmpl + "/snap";
  const std::string fixture = slatedb::FixtureDir("compacted");
  const std::string db_dir = root + "/shards/run_id=real/db=00000/attempt=00";
  fs::create_directories(db_dir);
  fs::copy(fixture + "/db", db_dir, fs::copy_options::recursive);

  const std::map<std::string, std::string> expected = slatedb::FixtureExpected("compacted");
  ASSERT_FALSE(expected.empty());

  Manifest m;
  m.meta.run_id = "real";
  m.meta.num_dbs = 1;
  m.meta.s3_prefix = "file://" + root;
  m.meta.key_encoding = KeyEncoding::kRaw;
  ShardMeta s;
  s.db_id = 0;
  s.db_url = "file://" + db_dir;
  s.row_count = static_cast<int64_t>(expected.size());
  s.min_key = Key::Bytes(expected.begin()->first);
  s.max_key = Key::Bytes(expected.rbegin()->first);
  m.shards = {s};
  auto loc = OpenStoreForUrl(root);
  ASSERT_TRUE(loc.ok());
  ManifestStore manifests(loc->store, loc->key);
  ASSERT_TRUE(manifests.Publish(m).ok());

  ReaderOptions ro;
  ro.local_root = tmpl + "/cache";
  auto reader = ShardedReader::Open("file://" + root, ro);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->snapshot_info().backend, "slatedb");
  for (const auto& [key, value] : expected) {
    auto got = (*reader)->Get(Key::Bytes(key));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value()) << key;
    EXPECT_EQ(**got, value);
  }
  for (const std::string& key : slatedb::FixtureAbsent("compacted")) {
    auto got = (*reader)->Get(Key::Bytes(key));
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->has_value());
  }
  fs::remove_all(tmpl);
}

}  // namespace
}  // namespace shardyfusion
