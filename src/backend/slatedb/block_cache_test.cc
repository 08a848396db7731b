#include "backend/slatedb/block_cache.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "backend/slatedb/db_reader.h"
#include "backend/slatedb/fixtures_testing.h"
#include "shardyfusion/slatedb_backend.h"

namespace shardyfusion::slatedb {
namespace {

std::shared_ptr<const std::string> Block(size_t size, char fill = 'x') {
  return std::make_shared<const std::string>(size, fill);
}

// What an entry of `size` block bytes is charged.
uint64_t Charge(size_t size) { return size + BlockCache::kEntryOverhead; }

TEST(BlockCacheTest, EvictsTheLeastRecentlyUsedBlockFirst) {
  BlockCache cache(3 * Charge(100), /*num_shard_bits=*/0);
  cache.Insert(1, 0, Block(100, 'a'));
  cache.Insert(1, 1, Block(100, 'b'));
  cache.Insert(1, 2, Block(100, 'c'));
  ASSERT_NE(cache.Lookup(1, 0), nullptr);  // 0 is now the most recently used
  cache.Insert(1, 3, Block(100, 'd'));     // evicts 1
  EXPECT_EQ(cache.Lookup(1, 1), nullptr);
  cache.Insert(2, 0, Block(100, 'e'));  // another reader's block 0; evicts 2
  EXPECT_EQ(cache.Lookup(1, 2), nullptr);
  ASSERT_NE(cache.Lookup(1, 0), nullptr);
  EXPECT_EQ(*cache.Lookup(1, 0), std::string(100, 'a'));
  EXPECT_EQ(*cache.Lookup(1, 3), std::string(100, 'd'));
  EXPECT_EQ(*cache.Lookup(2, 0), std::string(100, 'e'));
  const BlockCache::Stats s = cache.stats();
  EXPECT_EQ(s.evictions, 2u);
  EXPECT_EQ(s.inserts, 5u);
  EXPECT_EQ(s.entries, 3u);
  EXPECT_EQ(s.bytes_used, 3 * Charge(100));
  EXPECT_EQ(s.hits, 5u);
  EXPECT_EQ(s.misses, 2u);
}

TEST(BlockCacheTest, BytesUsedNeverExceedTheCapacity) {
  for (int bits : {-1, 0, 2, 4}) {
    BlockCache cache(20000, bits);
    std::mt19937 rng(7);
    for (uint64_t i = 0; i < 2000; ++i) {
      cache.Insert(i % 7, i, Block(rng() % 3000));
      ASSERT_LE(cache.stats().bytes_used, cache.capacity()) << "bits " << bits << " insert " << i;
    }
    EXPECT_GT(cache.stats().evictions, 0u);
    EXPECT_GT(cache.stats().entries, 0u);
  }
}

TEST(BlockCacheTest, ShardCountFollowsTheCapacity) {
  EXPECT_EQ(BlockCache(256ull << 20).num_shards(), 16);
  EXPECT_EQ(BlockCache(1 << 20).num_shards(), 2);
  EXPECT_EQ(BlockCache(64 << 10).num_shards(), 1);
  EXPECT_EQ(BlockCache(0).num_shards(), 1);
  EXPECT_EQ(BlockCache(1000, 3).num_shards(), 8);
}

TEST(BlockCacheTest, ABlockLargerThanTheCapacityIsNotCached) {
  BlockCache cache(1000, 0);
  auto big = Block(1000);
  EXPECT_EQ(cache.Insert(1, 0, big), big);
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  EXPECT_EQ(cache.stats().bytes_used, 0u);
  EXPECT_EQ(cache.stats().inserts, 0u);
}

TEST(BlockCacheTest, AnEvictedBlockStaysAliveForItsUser) {
  BlockCache cache(Charge(100), 0);
  cache.Insert(1, 0, Block(100, 'a'));
  std::shared_ptr<const std::string> held = cache.Lookup(1, 0);
  ASSERT_NE(held, nullptr);
  cache.Insert(1, 1, Block(100, 'b'));
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_EQ(held.use_count(), 1) << "the cache must have let go of it";
  EXPECT_EQ(*held, std::string(100, 'a'));
}

TEST(BlockCacheTest, ZeroCapacityCachesNothing) {
  BlockCache cache(0);
  auto block = Block(10);
  EXPECT_EQ(cache.Insert(1, 0, block), block);
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  const BlockCache::Stats s = cache.stats();
  EXPECT_EQ(s.bytes_used, 0u);
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.misses, 1u);
}

TEST(BlockCacheTest, ASecondInsertOfOneKeyReturnsTheFirstCopy) {
  BlockCache cache(1 << 20);
  auto first = Block(10, 'a');
  EXPECT_EQ(cache.Insert(5, 9, first), first);
  EXPECT_EQ(cache.Insert(5, 9, Block(10, 'b')), first);
  EXPECT_EQ(cache.stats().entries, 1u);
  EXPECT_EQ(cache.stats().bytes_used, Charge(10));
}

TEST(BlockCacheTest, ReaderIdsAreUnique) {
  BlockCache cache(0);
  const uint64_t a = cache.NewId(), b = cache.NewId();
  EXPECT_NE(a, b);
}

// Many threads looking up and inserting overlapping blocks: every block read
// back is the one stored under its key, and the bound holds throughout.
TEST(BlockCacheTest, ConcurrentUseKeepsContentsAndTheBound) {
  BlockCache cache(64 << 10, 2);
  auto content = [](uint64_t id, uint64_t block) {
    return std::string(200 + (id * 31 + block) % 800, static_cast<char>('a' + (id + block) % 26));
  };
  constexpr int kThreads = 4;
  constexpr int kOps = 20000;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < kOps; ++i) {
        const uint64_t id = 1 + rng() % 4, block = rng() % 300;
        std::shared_ptr<const std::string> got = cache.Lookup(id, block);
        if (got == nullptr) {
          got = cache.Insert(id, block, std::make_shared<const std::string>(content(id, block)));
        }
        if (*got != content(id, block)) ++failures[t];
        if (cache.stats().bytes_used > cache.capacity()) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
  const BlockCache::Stats s = cache.stats();
  EXPECT_EQ(s.hits + s.misses, uint64_t{kThreads} * kOps);
  EXPECT_GT(s.hits, 0u);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_LE(s.bytes_used, cache.capacity());
}

Result<std::unique_ptr<DbReader>> OpenFixture(const std::string& scenario,
                                              std::shared_ptr<BlockCache> cache) {
  Result<StoreLocation> loc = OpenStoreForUrl(FixtureDir(scenario) + "/db");
  if (!loc.ok()) return loc.status();
  return DbReader::Open(loc->store, loc->key, std::move(cache));
}

// Two databases sharing one small cache: every key is right, blocks are
// evicted and re-read, and the cache never holds more than its capacity.
TEST(BlockCacheTest, DbReadersSharingASmallCacheStayWithinIt) {
  auto cache = std::make_shared<BlockCache>(16 << 10);
  Result<std::unique_ptr<DbReader>> compacted = OpenFixture("compacted", cache);
  Result<std::unique_ptr<DbReader>> large = OpenFixture("large-values", cache);
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  ASSERT_TRUE(large.ok()) << large.status().ToString();
  const std::map<std::string, std::string> a = FixtureExpected("compacted");
  const std::map<std::string, std::string> b = FixtureExpected("large-values");
  for (int pass = 0; pass < 2; ++pass) {
    auto bi = b.begin();
    for (const auto& [key, value] : a) {
      Result<std::optional<std::string>> got = (*compacted)->Get(key);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_TRUE(got->has_value()) << key;
      EXPECT_EQ(**got, value);
      if (bi != b.end()) {
        Result<std::optional<std::string>> other = (*large)->Get(bi->first);
        ASSERT_TRUE(other.ok()) << other.status().ToString();
        ASSERT_TRUE(other->has_value()) << bi->first;
        EXPECT_EQ(**other, bi->second);
        ++bi;
      }
      ASSERT_LE(cache->stats().bytes_used, cache->capacity());
    }
  }
  const BlockCache::Stats s = cache->stats();
  EXPECT_GT(s.hits, 0u);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_GT(s.bytes_used, 0u);
}

// With room for every block, each block of an SST is read from the store
// once however often it is looked up.
TEST(BlockCacheTest, AnSstReaderLoadsEachBlockOnceWhenItFits) {
  auto cache = std::make_shared<BlockCache>(8 << 20);
  Result<std::unique_ptr<DbReader>> reader = OpenFixture("l0", cache);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_EQ((*reader)->manifest().l0.size(), 1u);
  const std::map<std::string, std::string> expected = FixtureExpected("l0");
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& [key, value] : expected) {
      Result<std::optional<std::string>> got = (*reader)->Get(key);
      ASSERT_TRUE(got.ok() && got->has_value()) << key;
      EXPECT_EQ(**got, value);
    }
  }
  const BlockCache::Stats s = cache->stats();
  EXPECT_EQ(s.misses, 9u) << "the l0 fixture's SST has 9 blocks";
  EXPECT_EQ(s.inserts, 9u);
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_GE(s.hits, 3 * expected.size() - 9);
}

