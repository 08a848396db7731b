#include "core/rate_limiter.h"

#include <algorithm>

namespace shardyfusion {

TokenBucket::TokenBucket(double rate, std::string limiter_type, Clock* clock,
                         MetricsCollector* metrics, double capacity)
    : rate_(rate),
      capacity_(capacity > 0 ? capacity : std::max(rate, 1.0)),
      limiter_type_(std::move(limiter_type)),
      clock_(clock),
      metrics_(metrics),
      tokens_(capacity_),
      last_refill_(clock->NowSeconds()) {}

void TokenBucket::RefillLocked() {
  double now = clock_->NowSeconds();
  if (now > last_refill_) {
    tokens_ = std::min(capacity_, tokens_ + (now - last_refill_) * rate_);
    last_refill_ = now;
  }
}

double TokenBucket::TakeOrWaitLocked(double want, bool* taken) {
  RefillLocked();
  if (tokens_ >= want) {
    tokens_ -= want;
    *taken = true;
    return 0;
  }
  *taken = false;
  return (want - tokens_) / rate_;
}

void TokenBucket::Emit(std::string_view event, std::string_view field, double value) {
  if (metrics_ == nullptr) return;
  MetricEvent e;
  e.name = event;
  e.numbers.emplace_back(field, value);
  e.labels.emplace_back("limiter_type", limiter_type_);
  metrics_->Emit(e);
}

bool TokenBucket::TryAcquire(uint64_t n, double* deficit_seconds) {
  const double want = static_cast<double>(n);
  bool taken = false;
  double wait;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (want <= capacity_) {
      wait = TakeOrWaitLocked(want, &taken);
    } else {
      // More than the bucket holds: never granted at once (Acquire serves
      // it in parts); the deficit is the time to refill the difference.
      RefillLocked();
      wait = (want - tokens_) / rate_;
    }
  }
  if (!taken) {
    if (deficit_seconds != nullptr) *deficit_seconds = wait;
    Emit(metric_events::kRateLimiterDenied, "deficit_seconds", wait);
  }
  return taken;
}

double TokenBucket::Acquire(uint64_t n) {
  double remaining = static_cast<double>(n);
  double waited = 0;
  while (remaining > 0) {
    double part = std::min(remaining, capacity_);
    bool taken = false;
    double wait;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wait = TakeOrWaitLocked(part, &taken);
    }
    if (taken) {
      remaining -= part;
      continue;
    }
    Emit(metric_events::kRateLimiterThrottled, "wait_seconds", wait);
    clock_->SleepFor(wait);
    waited += wait;
  }
  return waited;
}

}  // namespace shardyfusion
