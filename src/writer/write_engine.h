// The engine behind every sharded writer, in the three phases of a build:
//   1. Validate (build_plan.h): Open turns the configuration into a plan,
//      before any I/O;
//   2. write shards (this file): route (through a Router, write_routing.h),
//      encode,
//      batch per shard and write behind the producer (one background thread,
//      or the worker pool in parallel mode), lazily opening each shard's
//      attempts (shard_attempts.h, retries included), also for shard ids
//      first seen mid-build; Finish seals every shard;
//   3. publish (publish.h): winners, manifest, `_CURRENT`, loser cleanup.
// HashShardedWriter and CelShardedWriter validate their strategy's settings,
// build a router, and delegate the rest here.
//
// Thread-safety: one producer thread calls Add/Finish/Abort (Cancel: any
// thread); batches are
// written by a background thread or the worker pool and sealed by a pool,
// all internal.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "shardyfusion/writer.h"
#include "writer/write_routing.h"

namespace shardyfusion {

class WriteEngine {
 public:
  // Validates every setting shared by the strategies (ValidateBuild), then
  // checks a chosen run id is unused and takes the local staging.
  // `router` is used by the producer thread only.
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
  // Thread-safe: Finish stops before the next shard seal or before the
  // publish (ShardedWriter::Cancel).
  void Cancel();

  // The shards known so far (the final count for hash and categorical).
  uint32_t num_dbs() const;
  uint64_t records_added() const;
  const std::optional<std::string>& resume_position() const;

 private:
  class Impl;
  explicit WriteEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shardyfusion
