// The clock seam: monotonic time and sleeping, so that code that waits
// (rate limits, backoff, leases) can be tested without waiting.
//
// Thread-safety: SystemClock is stateless; a FakeClock may be shared by
// threads (its time is atomic), and its SleepFor advances time instead of
// blocking.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace shardyfusion {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic seconds since an arbitrary origin.
  virtual double NowSeconds() = 0;
  virtual void SleepFor(double seconds) = 0;
};

// steady_clock and std::this_thread::sleep_for.
Clock* SystemClock();

// Time moves only when told to (Advance) or when someone sleeps.
class FakeClock : public Clock {
 public:
  double NowSeconds() override { return static_cast<double>(now_ns_.load()) / 1e9; }
  void SleepFor(double seconds) override {
    if (seconds > 0) Advance(seconds);
    sleeps_.fetch_add(1);
  }
  // Rounds up to whole nanoseconds, so a sleep always moves time forward.
  void Advance(double seconds) {
    now_ns_.fetch_add(static_cast<int64_t>(std::ceil(seconds * 1e9)));
  }
  int64_t sleeps() const { return sleeps_.load(); }

 private:
  std::atomic<int64_t> now_ns_{0};
  std::atomic<int64_t> sleeps_{0};
};

}  // namespace shardyfusion
