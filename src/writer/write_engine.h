// The single-process engine behind every sharded writer: route (through a
// Router, write_routing.h), encode, batch per shard, flush (lazily opening shard
// writers, also for shard ids first seen mid-build), seal, select winners,
// publish, clean up. HashShardedWriter and CelShardedWriter validate their
// strategy's settings, build a router and say how the shard count is known,
// and delegate the rest here.
//
// Thread-safety: one producer thread calls Add/Finish/Abort; batches are
// written by a background thread and sealed by a pool, both internal.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "shardyfusion/writer.h"
#include "writer/write_routing.h"

namespace shardyfusion {

class WriteEngine {
 public:
  // Validates every setting shared by the strategies before any I/O
  // (kConfigValidation), then resolves the store. `router` is used by the
  // producer thread only.
  static Result<std::unique_ptr<WriteEngine>> Open(const WriteConfig& config,
                                                   const WriteOptions& options,
                                                   std::shared_ptr<const Router> router,
                                                   ShardCount shard_count);
  ~WriteEngine();  // abandons an unfinished build

  // Routes, encodes and buffers one record; a failure is sticky (the build
  // can then only be aborted).
  Status Add(const Key& key, std::string_view value, std::span<const CelValue> columns);
  // Flushes, seals, publishes and cleans up. Call once.
  Result<BuildResult> Finish();
  // Abandons the build: nothing is published; local staging is removed.
  // The run record fails with `cause`, else the engine's own failure, else
  // "the build was aborted".
  void Abort(const Status& cause = Status::OK());

  // The shards known so far (the final count for hash and categorical).
  uint32_t num_dbs() const;
  uint64_t records_added() const;

 private:
  class Impl;
  explicit WriteEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shardyfusion
