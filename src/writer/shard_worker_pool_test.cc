// ShardWorkerPool: per-shard order, byte budgets, failure and shutdown.
#include "writer/shard_worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace shardyfusion {
namespace {

using std::chrono_literals::operator""ms;

TEST(ShardWorkerPoolTest, RunsEachShardsJobsInOrderOnFewThreads) {
  ShardWorkerPool::Limits limits;
  limits.workers = 3;
  ShardWorkerPool pool(limits, std::stop_source());
  constexpr uint32_t kShards = 50;  // many more shards than threads
  std::vector<std::vector<int>> seen(kShards);
  std::mutex mu;
  std::set<std::thread::id> threads;
  for (int seq = 0; seq < 40; ++seq) {
    for (uint32_t s = 0; s < kShards; ++s) {
      ASSERT_TRUE(pool.Submit(s, 1,
                              [&, s, seq] {
                                seen[s].push_back(seq);  // only shard s's worker touches seen[s]
                                std::lock_guard<std::mutex> lock(mu);
                                threads.insert(std::this_thread::get_id());
                                return Status::OK();
                              })
                      .ok());
    }
  }
  ASSERT_TRUE(pool.Drain().ok());
  for (uint32_t s = 0; s < kShards; ++s) {
    ASSERT_EQ(seen[s].size(), 40u);
    for (int i = 0; i < 40; ++i) EXPECT_EQ(seen[s][i], i) << "shard " << s;
  }
  EXPECT_LE(threads.size(), 3u);
  EXPECT_EQ(pool.workers(), 3u);
}

// Jobs that wait on a gate hold their charge; the producer may not exceed
// the global budget nor a worker's, and a job larger than a budget still
// runs once it is alone.
TEST(ShardWorkerPoolTest, ByteBudgetsBoundWhatIsInFlight) {
  ShardWorkerPool::Limits limits;
  limits.workers = 2;
  limits.max_total_bytes = 300;
  limits.max_bytes_per_worker = 200;
  ShardWorkerPool pool(limits, std::stop_source());
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> ran{0};
  auto job = [&] {
    open.wait();
    ++ran;
    return Status::OK();
  };
  ASSERT_TRUE(pool.Submit(0, 100, job).ok());
  ASSERT_TRUE(pool.Submit(0, 100, job).ok());  // worker 0 full (200)
  ASSERT_TRUE(pool.Submit(1, 100, job).ok());  // global full (300)
  std::atomic<bool> submitted{false};
  std::thread producer([&] {
    EXPECT_TRUE(pool.Submit(1, 50, job).ok());
    submitted = true;
    EXPECT_TRUE(pool.Submit(0, 1000, job).ok());  // larger than every budget
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(submitted.load()) << "a submit went past a spent budget";
  EXPECT_EQ(pool.peak_bytes(), 300u);
  gate.set_value();
  producer.join();
  ASSERT_TRUE(pool.Drain().ok());
  EXPECT_EQ(ran.load(), 5);
  EXPECT_EQ(pool.peak_bytes(), 1000u);  // the oversized job ran alone
}

TEST(ShardWorkerPoolTest, JobCapPerWorker) {
  ShardWorkerPool::Limits limits;
  limits.workers = 1;
  limits.max_jobs_per_worker = 2;
  ShardWorkerPool pool(limits, std::stop_source());
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(pool.Submit(i, 0,
                            [&] {
                              int now = ++running;
                              most = std::max(most.load(), now);
                              std::this_thread::sleep_for(1ms);
                              --running;
                              return Status::OK();
                            })
                    .ok());
  }
  ASSERT_TRUE(pool.Drain().ok());
  EXPECT_EQ(most.load(), 1);
}

// A failing job wakes a producer blocked on the budget with the error,
// requests the stop source, and the jobs not yet started never run.
TEST(ShardWorkerPoolTest, FirstFailureStopsEverything) {
  ShardWorkerPool::Limits limits;
  limits.workers = 2;
  limits.max_total_bytes = 100;
  std::stop_source stop;
  ShardWorkerPool pool(limits, stop);
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> ran_after{0};
  ASSERT_TRUE(pool.Submit(0, 100,
                          [&] {
                            open.wait();
                            return Status(ErrorCode::kShardWrite, "db_id=0 broke");
                          })
                  .ok());
  std::thread producer([&] {
    // Blocks: the budget is spent by the first job.
    Status st = pool.Submit(1, 10, [&] {
      ++ran_after;
      return Status::OK();
    });
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("db_id=0 broke"), std::string::npos);
  });
  std::this_thread::sleep_for(20ms);
  gate.set_value();
  producer.join();
  Status drained = pool.Drain();
  EXPECT_EQ(drained.code(), ErrorCode::kShardWrite);
  EXPECT_TRUE(stop.stop_requested());
  EXPECT_EQ(ran_after.load(), 0);
  EXPECT_FALSE(pool.Submit(1, 0, [] { return Status::OK(); }).ok());
}

TEST(ShardWorkerPoolTest, StopDropsQueuedJobsAndJoins) {
  std::atomic<int> ran{0};
  {
    ShardWorkerPool::Limits limits;
    limits.workers = 1;
    ShardWorkerPool pool(limits, std::stop_source());
    std::promise<void> gate;
    std::shared_future<void> open = gate.get_future().share();
    std::promise<void> started;
    ASSERT_TRUE(pool.Submit(0, 0,
                            [&] {
                              started.set_value();
                              open.wait();
                              ++ran;
                              return Status::OK();
                            })
                    .ok());
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(pool.Submit(0, 0,
                              [&] {
                                ++ran;
                                return Status::OK();
                              })
                      .ok());
    }
    started.get_future().wait();
    std::thread opener([&] {
      std::this_thread::sleep_for(20ms);
      gate.set_value();
    });
    pool.Stop();  // waits for the running job, drops the ten queued
    opener.join();
    EXPECT_EQ(ran.load(), 1);
    pool.Stop();  // idempotent
  }
  EXPECT_EQ(ran.load(), 1);
}

}  // namespace
}  // namespace shardyfusion
