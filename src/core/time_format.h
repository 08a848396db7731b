// Timestamps in the two formats the on-storage contract uses
// (docs/format/layout.md):
//   - directory names: %Y-%m-%dT%H:%M:%S.%fZ, always 6 fractional digits;
//   - JSON fields: ISO-8601 UTC with 'Z', fraction omitted when the
//     microseconds are 0, otherwise 6 digits.
#pragma once

#include <chrono>
#include <string>

namespace shardyfusion {

using SystemTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

SystemTime NowMicros();
std::string FormatDirTimestamp(SystemTime t);
std::string FormatIsoTimestamp(SystemTime t);

}  // namespace shardyfusion
