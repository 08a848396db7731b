// Validate, the first phase of a build (build_plan.h).
#include "writer/build_plan.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/ids.h"
#include "core/py_json.h"
#include "core/status_internal.h"
#include "shardyfusion/slatedb_backend.h"

namespace shardyfusion {
namespace {

// Single-process mode writes batches behind the producer on one thread with
// at most this many queued or being written.
constexpr size_t kMaxPendingBatches = 2;

Status CheckRetry(const std::optional<RetryConfig>& retry) {
  if (!retry) return Status::OK();
  const RetryConfig& r = *retry;
  if (r.max_retries == 0) {
    return ConfigError("shard_retry.max_retries must be > 0 (leave shard_retry unset for none)");
  }
  if (!(r.initial_backoff_seconds >= 0) || r.initial_backoff_seconds > 3600) {
    return ConfigError("shard_retry.initial_backoff_seconds must be between 0 and 3600 (got " +
                       std::to_string(r.initial_backoff_seconds) + ")");
  }
  if (!(r.backoff_multiplier >= 1) || r.backoff_multiplier > 100) {
    return ConfigError("shard_retry.backoff_multiplier must be between 1 and 100 (got " +
                       std::to_string(r.backoff_multiplier) + ")");
  }
  return Status::OK();
}

Status CheckOptions(const WriteOptions& options) {
  if (options.parallel) {
    if (options.workers > 4096) {
      return ConfigError("workers must be at most 4096 (got " + std::to_string(options.workers) +
                         ")");
    }
    if (options.max_total_chunk_bytes == 0 || options.max_chunk_bytes_per_worker == 0) {
      return ConfigError("max_total_chunk_bytes and max_chunk_bytes_per_worker must be > 0");
    }
  }
  if (options.max_total_batched_items && *options.max_total_batched_items == 0) {
    return ConfigError("max_total_batched_items must be > 0 when set");
  }
  if (options.max_total_batched_bytes && *options.max_total_batched_bytes == 0) {
    return ConfigError("max_total_batched_bytes must be > 0 when set");
  }
  return Status::OK();
}

Status CheckRates(const WriteConfig& config) {
  for (const auto& [name, rate] :
       {std::pair<const char*, const std::optional<double>&>("max_writes_per_second",
                                                             config.max_writes_per_second),
        {"max_write_bytes_per_second", config.max_write_bytes_per_second}}) {
    if (rate && !(*rate > 0)) {
      return ConfigError(std::string(name) + " must be > 0 when set (got " + std::to_string(*rate) +
                         ")");
    }
  }
  return Status::OK();
}

// The path segments and names the layout is built from.
Status CheckNames(const WriteConfig& config) {
  if (!IsSafePathSegment(config.shard_prefix)) {
    return ConfigError("shard_prefix \"" + config.shard_prefix +
                       "\" must be one path segment of [A-Za-z0-9._-]");
  }
  if (config.run_id && !IsSafePathSegment(*config.run_id)) {
    return ConfigError("run_id \"" + *config.run_id +
                       "\" must be non-empty and use only [A-Za-z0-9._-]");
  }
  if (!IsSafePathSegment(config.run_registry_prefix)) {
    return ConfigError("run_registry_prefix \"" + config.run_registry_prefix +
                       "\" must be one path segment of [A-Za-z0-9._-]");
  }
  return Status::OK();
}

}  // namespace

Result<StoreLocation> ResolveRoot(const WriteConfig& config) {
  Result<StoreLocation> loc = config.store ? ResolveInStore(config.store, config.s3_prefix)
                                           : OpenStoreForUrl(config.s3_prefix);
  if (!loc.ok()) return loc.status();
  if (loc->key.empty()) {
    return ConfigError(
        "s3_prefix \"" + config.s3_prefix +
        "\" must include a non-empty key prefix below the bucket or filesystem root");
  }
  return loc;
}

PlanDefaults MachineDefaults() {
  PlanDefaults d;
  const char* tmp = std::getenv("TMPDIR");
  d.local_root = std::string((tmp && *tmp) ? tmp : "/tmp") + "/shardyfusion";
  d.cores = std::max(1u, std::thread::hardware_concurrency());
  d.fresh_run_id = NewUuid4Hex();
  return d;
}

Result<BuildPlan> ValidateBuild(const WriteConfig& config, const WriteOptions& options,
                                uint32_t initial_num_dbs, const PlanDefaults& defaults) {
  if (config.s3_prefix.empty()) {
    return ConfigError("s3_prefix is required (a directory, file:// or s3:// URL)");
  }
  if (config.batch_size == 0) return ConfigError("batch_size must be > 0");
  if (Status st = CheckRetry(config.shard_retry); !st.ok()) return st;
  if (Status st = CheckOptions(options); !st.ok()) return st;
  if (Status st = CheckNames(config); !st.ok()) return st;
  BuildPlan plan;
  Result<DbPathTemplate> tmpl = DbPathTemplate::Compile(config.db_path_template);
  if (!tmpl.ok()) return tmpl.status();
  plan.db_path = std::move(tmpl).value();
  if (!plan.db_path.names_db_id() && initial_num_dbs != 1) {
    return ConfigError("db_path_template \"" + config.db_path_template +
                       "\" has no {db_id} field, so every shard would be written to the same "
                       "path (e.g. \"db={db_id:05d}\")");
  }
  Result<nlohmann::json> custom = PyJsonLoads(config.custom_manifest_fields_json);
  if (!custom.ok() || !custom->is_object()) {
    return ConfigError("custom_manifest_fields_json must be a JSON object");
  }
  if (Status st = CheckRates(config); !st.ok()) return st;
  if (initial_num_dbs > kMaxNumDbs) {
    return ConfigError(std::to_string(initial_num_dbs) + " shards are more than the " +
                       std::to_string(kMaxNumDbs) + " a snapshot may have");
  }
  plan.initial_num_dbs = initial_num_dbs;
  Result<StoreLocation> root = ResolveRoot(config);
  if (!root.ok()) return root.status();
  plan.root = std::move(root).value();

  plan.factory = config.adapter_factory ? config.adapter_factory : NewSlateDbWriterFactory();
  plan.key_limits = plan.factory->key_limits();
  plan.run_id_chosen = config.run_id.has_value();
  plan.run_id = config.run_id.value_or(defaults.fresh_run_id);
  plan.local_root = config.local_root.empty() ? defaults.local_root : config.local_root;
  if (config.only_shards && !config.stage_only) {
    return ConfigError(
        "only_shards needs stage_only: a build of some shards cannot publish; stage them and "
        "publish the run (PublishStagedRun, shardy publish)");
  }
  if (config.stage_only) {
    if (!config.run_id) {
      return ConfigError("stage_only needs a run_id shared by every process staging the run");
    }
    if (initial_num_dbs == 0) {
      return ConfigError(
          "stage_only needs a shard count known before the records: hash routing, or CEL "
          "routing with routing_values (CEL direct mode learns it from the data)");
    }
    plan.staged = true;
    plan.first_shard = 0;
    plan.last_shard = initial_num_dbs - 1;
    if (config.only_shards) {
      const auto [first, last] = *config.only_shards;
      if (first > last || last >= initial_num_dbs) {
        return ConfigError("only_shards " + std::to_string(first) + "-" + std::to_string(last) +
                           " is not a range within the build's " + std::to_string(initial_num_dbs) +
                           " shards (0-" + std::to_string(initial_num_dbs - 1) + ")");
      }
      plan.first_shard = first;
      plan.last_shard = last;
    }
  }
  const CheckpointConfig& cp = config.checkpoint;
  if (!(cp.every_seconds >= 0) || cp.every_seconds > 1e9) {
    return ConfigError("checkpoint.every_seconds must be a number of seconds >= 0 (0 = off)");
  }
  plan.checkpointing = cp.every_records > 0 || cp.every_seconds > 0;
  plan.resume = config.resume;
  if (plan.resume && !config.run_id) {
    return ConfigError("resume needs the run_id of the build to continue");
  }
  if ((plan.resume || plan.checkpointing) && config.stage_only) {
    return ConfigError(
        "checkpoints and resume are for whole builds, not staged ones (stage_only): a staged "
        "shard range that failed is staged again, into a new attempt");
  }
  if ((plan.resume || plan.checkpointing) && !plan.factory->supports_checkpoints()) {
    return ConfigError("the " + plan.factory->name() +
                       " shard backend cannot checkpoint, so this build cannot " +
                       (plan.resume ? "resume" : "take checkpoints"));
  }
  if (Result<nlohmann::json> id = PyJsonLoads(cp.input_identity_json);
      !id.ok() || !id->is_object()) {
    return ConfigError("checkpoint.input_identity_json must be a JSON object");
  }
  plan.staging_name =
      plan.staged ? plan.run_id + "_" + defaults.fresh_run_id.substr(0, 8) : plan.run_id;
  plan.local_run_dir = plan.local_root + "/run_id=" + plan.staging_name;
  plan.retry = config.shard_retry.value_or(RetryConfig{.max_retries = 0});
  const unsigned cores = std::max(1u, defaults.cores);
  if (options.parallel) {
    plan.pool.workers = options.workers != 0 ? options.workers : cores;
    plan.pool.max_total_bytes = options.max_total_chunk_bytes;
    plan.pool.max_bytes_per_worker = options.max_chunk_bytes_per_worker;
  } else {
    plan.pool.workers = 1;
    plan.pool.max_jobs_per_worker = kMaxPendingBatches;
  }
  plan.max_recycled_batches = 2 * plan.pool.workers + 2;
  plan.seal_threads = options.seal_threads != 0 ? options.seal_threads : 2 * cores;
  return plan;
}

}  // namespace shardyfusion
