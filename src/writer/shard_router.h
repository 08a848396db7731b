// How the write engine assigns records to shards. One implementation per
// sharding strategy: hash (hash_writer.cc) and CEL (cel_writer.cc). The
// engine knows nothing else about the strategy: the router also names the
// snapshot's final shard count and its manifest `sharding` object.
//
// Thread-safety: used by the engine's producer thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>

#include "shardyfusion/cel.h"
#include "shardyfusion/key.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

class ShardRouter {
 public:
  virtual ~ShardRouter() = default;

  // The shard count known when the build opens; 0 when shard ids are
  // discovered from the data (CEL direct mode).
  virtual uint32_t initial_num_dbs() const = 0;
  // The shard of one record. Errors (kShardAssignment, kInvalidArgument)
  // name the key.
  virtual Result<uint32_t> Route(const Key& key, std::span<const CelValue> columns) = 0;
  // The snapshot's num_dbs once every record is routed; rows[i] is the
  // number of records shard i received (ids never routed to may be absent).
  // Called once, before sharding().
  virtual Result<uint32_t> FinalNumDbs(std::span<const int64_t> rows) = 0;
  // The manifest's `sharding` object.
  virtual ShardingSpec sharding() const = 0;
  // Library keys for the manifest's `custom` object (they overwrite user
  // keys of the same name).
  virtual void AddCustomFields(nlohmann::json* /*custom*/) const {}
};

std::unique_ptr<ShardRouter> NewHashShardRouter(uint32_t num_dbs);

}  // namespace shardyfusion
