#include "shardyfusion/routing.h"

#include <xxhash.h>

namespace shardyfusion {

uint64_t Xxh3Digest(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

uint64_t ShardHash(const Key& key) {
  if (key.is_int()) {
    const uint64_t v = static_cast<uint64_t>(key.int_value());
    unsigned char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>((v >> (8 * i)) & 0xff);
    return XXH3_64bits(le, sizeof(le));
  }
  return Xxh3Digest(key.bytes());
}

}  // namespace shardyfusion
