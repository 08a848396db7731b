#include "reader/snapshot_slot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace shardyfusion {
namespace {

struct Numbers {
  explicit Numbers(int v) : a(v), b(v) {}
  int a, b;  // equal in every snapshot
};

TEST(SnapshotSlotTest, LoadReturnsWhatWasStored) {
  SnapshotSlot<const Numbers> slot;
  EXPECT_EQ(slot.load(), nullptr);
  auto first = std::make_shared<const Numbers>(1);
  slot.store(first);
  EXPECT_EQ(slot.load(), first);
}

TEST(SnapshotSlotTest, AHeldSnapshotOutlivesItsReplacement) {
  SnapshotSlot<const Numbers> slot;
  slot.store(std::make_shared<const Numbers>(1));
  std::shared_ptr<const Numbers> held = slot.load();
  slot.store(std::make_shared<const Numbers>(2));
  EXPECT_EQ(held->a, 1);
  EXPECT_EQ(held.use_count(), 1);  // the slot let go of it
  EXPECT_EQ(slot.load()->a, 2);
}

// The reader's pattern: lookups load while a refresh stores. Regression test
// for the data race ThreadSanitizer found when the slot was a libstdc++ 12
// std::atomic<std::shared_ptr> (tools/tsan/run.sh runs this under TSan).
TEST(SnapshotSlotTest, LoadsRunConcurrentlyWithStores) {
  SnapshotSlot<const Numbers> slot;
  slot.store(std::make_shared<const Numbers>(0));
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::shared_ptr<const Numbers> s = slot.load();
        if (s->a != s->b) ++torn;
      }
    });
  }
  // Pauses between stores, as between refreshes, so that loads run between
  // them; nothing here may synchronise the threads besides the slot itself,
  // or TSan could not see a race inside it.
  for (int i = 1; i <= 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    slot.store(std::make_shared<const Numbers>(i));
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(slot.load()->a, 50);
}

}  // namespace
}  // namespace shardyfusion
