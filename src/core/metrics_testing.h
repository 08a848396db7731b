// Test helper: a MetricsCollector that keeps a copy of every event it
// receives (and may pass each one on), so tests can check what a writer or
// reader emitted. Header-only so it stays out of the library.
//
// Thread-safety: Emit and the accessors may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardyfusion/metrics.h"

namespace shardyfusion {

// An owned copy of a MetricEvent.
struct RecordedEvent {
  std::string name;
  std::vector<std::pair<std::string, double>> numbers;
  std::vector<std::pair<std::string, std::string>> labels;

  std::optional<double> Number(std::string_view key) const {
    for (const auto& [k, v] : numbers) {
      if (k == key) return v;
    }
    return std::nullopt;
  }
  const std::string* Label(std::string_view key) const {
    for (const auto& [k, v] : labels) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

class RecordingCollector : public MetricsCollector {
 public:
  // Every event is also emitted to `forward` when it is set.
  explicit RecordingCollector(std::shared_ptr<MetricsCollector> forward = nullptr)
      : forward_(std::move(forward)) {}

  void Emit(const MetricEvent& e) override {
    RecordedEvent r;
    r.name = e.name;
    for (const auto& [k, v] : e.numbers) r.numbers.emplace_back(k, v);
    for (const auto& [k, v] : e.labels) r.labels.emplace_back(k, v);
    {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(std::move(r));
    }
    if (forward_) forward_->Emit(e);
  }

  std::vector<RecordedEvent> Events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  // The events named `name`, in order.
  std::vector<RecordedEvent> Named(std::string_view name) const {
    std::vector<RecordedEvent> out;
    for (RecordedEvent& e : Events()) {
      if (e.name == name) out.push_back(std::move(e));
    }
    return out;
  }
  int Count(std::string_view name) const { return static_cast<int>(Named(name).size()); }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const RecordedEvent& e : Events()) out.push_back(e.name);
    return out;
  }

 private:
  const std::shared_ptr<MetricsCollector> forward_;
  mutable std::mutex mu_;
  std::vector<RecordedEvent> events_;
};

}  // namespace shardyfusion
