#include "core/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace shardyfusion {
namespace {

TEST(SystemClockTest, AStopCutsAnInterruptibleSleepShort) {
  Clock* clock = SystemClock();
  std::stop_source stop;
  const double start = clock->NowSeconds();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop.request_stop();
  });
  EXPECT_FALSE(clock->SleepFor(3600, stop.get_token()));
  stopper.join();
  EXPECT_LT(clock->NowSeconds() - start, 30.0);  // promptly, not after an hour
  EXPECT_FALSE(clock->SleepFor(3600, stop.get_token())) << "already stopped: at once";
}

TEST(SystemClockTest, AnUninterruptedSleepSleepsAndSaysSo) {
  Clock* clock = SystemClock();
  std::stop_source stop;
  const double start = clock->NowSeconds();
  EXPECT_TRUE(clock->SleepFor(0.005, stop.get_token()));
  EXPECT_GE(clock->NowSeconds() - start, 0.005);
  EXPECT_TRUE(clock->SleepFor(0, stop.get_token()));
  const SystemTime utc = clock->NowUtc();
  EXPECT_LE(std::chrono::abs(utc - NowMicros()), std::chrono::seconds(5));
}

TEST(FakeClockTest, SleepsAdvanceTimeAndAreRecorded) {
  FakeClock clock;
  std::stop_source stop;
  EXPECT_EQ(clock.NowSeconds(), 0.0);
  EXPECT_EQ(clock.NowUtc(), FakeClock::kDefaultUtcOrigin);
  clock.SleepFor(1.5);
  EXPECT_TRUE(clock.SleepFor(2, stop.get_token()));
  clock.Advance(0.25);
  EXPECT_EQ(clock.NowSeconds(), 3.75);
  EXPECT_EQ(clock.NowUtc(), FakeClock::kDefaultUtcOrigin + std::chrono::milliseconds(3750));
  stop.request_stop();
  EXPECT_FALSE(clock.SleepFor(10, stop.get_token()));
  EXPECT_EQ(clock.NowSeconds(), 3.75) << "a stopped sleep takes no time";
  EXPECT_EQ(clock.sleep_log(), (std::vector<double>{1.5, 2, 10}));
  EXPECT_EQ(clock.sleeps(), 3);
}

TEST(FakeClockTest, AwaitAdvanceSleepsUntilTimeIsMovedOrTheyAreStopped) {
  FakeClock clock(FakeClock::Sleeps::kAwaitAdvance);
  std::stop_source stop;
  std::atomic<int> woke{0};
  std::atomic<bool> first_result{false};
  std::atomic<bool> second_result{true};
  std::thread sleeper([&] {
    first_result = clock.SleepFor(10, stop.get_token());
    ++woke;
    second_result = clock.SleepFor(10, stop.get_token());
    ++woke;
  });
  clock.AwaitSleeps(1);
  clock.Advance(9.5);
  EXPECT_EQ(woke.load(), 0);  // not yet its time (checked again below)
  clock.Advance(0.5);
  clock.AwaitSleeps(2);
  EXPECT_EQ(woke.load(), 1);
  EXPECT_TRUE(first_result.load());
  stop.request_stop();
  sleeper.join();
  EXPECT_FALSE(second_result.load());
  EXPECT_EQ(clock.NowSeconds(), 10.0);
  EXPECT_EQ(clock.sleep_log(), (std::vector<double>{10, 10}));
}

}  // namespace
}  // namespace shardyfusion