// The factory serves every key whatever the cache size, including none.
TEST(BlockCacheTest, FactoryServesEveryKeyWithAnyCacheSize) {
  Result<StoreLocation> loc = OpenStoreForUrl(FixtureDir("compacted") + "/db");
  ASSERT_TRUE(loc.ok());
  const std::map<std::string, std::string> expected = FixtureExpected("compacted");
  for (uint64_t bytes : {uint64_t{0}, uint64_t{4096}, uint64_t{256} << 20}) {
    SlateDbReaderOptions options;
    options.block_cache_bytes = bytes;
    std::shared_ptr<ShardReaderFactory> factory = NewSlateDbReaderFactory(options);
    ShardReaderContext ctx;
    ctx.store = loc->store;
    ctx.db_key = loc->key;
    Result<std::unique_ptr<ShardReader>> shard = factory->Open(ctx);
    ASSERT_TRUE(shard.ok()) << shard.status().ToString();
    for (const auto& [key, value] : expected) {
      Result<std::optional<std::string>> got = (*shard)->Get(key);
      ASSERT_TRUE(got.ok() && got->has_value()) << bytes << ": " << key;
      EXPECT_EQ(**got, value);
    }
    for (const std::string& key : FixtureAbsent("compacted")) {
      Result<std::optional<std::string>> got = (*shard)->Get(key);
      ASSERT_TRUE(got.ok());
      EXPECT_FALSE(got->has_value()) << bytes << ": " << key;
    }
  }
}

}  // namespace
}  // namespace shardyfusion::slatedb
