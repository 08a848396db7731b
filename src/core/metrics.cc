#include "shardyfusion/metrics.h"

#include <fmt/format.h>

#include <array>
#include <map>
#include <mutex>

namespace shardyfusion {

std::optional<double> MetricEvent::Number(std::string_view key) const {
  for (const auto& [k, v] : numbers) {
    if (k == key) return v;
  }
  return std::nullopt;
}

const std::string* MetricEvent::Label(std::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

namespace {

// prometheus_client's default histogram buckets (seconds).
constexpr std::array<double, 14> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                             0.5,   0.75, 1.0,   2.5,  5.0,   7.5, 10.0};

struct Histogram {
  std::array<uint64_t, kBuckets.size()> counts{};  // per bucket, not cumulative
  uint64_t count = 0;
  double sum = 0;
  void Observe(double v) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      if (v <= kBuckets[i]) {
        ++counts[i];
        break;
      }
    }
    ++count;
    sum += v;
  }
};

struct Mapping {
  std::string_view event;
  const char* counter;     // <prefix><counter>_total, or null
  const char* histogram;   // <prefix><histogram>, or null
  std::string_view field;  // the histogram's source field
  double scale;            // field unit to seconds
  const char* help;
};

// The reference's Prometheus mapping (interop: metrics), plus the events it
// declares and we also emit.
constexpr Mapping kMappings[] = {
    {metric_events::kWriteStarted, "writes_started", nullptr, "", 0, "Writes started"},
    {metric_events::kWriteCompleted, "writes_completed", "write_duration_seconds", "elapsed_ms",
     1e-3, "Writes completed"},
    {metric_events::kWriteFailed, "writes_failed", nullptr, "", 0, "Writes failed"},
    {metric_events::kWriteShardCompleted, "shard_writes_completed", "shard_write_duration_seconds",
     "duration_ms", 1e-3, "Shard writes completed"},
    {metric_events::kWriteBatchWritten, "batches_written", nullptr, "", 0, "Batches written"},
    {metric_events::kWriteShardRetried, "shard_retries", nullptr, "", 0, "Shard attempts retried"},
    {metric_events::kWriteShardRetryExhausted, "shard_retries_exhausted", nullptr, "", 0,
     "Shards whose retries ran out"},
    {metric_events::kReaderGet, "reader_gets", "reader_get_duration_seconds", "duration_ms", 1e-3,
     "Reader point lookups"},
    {metric_events::kReaderMultiGet, "reader_multi_gets", "reader_multi_get_duration_seconds",
     "duration_ms", 1e-3, "Reader batch lookups"},
    {metric_events::kS3Retry, "s3_retries", nullptr, "", 0, "S3 requests retried"},
    {metric_events::kS3RetryExhausted, "s3_retries_exhausted", nullptr, "", 0,
     "S3 requests whose retries ran out"},
    {metric_events::kRateLimiterThrottled, "rate_limiter_throttled", "rate_limiter_wait_seconds",
     "wait_seconds", 1.0, "Rate limiter waits"},
    {metric_events::kRateLimiterDenied, "rate_limiter_denied", nullptr, "", 0,
     "Rate limiter non-blocking denials"},
};

}  // namespace

struct PrometheusCollector::Rep {
  std::string prefix;
  mutable std::mutex mu;
  std::map<std::string, std::pair<const char*, uint64_t>> counters;     // name -> (help, value)
  std::map<std::string, std::pair<const char*, Histogram>> histograms;  // name -> (help, h)
};

PrometheusCollector::PrometheusCollector(std::string prefix) : rep_(std::make_unique<Rep>()) {
  rep_->prefix = std::move(prefix);
}
PrometheusCollector::~PrometheusCollector() = default;

void PrometheusCollector::Emit(const MetricEvent& event) {
  for (const Mapping& m : kMappings) {
    if (m.event != event.name) continue;
    std::lock_guard<std::mutex> lock(rep_->mu);
    if (m.counter != nullptr) {
      auto& c = rep_->counters[rep_->prefix + m.counter];
      c.first = m.help;
      ++c.second;
    }
    if (m.histogram != nullptr) {
      if (auto v = event.Number(m.field)) {
        auto& h = rep_->histograms[rep_->prefix + m.histogram];
        h.first = m.help;
        h.second.Observe(*v * m.scale);
      }
    }
    return;
  }
}

std::string PrometheusCollector::RenderText() const {
  std::lock_guard<std::mutex> lock(rep_->mu);
  std::string out;
  for (const auto& [name, c] : rep_->counters) {
    out += fmt::format("# HELP {}_total {}\n# TYPE {}_total counter\n{}_total {}\n", name, c.first,
                       name, name, c.second);
  }
  for (const auto& [name, h] : rep_->histograms) {
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, h.first, name);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.second.counts[i];
      out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, kBuckets[i], cumulative);
    }
    out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name,
                       h.second.count, name, h.second.sum, name, h.second.count);
  }
  return out;
}

}  // namespace shardyfusion
