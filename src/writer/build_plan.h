// The first phase of a build: Validate. A pure function from a writer's
// configuration to a BuildPlan, the settings the other two phases (write
// shards: write_engine.h; publish: publish.h) run from, every one checked
// and resolved.
//
// ValidateBuild does no I/O. Resolving s3_prefix makes a store object (a
// FileStore, an S3 client) but touches nothing; what the machine supplies
// (the staging root's default, the core count, a fresh run id) comes in
// through PlanDefaults, so the same inputs always give the same plan. Every
// error is kConfigValidation (or the URL's own error) and names the setting
// and what to change. Checks that need storage (a chosen run id must be
// unused: run_id_check.h) belong to the write phase, before its first write.
//
// Thread-safety: pure function; a BuildPlan is a value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "shardyfusion/object_store.h"
#include "shardyfusion/shard_backend.h"
#include "shardyfusion/writer.h"
#include "writer/layout.h"
#include "writer/shard_worker_pool.h"

namespace shardyfusion {

// What a plan takes from the machine rather than from the configuration.
struct PlanDefaults {
  std::string local_root;    // used when config.local_root is empty
  unsigned cores = 1;        // the workers and seal threads a "0" means
  std::string fresh_run_id;  // used when config.run_id is unset
};

// $TMPDIR/shardyfusion (or /tmp/shardyfusion), the machine's core count and a
// fresh uuid4 hex.
PlanDefaults MachineDefaults();

struct BuildPlan {
  StoreLocation root;          // the snapshot root; its key is never empty
  std::string run_id;          // config.run_id, or the fresh one
  bool run_id_chosen = false;  // true: must be checked unused before writing
  DbPathTemplate db_path;
  std::shared_ptr<ShardWriterFactory> factory;  // config.adapter_factory or SlateDB
  KeyLimits key_limits;                         // the factory's, read once
  std::string local_root;
  std::string local_run_dir;  // <local_root>/run_id=<staging_name>
  RetryConfig retry;          // max_retries 0 = no spool, no retries
  // Single-process mode: one worker with at most two batches in flight.
  ShardWorkerPool::Limits pool;
  size_t max_recycled_batches = 4;
  size_t seal_threads = 1;
  // The shards known before any record (0 = discovered: CEL direct mode).
  uint32_t initial_num_dbs = 0;
  // A staged build (WriteConfig::stage_only): the shards it writes and
  // records, first..last inclusive (all of them without only_shards). Its
  // local staging is its own (run id plus a fresh suffix), so two processes
  // staging one run on one machine do not meet.
  bool staged = false;
  uint32_t first_shard = 0;
  uint32_t last_shard = 0;
  std::string staging_name;  // the local staging's run id: run_id, or run_id_<8 hex> staged
  // Checkpoints are taken (config.checkpoint has an interval) / the build
  // continues config.run_id from its checkpoint.
  bool checkpointing = false;
  bool resume = false;
};

// Checks every setting shared by the sharding strategies. `initial_num_dbs`
// is the strategy's shard count known at open (0 when discovered).
Result<BuildPlan> ValidateBuild(const WriteConfig& config, const WriteOptions& options,
                                uint32_t initial_num_dbs, const PlanDefaults& defaults);

// The snapshot root of config.s3_prefix (inside config.store when set); a
// kConfigValidation error for a prefix without a key below its bucket.
Result<StoreLocation> ResolveRoot(const WriteConfig& config);

}  // namespace shardyfusion
