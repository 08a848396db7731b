// How the phases of a build report their metric events (metrics.h): the
// engine's emitter stamps each event with the build's elapsed_ms and hands it
// to the configured MetricsCollector.
//
// Thread-safety: an EmitFn may be called from any of the build's threads.
#pragma once

#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace shardyfusion {

using EmitFn =
    std::function<void(std::string_view, std::vector<std::pair<std::string_view, double>>)>;

}  // namespace shardyfusion
