#include "manifest/manifest_names.h"

namespace shardyfusion {

bool IsDirTimestamp(std::string_view s) {
  static constexpr std::string_view kShape = "0000-00-00T00:00:00.000000Z";
  if (s.size() != kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (kShape[i] == '0' ? (s[i] < '0' || s[i] > '9') : s[i] != kShape[i]) return false;
  }
  return true;
}

std::optional<ManifestDirName> ParseManifestDirName(std::string_view name) {
  static constexpr std::string_view kInfix = "_run_id=";
  if (name.ends_with('/')) name.remove_suffix(1);
  const std::string_view ts = name.substr(0, 27);
  if (!IsDirTimestamp(ts) || name.substr(27, kInfix.size()) != kInfix) return std::nullopt;
  const std::string_view run_id = name.substr(27 + kInfix.size());
  if (run_id.empty() || run_id.find('/') != std::string_view::npos) return std::nullopt;
  return ManifestDirName{std::string(ts), std::string(run_id)};
}

std::optional<std::string> RunIdFromRef(std::string_view ref) {
  static constexpr std::string_view kMarker = "run_id=";
  for (size_t at = ref.find(kMarker); at != std::string_view::npos;
       at = ref.find(kMarker, at + 1)) {
    const std::string_view rest = ref.substr(at + kMarker.size());
    const std::string_view run_id = rest.substr(0, rest.find('/'));
    if (!run_id.empty()) return std::string(run_id);
  }
  return std::nullopt;
}

}  // namespace shardyfusion
