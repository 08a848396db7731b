// Routing: which shard a logical key lives in.
//
// HASH routing is `xxh3_64(CanonicalBytes(key), seed 0) mod num_dbs`, in
// unsigned 64-bit arithmetic. CEL routing evaluates an expression over
// declared columns and maps the result to a shard, directly (the result is
// the shard id) or through a list of categorical tokens
// (docs/format/routing.md, "CEL routing").
//
// A Router routes the keys of one snapshot. The writer records its router's
// ShardingSpec (and, for bytes tokens, a key of the `custom` object) in the
// manifest; the reader builds its router from them with NewRouter, so the two
// cannot disagree.
//
// Thread-safety: a router is immutable after construction and may be shared
// by any number of threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
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

// Routes keys to the shards of one snapshot. Hash and CEL routers implement
// it (NewHashRouter, NewRouter).
//
// A CEL router whose expression reads more than the key takes the values of
// its columns with every key: in the router's column order, which for a
// router from NewRouter is column-name order. ColumnValues puts a
// RoutingContext in that order; convert once and route many keys with it.
class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;
  virtual ~Router() = default;

  // The manifest's `sharding` object for this router.
  virtual const ShardingSpec& spec() const = 0;
  // Routes name shard ids in [0, num_dbs()).
  virtual uint32_t num_dbs() const = 0;
  // CEL categorical routers: the typed tokens, element i naming shard i
  // (bytes when the manifest records them as bytes). Null otherwise.
  virtual const std::vector<RoutingToken>* routing_values() const = 0;

  // The column values Route takes, from `context` by column name. Empty, and
  // `context` ignored, when the key alone routes (hash, and CEL key-only
  // mode: columns exactly {"key": T}). Otherwise `context` must hold every
  // declared column and no other: else a kInvalidArgument error naming the
  // columns.
  virtual Result<std::vector<CelValue>> ColumnValues(const RoutingContext& context) const = 0;

  // The shard of `key`, or nullopt when a CEL result names none (a token not
  // in routing_values(), a direct-mode id outside [0, num_dbs())); then
  // `*why`, when `why` is not null, says so, naming the key. `columns` holds
  // the column values in the router's order, as ColumnValues gives them
  // (empty when the key alone routes).
  //
  // Errors name the key: kShardAssignment (the expression failed, or gave a
  // result that cannot name a shard) or kInvalidArgument (a column value
  // missing or of the wrong kind, a key that does not fit the key column).
  // Hash routing never fails and allocates nothing.
  virtual Result<std::optional<uint32_t>> Route(const Key& key, std::span<const CelValue> columns,
                                                std::string* why) const = 0;
};

// The hash router over `num_dbs` shards.
//   REQUIRES: 0 < num_dbs <= kMaxNumDbs
std::shared_ptr<const Router> NewHashRouter(uint32_t num_dbs);

// The router of a snapshot, from its manifest: `spec` (the `sharding`
// column), `custom_json` (the `custom` column, which says whether CEL tokens
// are bytes) and `num_dbs`. Errors: kManifestParse when they do not describe
// a routing (a column of an unknown type, tokens the custom type does not
// fit); kConfigValidation when they do but it cannot route (the expression
// does not compile over its columns, the tokens break the token rules);
// kInvalidArgument for num_dbs outside [1, kMaxNumDbs].
//   REQUIRES: `spec` obeys the manifest rules (ParseManifest checks them)
Result<std::shared_ptr<const Router>> NewRouter(const ShardingSpec& spec,
                                                std::string_view custom_json, uint32_t num_dbs);

}  // namespace shardyfusion
