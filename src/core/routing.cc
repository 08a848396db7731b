#include "shardyfusion/routing.h"

#include <xxhash.h>

namespace shardyfusion {

uint64_t Xxh3Digest(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

uint64_t ShardHash(const Key& key) {
  std::string scratch;  // 8 bytes: fits the small-string buffer, no allocation
  return Xxh3Digest(CanonicalBytes(key, &scratch));
}

}  // namespace shardyfusion
