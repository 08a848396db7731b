// Minimal diagnostics for best-effort paths (loser cleanup, staging removal)
// whose failures must be reported but never fail the operation.
//
// Messages go to stderr as one line "shardyfusion: <level>: <message>", unless
// a sink has been installed (tests). Thread-safe.
#pragma once

#include <functional>
#include <string>

namespace shardyfusion {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

void Log(LogLevel level, const std::string& message);

// Replaces the sink; nullptr restores stderr. Returns the previous sink.
using LogSink = std::function<void(LogLevel, const std::string&)>;
LogSink SetLogSink(LogSink sink);

// Messages below this level are dropped (default kWarning).
void SetLogLevel(LogLevel level);

}  // namespace shardyfusion
