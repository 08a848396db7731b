#include "backend/slatedb/separator.h"

#include <algorithm>

namespace shardyfusion::slatedb {

std::string ShortestSeparator(std::string_view prev_last_key, std::string_view first_key) {
  const size_t n = std::min(prev_last_key.size(), first_key.size());
  size_t i = 0;
  while (i < n && prev_last_key[i] == first_key[i]) ++i;
  if (i == n) return std::string(first_key);
  return std::string(first_key.substr(0, i + 1));
}

}  // namespace shardyfusion::slatedb
