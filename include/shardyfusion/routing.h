// Routing: which shard a logical key lives in.
//
// HASH routing is `xxh3_64(CanonicalBytes(key), seed 0) mod num_dbs`, in
// unsigned 64-bit arithmetic. Writer and reader build their router from the
// same ShardingSpec (the reader from the manifest), so they cannot disagree.
//
// Thread-safety: a router is immutable after construction and may be shared
// by any number of threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/key.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

// xxh3_64 of `bytes` with seed 0.
uint64_t Xxh3Digest(std::string_view bytes);

// xxh3_64 of the key's canonical bytes ("shard_hash" in CEL).
uint64_t ShardHash(const Key& key);

// How a snapshot's keys are assigned to shards; stored in the manifest's
// `sharding` column (docs/format/manifest.md).
struct ShardingSpec {
  enum class Strategy { kHash, kCel };
  Strategy strategy = Strategy::kHash;
  std::string hash_algorithm = "xxh3_64";
  // CEL only (later issues); empty/nullopt for HASH.
  std::optional<std::string> cel_expr;
  std::optional<std::map<std::string, std::string>> cel_columns;
  // Categorical tokens, stored as JSON texts of each element (CEL only).
  std::optional<std::vector<std::string>> routing_values_json;
};

class HashRouter {
 public:
  // REQUIRES: num_dbs > 0
  explicit HashRouter(uint32_t num_dbs) : num_dbs_(num_dbs) {}
  uint32_t num_dbs() const { return num_dbs_; }
  uint32_t Route(const Key& key) const { return static_cast<uint32_t>(ShardHash(key) % num_dbs_); }

 private:
  uint32_t num_dbs_;
};

}  // namespace shardyfusion
