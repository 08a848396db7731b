// Routing: which shard a logical key lives in.
//
// HASH routing is `xxh3_64(CanonicalBytes(key), seed 0) mod num_dbs`, in
// unsigned 64-bit arithmetic. CEL routing evaluates an expression over
// declared columns and maps the result to a shard, directly (the result is
// the shard id) or through a list of categorical tokens
// (docs/format/routing.md, "CEL routing"). Writer and reader build their
// router from the same ShardingSpec (the reader from the manifest), so they
// cannot disagree.
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

#include "shardyfusion/cel.h"
#include "shardyfusion/key.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

// The most shards a snapshot may have (num_dbs), in the writer and the
// reader alike: what the engine is tested at. Writing more is a
// kConfigValidation error; a manifest naming more is a kManifestParse error.
// (The reference sets no limit.)
inline constexpr uint32_t kMaxNumDbs = 65536;

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
  // CEL only; nullopt for HASH. Column name -> type name ("int", ...).
  std::optional<std::string> cel_expr;
  std::optional<std::map<std::string, std::string>> cel_columns;
  // Categorical tokens, stored as JSON texts of each element (CEL only).
  // Bytes tokens are JSON strings (surrogateescape, manifest.md); the
  // manifest's `custom.cel_routing_values_type` says they are bytes.
  std::optional<std::vector<std::string>> routing_values_json;
};

// A categorical routing token of CEL routing: a CelValue of kind kInt,
// kString or kBytes. Element i of a snapshot's tokens names shard i.
using RoutingToken = CelValue;

// The column values that route a lookup in a CEL snapshot whose expression
// reads more than the key: column name -> value, each of its declared type.
using RoutingContext = std::map<std::string, CelValue, std::less<>>;

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
