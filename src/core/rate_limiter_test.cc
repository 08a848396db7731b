#include "core/rate_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/metrics_testing.h"

namespace shardyfusion {
namespace {

TEST(TokenBucketTest, StartsFullAndRefillsContinuously) {
  FakeClock clock;
  TokenBucket bucket(100, "ops", &clock);
  EXPECT_TRUE(bucket.TryAcquire(100));
  double deficit = 0;
  EXPECT_FALSE(bucket.TryAcquire(10, &deficit));
  EXPECT_NEAR(deficit, 0.1, 1e-9);
  clock.Advance(0.05);
  EXPECT_TRUE(bucket.TryAcquire(5));
  EXPECT_FALSE(bucket.TryAcquire(1));
  clock.Advance(10);  // refill stops at the capacity
  EXPECT_TRUE(bucket.TryAcquire(100));
  EXPECT_FALSE(bucket.TryAcquire(1));
}

TEST(TokenBucketTest, BlockingAcquireWaitsForTheDeficit) {
  FakeClock clock;
  RecordingCollector metrics;
  TokenBucket bucket(1000, "bytes", &clock, &metrics);
  EXPECT_EQ(bucket.Acquire(1000), 0);
  double waited = bucket.Acquire(500);
  EXPECT_NEAR(waited, 0.5, 1e-6);
  EXPECT_NEAR(clock.NowSeconds(), 0.5, 1e-6);
  const std::vector<RecordedEvent> events = metrics.Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().name, "rate_limiter.throttled");
  ASSERT_NE(events.back().Label("limiter_type"), nullptr);
  EXPECT_EQ(*events.back().Label("limiter_type"), "bytes");
}

// The reference's defect: a request above the capacity waited forever. It
// is served in parts and takes about n / rate seconds.
TEST(TokenBucketTest, RequestsLargerThanTheCapacityFinish) {
  FakeClock clock;
  TokenBucket bucket(1000, "ops", &clock);
  double waited = bucket.Acquire(50000);  // batch_size 50,000 at 1,000/s
  EXPECT_NEAR(waited, 49.0, 1e-3);        // the first 1,000 were in the bucket
  EXPECT_LT(clock.sleeps(), 100);
  double deficit = 0;
  EXPECT_FALSE(bucket.TryAcquire(5000, &deficit));
  EXPECT_NEAR(deficit, 5.0, 1e-3);
}

TEST(TokenBucketTest, DeniedTryAcquireEmitsAnEvent) {
  FakeClock clock;
  RecordingCollector metrics;
  TokenBucket bucket(10, "ops", &clock, &metrics);
  EXPECT_TRUE(bucket.TryAcquire(10));
  EXPECT_FALSE(bucket.TryAcquire(1));
  ASSERT_EQ(metrics.Names().size(), 1u);
  EXPECT_EQ(metrics.Names()[0], "rate_limiter.denied");
}

// Shared by threads, the total rate holds: the configured rate is the sum,
// not per worker (another reference defect).
TEST(TokenBucketTest, ThreadsShareOneRate) {
  FakeClock clock;
  TokenBucket bucket(1000, "ops", &clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) bucket.Acquire(100);
    });
  }
  for (auto& th : threads) th.join();
  // 20,000 tokens at 1,000/s with 1,000 up front: at least 19 s of fake time
  // passed, however the sleeps interleaved.
  EXPECT_GE(clock.NowSeconds(), 19.0 - 1e-6);
}

TEST(PrometheusCollectorTest, RendersCountersAndHistogramsInTextFormat) {
  PrometheusCollector prom;
  MetricEvent started{metric_events::kWriteStarted, {{"elapsed_ms", 0}}, {}};
  MetricEvent done{metric_events::kWriteCompleted, {{"elapsed_ms", 1500}, {"rows_written", 9}}, {}};
  MetricEvent unknown{"some.future.event", {}, {}};
  prom.Emit(started);
  prom.Emit(started);
  prom.Emit(done);
  prom.Emit(unknown);
  std::string text = prom.RenderText();
  EXPECT_NE(text.find("# TYPE shardyfusion_writes_started_total counter\n"
                      "shardyfusion_writes_started_total 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("shardyfusion_writes_completed_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE shardyfusion_write_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("shardyfusion_write_duration_seconds_bucket{le=\"1\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("shardyfusion_write_duration_seconds_bucket{le=\"2.5\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("shardyfusion_write_duration_seconds_sum 1.5\n"), std::string::npos);
  EXPECT_EQ(text.find("future"), std::string::npos);
}

}  // namespace
}  // namespace shardyfusion
