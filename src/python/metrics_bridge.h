// A MetricsCollector (metrics.h) that forwards each event to a Python
// callable `emit(name: str, payload: dict)`: the number fields as floats,
// the label fields as str.
//
// The engine emits from whatever thread does the work, with or without the
// GIL; Emit takes it. So that this can never deadlock, every binding calls
// into the engine with the GIL released (a thread holding the GIL never
// waits for an engine lock that an emitting thread may hold). An exception
// raised by the callable is reported as unraisable and otherwise ignored: a
// metrics sink never fails a build or a lookup.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>

#include "shardyfusion/metrics.h"

namespace shardyfusion::python {

// Null for None.
std::shared_ptr<MetricsCollector> MetricsBridge(const pybind11::object& emit);

}  // namespace shardyfusion::python
