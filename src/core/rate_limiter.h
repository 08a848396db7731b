// A token bucket shared by every thread of a build: the configured rate is
// the total, however many workers draw from it.
//
// The bucket holds at most `capacity` tokens (default: one second of the
// rate) and starts full; tokens refill continuously at `rate` per second.
//   TryAcquire(n)  takes n tokens if they are there, never blocks; on denial
//                  reports how long the deficit would take to refill and
//                  emits rate_limiter.denied.
//   Acquire(n)     blocks until n tokens were taken. A request larger than
//                  the capacity is served in parts of at most the capacity,
//                  so it finishes after about n / rate seconds instead of
//                  waiting forever (the reference's defect). Each wait emits
//                  rate_limiter.throttled with wait_seconds.
// Waiters sleep outside the lock, so one slow consumer never blocks another
// thread's refill bookkeeping.
//
// Thread-safety: all methods may be called from any number of threads.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "shardyfusion/metrics.h"

namespace shardyfusion {

class TokenBucket {
 public:
  // REQUIRES: rate > 0. capacity <= 0 means max(rate, 1).
  // `limiter_type` labels the metric events ("ops" or "bytes").
  TokenBucket(double rate, std::string limiter_type, Clock* clock = SystemClock(),
              MetricsCollector* metrics = nullptr, double capacity = 0);

  // True if n tokens were taken. Otherwise *deficit_seconds (if given) is
  // the time the missing tokens take to refill; a request above the
  // capacity is always denied here (Acquire serves it in parts).
  bool TryAcquire(uint64_t n, double* deficit_seconds = nullptr);

  // Takes n tokens, waiting as needed; returns the seconds spent waiting.
  double Acquire(uint64_t n);

  double rate() const { return rate_; }
  double capacity() const { return capacity_; }

 private:
  // REQUIRES: mu_ held.
  void RefillLocked();
  // Takes up to `want` tokens (<= capacity) if available; else returns the
  // wait until they are. REQUIRES: mu_ held.
  double TakeOrWaitLocked(double want, bool* taken);
  void Emit(std::string_view event, std::string_view field, double value);

  const double rate_;
  const double capacity_;
  const std::string limiter_type_;
  Clock* const clock_;
  MetricsCollector* const metrics_;

  std::mutex mu_;
  double tokens_;
  double last_refill_;
};

}  // namespace shardyfusion
