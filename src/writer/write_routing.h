// What the write engine needs beside the Router (shardyfusion/routing.h) it
// routes every record through: how the build learns its shard count, and the
// error for a record that routes to no shard.
//
// A reader takes num_dbs from the manifest. A writer knows it when the build
// opens (hash, CEL categorical: the router's num_dbs()) or only from the data
// (CEL direct mode: the ids the records routed to; inferred categorical: the
// tokens of the first pass).
//
// Thread-safety: used by the engine's producer thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "shardyfusion/cel.h"
#include "shardyfusion/key.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

struct ShardCount {
  // The count known when the build opens; 0 when discovered from the data.
  uint32_t initial = 0;
  // The snapshot's num_dbs once every record is routed; rows[i] is the
  // number of records shard i received (ids never routed to may be absent).
  // Called once, before the router's spec() is read for the manifest.
  std::function<Result<uint32_t>(std::span<const int64_t> rows)> final;
};

// A count known when the build opens, whatever the data.
ShardCount FixedShardCount(uint32_t num_dbs);

// The shard of one record (Router::Route). A record that routes to no shard
// is a kShardAssignment error that says why and what to change.
Result<uint32_t> RouteRecord(const Router& router, const Key& key,
                             std::span<const CelValue> columns);

}  // namespace shardyfusion
