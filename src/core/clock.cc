#include "core/clock.h"

#include <chrono>
#include <cmath>
#include <thread>

namespace shardyfusion {

namespace {

class RealClock : public Clock {
 public:
  double NowSeconds() override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  SystemTime NowUtc() override { return NowMicros(); }
  void SleepFor(double seconds) override {
    if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }
  bool SleepFor(double seconds, std::stop_token stop) override {
    if (stop.stop_requested()) return false;
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock<std::mutex> lock(mu);
    // Wakes when the stop is requested (the stop token's callback notifies
    // cv), else when the time is up.
    cv.wait_for(lock, stop, std::chrono::duration<double>(seconds), [] { return false; });
    return !stop.stop_requested();
  }
};

}  // namespace

Clock* SystemClock() {
  static RealClock clock;
  return &clock;
}

int64_t FakeClock::ToNanos(double seconds) {
  return seconds > 0 ? static_cast<int64_t>(std::ceil(seconds * 1e9)) : 0;
}

SystemTime FakeClock::NowUtc() {
  return utc_origin_ + std::chrono::microseconds(now_ns_.load() / 1000);
}

void FakeClock::Advance(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ns_.fetch_add(ToNanos(seconds));
  changed_.notify_all();
}

void FakeClock::SleepFor(double seconds) { SleepFor(seconds, std::stop_token()); }

bool FakeClock::SleepFor(double seconds, std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);
  sleep_log_.push_back(seconds);
  changed_.notify_all();
  if (stop.stop_requested()) return false;
  if (mode_ == Sleeps::kAdvance) {
    now_ns_.fetch_add(ToNanos(seconds));
    changed_.notify_all();
    return true;
  }
  const int64_t end = now_ns_.load() + ToNanos(seconds);
  return changed_.wait(lock, stop, [&] { return now_ns_.load() >= end; });
}

int64_t FakeClock::sleeps() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(sleep_log_.size());
}

std::vector<double> FakeClock::sleep_log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sleep_log_;
}

void FakeClock::AwaitSleeps(int64_t n) const {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return static_cast<int64_t>(sleep_log_.size()) >= n; });
}

}  // namespace shardyfusion
