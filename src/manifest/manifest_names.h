// The names the manifest layout gives to objects (docs/format/layout.md):
// manifest directory names "<TS>_run_id=<run_id>" and the run id inside a
// manifest ref. Hand-written matchers for the reference's regexes.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shardyfusion {

// The directory under a snapshot root that holds the manifests.
inline constexpr std::string_view kManifestsDir = "manifests";

struct ManifestDirName {
  std::string timestamp;  // %Y-%m-%dT%H:%M:%S.%fZ
  std::string run_id;
};

// True for a directory timestamp: DDDD-DD-DDTDD:DD:DD.DDDDDDZ (digits only).
bool IsDirTimestamp(std::string_view s);

// Matches ^(<dir timestamp>)_run_id=([^/]+)/?$ ; nullopt if `name` does not.
std::optional<ManifestDirName> ParseManifestDirName(std::string_view name);

// The first match of run_id=([^/]+) in `ref`.
std::optional<std::string> RunIdFromRef(std::string_view ref);

}  // namespace shardyfusion
