#include "python/metrics_bridge.h"

#include <string>
#include <utility>

namespace shardyfusion::python {

namespace py = pybind11;

namespace {

class PythonCollector : public MetricsCollector {
 public:
  explicit PythonCollector(py::object emit) : emit_(std::move(emit)) {}
  ~PythonCollector() override {
    py::gil_scoped_acquire gil;  // the last reference may go on an engine thread
    emit_ = py::object();
  }

  void Emit(const MetricEvent& event) override {
    py::gil_scoped_acquire gil;
    try {
      py::dict payload;
      for (const auto& [key, value] : event.numbers) payload[py::str(std::string(key))] = value;
      for (const auto& [key, value] : event.labels) payload[py::str(std::string(key))] = value;
      emit_(std::string(event.name), payload);
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("shardyfusion metrics_collector.emit");
    }
  }

 private:
  py::object emit_;
};

}  // namespace

std::shared_ptr<MetricsCollector> MetricsBridge(const py::object& emit) {
  if (emit.is_none()) return nullptr;
  return std::make_shared<PythonCollector>(emit);
}

}  // namespace shardyfusion::python
