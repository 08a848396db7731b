#include "reader/lookup_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

namespace shardyfusion {
namespace {

TEST(LookupPoolTest, EveryTaskRunsOnce) {
  LookupPool pool(3);
  for (size_t n : {0u, 1u, 2u, 7u, 100u}) {
    std::vector<std::atomic<int>> runs(n);
    pool.Run(n, [&](size_t i) { runs[i].fetch_add(1); });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(runs[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(LookupPoolTest, OneThreadRunsEverythingOnTheCaller) {
  LookupPool pool(1);
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::thread::id> seen(8);
  pool.Run(seen.size(), [&](size_t i) { seen[i] = std::this_thread::get_id(); });
  for (const std::thread::id& id : seen) EXPECT_EQ(id, caller);
}

// Task 0 waits for task 1 to start: it finishes only if two threads run the
// batch at once. A sequential pool would time out (and fail) instead.
TEST(LookupPoolTest, TasksOfOneBatchRunInParallel) {
  LookupPool pool(2);
  std::atomic<bool> second_started{false};
  std::atomic<bool> overlapped{false};
  pool.Run(2, [&](size_t i) {
    if (i == 1) {
      second_started = true;
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!second_started && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    overlapped = second_started.load();
  });
  EXPECT_TRUE(overlapped);
}

TEST(LookupPoolTest, ConcurrentBatchesEachGetTheirOwnResults) {
  LookupPool pool(3);
  constexpr int kCallers = 4;
  constexpr int kRounds = 200;
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < kRounds; ++round) {
        const size_t n = 1 + (c + round) % 9;
        std::vector<int> out(n, -1);
        pool.Run(n, [&](size_t i) { out[i] = c * 1000 + static_cast<int>(i); });
        for (size_t i = 0; i < n; ++i) {
          if (out[i] != c * 1000 + static_cast<int>(i)) wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace shardyfusion
