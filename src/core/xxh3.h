// xxh3_64 with seed 0: the digest behind hash routing (ShardHash in
// shardyfusion/routing.h) and CEL's shard_hash.
//
// shardyfusion/routing.h declares the same function for users; it is declared
// here too so that core and CEL code can use it without including the
// routing header, which sits above them (it includes cel.h).
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace shardyfusion {

// xxh3_64 of `bytes` with seed 0.
uint64_t Xxh3Digest(std::string_view bytes);

}  // namespace shardyfusion
