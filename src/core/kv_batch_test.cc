#include "shardyfusion/kv_batch.h"

#include <gtest/gtest.h>

#include <string>

namespace shardyfusion {
namespace {

TEST(KvBatchTest, KeepsPairsAcrossBlocksAndHugeValues) {
  KvBatch b;
  const std::string huge(3 << 20, 'h');  // larger than one block
  for (int i = 0; i < 30000; ++i) {
    b.Add("k" + std::to_string(i), std::string(50 + i % 7, static_cast<char>('a' + i % 26)));
    if (i == 12345) b.Add("huge", huge);
  }
  b.Add("", "");
  ASSERT_EQ(b.size(), 30002u);
  uint64_t payload = 0;
  for (size_t i = 0; i < b.size(); ++i) payload += b.key(i).size() + b.value(i).size();
  EXPECT_EQ(b.payload_bytes(), payload);
  EXPECT_EQ(b.key(12346), "huge");
  EXPECT_EQ(b.value(12346), huge);
  EXPECT_EQ(b.key(29999 + 1), "k29999");
  EXPECT_EQ(b.value(0), std::string(50, 'a'));
  EXPECT_EQ(b.key(30001), "");
}

TEST(KvBatchTest, ClearReusesMemoryAndMoveTransfersIt) {
  KvBatch b;
  for (int i = 0; i < 20000; ++i) b.Add(std::to_string(i), std::string(100, 'v'));
  const uint64_t held = b.memory_bytes();
  b.Clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.payload_bytes(), 0u);
  for (int i = 0; i < 20000; ++i) b.Add(std::to_string(i), std::string(100, 'w'));
  EXPECT_EQ(b.memory_bytes(), held);  // no new blocks for the same load
  EXPECT_EQ(b.value(19999), std::string(100, 'w'));

  KvBatch moved(std::move(b));
  EXPECT_EQ(moved.size(), 20000u);
  EXPECT_EQ(moved.key(7), "7");
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  b.Add("x", "y");         // and usable
  EXPECT_EQ(b.value(0), "y");
  moved.Release();
  EXPECT_EQ(moved.memory_bytes(), 0u);
}

// A build may hold tens of thousands of shards with a few records each: a
// small batch must cost kilobytes (it once took a 2 MiB block at once).
TEST(KvBatchTest, ASmallBatchIsSmallAndALargeOneGrowsGeometrically) {
  KvBatch small;
  for (int i = 0; i < 4; ++i) small.Add(std::to_string(i), std::string(100, 'v'));
  EXPECT_LE(small.memory_bytes(), 16u << 10);

  KvBatch large;
  size_t payload = 0;
  for (int i = 0; i < 100000; ++i) {
    large.Add(std::to_string(i), std::string(100, 'v'));
    payload += std::to_string(i).size() + 100;
  }
  // Blocks double, so at most about twice the payload is held, and the
  // pairs are all still there.
  EXPECT_LE(large.memory_bytes(), 2 * payload + 100000 * 16 + (2u << 20));
  EXPECT_EQ(large.key(99999), "99999");
  EXPECT_EQ(large.value(0), std::string(100, 'v'));
}

}  // namespace
}  // namespace shardyfusion
