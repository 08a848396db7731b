// Timestamps in the two formats the on-storage contract uses
// (docs/format/layout.md):
//   - directory names: %Y-%m-%dT%H:%M:%S.%fZ, always 6 fractional digits;
//   - JSON fields: ISO-8601 UTC with 'Z', fraction omitted when the
//     microseconds are 0, otherwise 6 digits.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace shardyfusion {

using SystemTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

SystemTime NowMicros();
std::string FormatDirTimestamp(SystemTime t);
std::string FormatIsoTimestamp(SystemTime t);
// Either format back (YYYY-MM-DDTHH:MM:SS, optional .fraction of up to 6
// digits, then 'Z' or "+00:00"); nullopt for anything else.
std::optional<SystemTime> ParseIsoTimestamp(std::string_view text);

}  // namespace shardyfusion
