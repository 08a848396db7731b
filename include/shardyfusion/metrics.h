// Metric events and collectors.
//
// The writer and the reader report what they do as named events with a few
// numeric fields and text labels, the same events the reference project
// emits (docs/metrics.md): "write.started", "write.completed" with
// elapsed_ms and rows_written, "rate_limiter.throttled" with wait_seconds and
// limiter_type, and so on. A MetricsCollector receives them; collectors must
// ignore events they do not know, because new events may be added.
//
// PrometheusCollector turns the events into Prometheus counters and
// histograms (prefix "shardyfusion_", milliseconds converted to seconds) and
// renders them in the Prometheus text exposition format.
//
// Thread-safety: Emit is called from any thread, concurrently; every
// collector must be thread-safe. PrometheusCollector is.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardyfusion {

// Event names (the reference's MetricEvent values).
namespace metric_events {
inline constexpr std::string_view kWriteStarted = "write.started";
inline constexpr std::string_view kWriteShardStarted = "write.shard.started";
inline constexpr std::string_view kWriteShardCompleted = "write.shard.completed";
inline constexpr std::string_view kWriteBatchWritten = "write.batch_written";
inline constexpr std::string_view kWriteShardsCompleted = "write.shards_completed";
inline constexpr std::string_view kWriteManifestPublished = "write.manifest_published";
inline constexpr std::string_view kWriteCurrentPublished = "write.current_published";
inline constexpr std::string_view kWriteCompleted = "write.completed";
inline constexpr std::string_view kWriteFailed = "write.failed";
inline constexpr std::string_view kWriteShardRetried = "write.shard.retried";
inline constexpr std::string_view kWriteShardRetryExhausted = "write.shard.retry_exhausted";
// Not in the reference: a checkpoint was taken (records, duration_ms).
inline constexpr std::string_view kWriteCheckpoint = "write.checkpoint";
inline constexpr std::string_view kRateLimiterThrottled = "rate_limiter.throttled";
inline constexpr std::string_view kRateLimiterDenied = "rate_limiter.denied";
inline constexpr std::string_view kReaderInitialized = "reader.initialized";
inline constexpr std::string_view kReaderGet = "reader.get";
inline constexpr std::string_view kReaderMultiGet = "reader.multi_get";
inline constexpr std::string_view kReaderRefreshed = "reader.refreshed";
inline constexpr std::string_view kReaderClosed = "reader.closed";
inline constexpr std::string_view kS3Retry = "s3.retry";
inline constexpr std::string_view kS3RetryExhausted = "s3.retry_exhausted";
}  // namespace metric_events

struct MetricEvent {
  std::string_view name;
  std::vector<std::pair<std::string_view, double>> numbers;      // e.g. {"elapsed_ms", 12}
  std::vector<std::pair<std::string_view, std::string>> labels;  // e.g. {"limiter_type", "ops"}

  // The field's value, or nullopt.
  std::optional<double> Number(std::string_view key) const;
  const std::string* Label(std::string_view key) const;
};

class MetricsCollector {
 public:
  virtual ~MetricsCollector() = default;
  virtual void Emit(const MetricEvent& event) = 0;
};

class PrometheusCollector : public MetricsCollector {
 public:
  explicit PrometheusCollector(std::string prefix = "shardyfusion_");
  ~PrometheusCollector() override;

  void Emit(const MetricEvent& event) override;

  // Every metric seen so far, in the text exposition format (version
  // 0.0.4): # HELP and # TYPE lines, counters as <name>_total, histograms
  // as _bucket{le=...}, _sum and _count. Metrics are sorted by name.
  std::string RenderText() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace shardyfusion
