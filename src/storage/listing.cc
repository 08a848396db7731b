#include "storage/listing.h"

#include <algorithm>
#include <utility>

namespace shardyfusion {

void ListingBuilder::Add(ObjectInfo info) {
  const std::string_view key = info.key;
  if (!key.starts_with(prefix_)) return;
  if (!delimiter_.empty()) {
    const size_t pos = key.find(delimiter_, prefix_.size());
    if (pos != std::string_view::npos) {
      result_.common_prefixes.emplace_back(key.substr(0, pos + delimiter_.size()));
      return;
    }
  }
  result_.objects.push_back(std::move(info));
}

ListResult ListingBuilder::Finish() && {
  std::sort(result_.objects.begin(), result_.objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  auto& prefixes = result_.common_prefixes;
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  return std::move(result_);
}

}  // namespace shardyfusion
