#include "core/xxh3.h"

#include <xxhash.h>

namespace shardyfusion {

uint64_t Xxh3Digest(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace shardyfusion
