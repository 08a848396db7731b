// The clock seam: monotonic time, wall-clock time and sleeping, so that code
// that waits (rate limits, backoff, heartbeats, lock polling) or stamps
// times (manifests, run records) can be tested without waiting.
//
// Whoever takes a Clock* does not own it; it must outlive them. The default
// everywhere is SystemClock().
//
// Thread-safety: every Clock may be used by many threads at once.
// SystemClock is stateless; FakeClock guards its state itself.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <vector>

#include "core/time_format.h"

namespace shardyfusion {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic seconds since an arbitrary origin: for intervals and deadlines.
  virtual double NowSeconds() = 0;
  // Wall-clock time (UTC, microseconds): for timestamps written to storage.
  virtual SystemTime NowUtc() = 0;
  // Sleeps `seconds` (not at all if <= 0).
  virtual void SleepFor(double seconds) = 0;
  // Sleeps `seconds` unless `stop` is requested first. Returns true after the
  // whole sleep, false as soon as a stop is requested (at once if it already
  // was). A stop requested from another thread wakes the sleeper promptly.
  virtual bool SleepFor(double seconds, std::stop_token stop) = 0;
};

// steady_clock, system_clock, and sleeps on a condition variable.
Clock* SystemClock();

// A clock whose time moves only when told to (Advance) or, in kAdvance
// mode, when someone sleeps. It records every sleep so that tests can
// assert a backoff schedule exactly.
//
//   kAdvance        a sleep moves time forward by its length and returns at
//                   once (a stopped one returns false without moving time):
//                   for code that sleeps on the caller's thread;
//   kAwaitAdvance   a sleep blocks until Advance() has moved time to its end,
//                   or until its stop is requested: for a thread that sleeps
//                   in a loop (a heartbeat), which a test drives step by
//                   step with Advance() and AwaitSleeps().
//
// Wall-clock time is `utc_origin` plus the fake time elapsed.
class FakeClock : public Clock {
 public:
  enum class Sleeps { kAdvance, kAwaitAdvance };
  // 2026-01-02T03:04:05Z.
  static constexpr SystemTime kDefaultUtcOrigin{std::chrono::microseconds(1767323045000000)};

  explicit FakeClock(Sleeps mode = Sleeps::kAdvance, SystemTime utc_origin = kDefaultUtcOrigin)
      : mode_(mode), utc_origin_(utc_origin) {}

  double NowSeconds() override { return static_cast<double>(now_ns_.load()) / 1e9; }
  SystemTime NowUtc() override;
  void SleepFor(double seconds) override;
  bool SleepFor(double seconds, std::stop_token stop) override;

  // Rounds up to whole nanoseconds, so a positive advance always moves time.
  // Wakes the kAwaitAdvance sleepers whose end has come.
  void Advance(double seconds);

  // How many sleeps have started.
  int64_t sleeps() const;
  // The length of every sleep, in the order they started.
  std::vector<double> sleep_log() const;
  // Blocks until at least `n` sleeps have started (with kAwaitAdvance: the
  // thread under test has done its work and sleeps again).
  void AwaitSleeps(int64_t n) const;

 private:
  static int64_t ToNanos(double seconds);

  const Sleeps mode_;
  const SystemTime utc_origin_;
  std::atomic<int64_t> now_ns_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable_any changed_;  // time advanced or a sleep started
  std::vector<double> sleep_log_;                // guarded by mu_
};

}  // namespace shardyfusion
