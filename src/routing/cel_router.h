// CEL routing (docs/format/routing.md, "CEL routing"): a compiled expression
// over declared columns, and the map from its result to a shard id.
//
//   direct mode (no tokens): the result is the shard id, as Python's int()
//     reads it (int, uint, or a string / bytes of decimal digits); no modulo.
//   categorical mode: the id is the index of the token exactly equal to the
//     result (int 1 != string "1"; a uint result equals the int token of the
//     same value).
//
// In key-only mode (the columns are exactly {"key": T}) the single column is
// the logical key itself; otherwise the caller supplies every column value.
//
// CelRouter is the Router (shardyfusion/routing.h) of CEL snapshots: the
// writer builds it from its configuration, the reader from the manifest
// (NewRouter, routing/sharding_spec.h), so they cannot disagree on a route.
//
// Thread-safety: a CelRouter is immutable after Create; any number of threads
// may route through one at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shardyfusion/cel.h"
#include "shardyfusion/key.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

// True when `columns` is exactly one column named "key".
bool IsKeyOnly(const std::vector<CelColumn>& columns);

// The `key` column's value for a key-only expression: an int key for an int
// column, or for a uint column when it is not negative; a string or bytes key
// for a string column (valid UTF-8 only) or a bytes column. Anything else is
// a kInvalidArgument error naming the key and the type.
Result<CelValue> KeyColumnValue(const Key& key, CelType type);

// Token rules shared by the writer's configuration and the manifest: each
// token an int, string or bytes, all of one kind, no duplicates. A violation
// is a kConfigValidation error naming the token.
Status CheckRoutingTokens(std::span<const RoutingToken> tokens);

// The shard id Python's int() gives a direct-mode result; a result of another
// kind, or text that is not a decimal integer within int64, is a
// kShardAssignment error. The id may be negative.
Result<int64_t> DirectShardId(const CelValue& result);

// "key <the key, cut at 80 characters>: ", how routing errors name a key.
std::string KeyPrefix(const Key& key);

class CelRouter : public Router {
 public:
  // Compiles `expr` over `columns` (kConfigValidation on failure, naming the
  // expression) and checks the tokens; nullopt tokens = direct mode. Routes
  // name shard ids below `num_dbs`: the snapshot's shard count, or for a
  // writer in direct mode the most shards it may discover.
  //   REQUIRES: 0 < num_dbs <= kMaxNumDbs
  static Result<std::shared_ptr<const CelRouter>> Create(
      std::string_view expr, std::vector<CelColumn> columns,
      std::optional<std::vector<RoutingToken>> tokens, uint32_t num_dbs);

  // Router. The column order is program().columns()' (in key-only mode
  // Route takes no column values: the key is the column).
  const ShardingSpec& spec() const override { return spec_; }
  uint32_t num_dbs() const override { return num_dbs_; }
  const std::vector<RoutingToken>* routing_values() const override {
    return tokens_ ? &*tokens_ : nullptr;
  }
  Result<std::vector<CelValue>> ColumnValues(const RoutingContext& context) const override;
  Result<std::optional<uint32_t>> Route(const Key& key, std::span<const CelValue> columns,
                                        std::string* why) const override;

  const CelProgram& program() const { return *program_; }
  bool key_only() const { return key_only_; }
  bool categorical() const { return tokens_.has_value(); }
  // REQUIRES: categorical()
  const std::vector<RoutingToken>& tokens() const { return *tokens_; }

  // Evaluates for one record. Key-only: the key is the column and `columns`
  // must be empty. Otherwise `columns` holds every column value in
  // program().columns() order. Errors are kShardAssignment (evaluation) or
  // kInvalidArgument (a missing value or one of the wrong kind), both
  // reading `key K: cel_expr "E" failed: ...`.
  Result<CelValue> Evaluate(const Key& key, std::span<const CelValue> columns) const;

  // The shard an evaluation result names, or nullopt when it names none
  // below num_dbs(): a categorical result that is no token, or a direct id
  // outside [0, num_dbs()). A result that cannot be a shard id or a token
  // (bool, double, null, non-numeric text in direct mode) is a
  // kShardAssignment error (not naming the key).
  Result<std::optional<int64_t>> ShardOf(const CelValue& result) const;
  // Why ShardOf gave nullopt, for error messages.
  std::string DescribeNoShard(const CelValue& result) const;

 private:
  CelRouter() = default;
  // Evaluate, its errors not yet naming the key and the expression.
  Result<CelValue> EvaluateColumns(const Key& key, std::span<const CelValue> columns) const;

  std::shared_ptr<const CelProgram> program_;
  bool key_only_ = false;
  uint32_t num_dbs_ = 1;
  std::optional<std::vector<RoutingToken>> tokens_;
  std::unordered_map<std::string, int64_t> token_index_;  // TokenIndexKey -> shard id
  ShardingSpec spec_;
};

}  // namespace shardyfusion
