// `shardy build`: reads records from a file or stdin, writes them through a
// HashShardedWriter (--num-dbs / --max-keys-per-shard) or a CelShardedWriter
// (--cel-expr) and prints the build result as one JSON object.
//
// Any bad record stops the build before anything is published (the writer is
// aborted) and is reported as "line N: <what is wrong>".
//
// Thread-safety: RunBuild is safe to call from several threads with distinct
// arguments and streams.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/record_mapping.h"
#include "cli/record_source.h"
#include "shardyfusion/key.h"
#include "shardyfusion/metrics.h"
#include "shardyfusion/s3.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"

namespace shardyfusion::cli {

// CEL routing instead of hash routing (writer.h, CelShardedWriteConfig).
struct CelBuildArgs {
  std::string expr;
  std::vector<CelColumn> columns;  // in --cel-column order
  std::optional<std::vector<RoutingToken>> routing_values;
  bool infer_routing_values = false;
};

struct BuildArgs {
  std::string input;  // a file path, or "-" for the `in` stream
  RecordFormat format = RecordFormat::kJsonl;
  RecordMapping mapping;
  std::optional<uint32_t> num_dbs;
  std::optional<uint64_t> max_keys_per_shard;
  std::optional<CelBuildArgs> cel;  // exclusive with num_dbs / max_keys_per_shard
  std::string prefix;
  std::string backend = "slatedb";          // or "sqlite"
  std::optional<KeyEncoding> key_encoding;  // default: from mapping.key_type
  uint64_t batch_size = 50000;
  std::optional<std::string> run_id;
  // A staged build (--no-publish, --only-shards; writer.h stage_only): the
  // shards are sealed and recorded under run_id, `shardy publish` publishes.
  bool no_publish = false;
  std::optional<std::pair<uint32_t, uint32_t>> only_shards;
  // --resume: continue run_id from its checkpoint (WriteConfig::resume),
  // the input seeked to the checkpoint's position.
  bool resume = false;
  // Checkpoints of a file input (stdin never has any): every N seconds
  // and/or every N records; 0 = off. Staged builds and
  // --infer-routing-values take none.
  double checkpoint_seconds = 30;
  uint64_t checkpoint_records = 0;
  std::function<std::string()> input_position;  // set by RunBuild
  std::string local_root;
  std::optional<uint64_t> max_total_batched_items;
  std::optional<uint64_t> max_total_batched_bytes;
  std::optional<double> max_writes_per_second;
  std::optional<double> max_write_bytes_per_second;
  std::string metrics_file;                   // Prometheus text of the final metrics; empty = none
  std::shared_ptr<MetricsCollector> metrics;  // set by RunBuild when metrics_file is
  bool write_run_record = true;
  bool parallel = false;
  uint32_t workers = 0;                   // 0 = the number of cores
  std::optional<uint32_t> shard_retries;  // unset = no retries
  double retry_backoff_seconds = 1.0;
  uint64_t sort_memory_bytes = SqliteWriterOptions().sort_memory_bytes;  // either backend
  // The SlateDB backend's settings (its sort_memory_bytes is taken from above).
  SlateDbWriterOptions slatedb;
  S3Config s3;  // for an s3:// prefix
};

// Exit codes: 0 published, 1 bad input or a library error, 2 bad usage.
// `progress` draws a progress line on `err` (for terminals).
int RunBuild(const BuildArgs& args, std::istream& in, std::ostream& out, std::ostream& err,
             bool progress);

// SIGINT, SIGTERM and SIGHUP make a build that is reading its input stop at
// the next record and abort (nothing published, its objects deleted, the
// run record failed naming the signal) instead of dying with its run record
// at `running`. Once the input is read, the build finishes what it started;
// a second signal ends the process at once. main() installs the handlers.
void InstallInterruptHandlers();
// The first of those signals received, or 0.
int InterruptSignal();

// "A-B" (or "N", one shard) as an inclusive shard range; nullopt when
// malformed or A > B.
std::optional<std::pair<uint32_t, uint32_t>> ParseShardRange(std::string_view text);

// `shardy publish`: publishes staged run `run_id` under `prefix`
// (PublishStagedRun) and prints the result as `shardy build` does.
// Exit codes: 0 published, 1 not publishable or a library error.
int RunPublish(const std::string& prefix, const std::string& run_id, const S3Config& s3,
               std::ostream& out, std::ostream& err);

// "none", "snappy", "zlib", "lz4", "zstd"; nullopt for anything else.
std::optional<SlateDbCompression> ParseSlateDbCompression(std::string_view name);

// The build result printed on success (stable field names; scripts read it).
// manifest_ref is null for a staged build, which publishes nothing.
nlohmann::ordered_json BuildResultToJson(const BuildResult& result);

}  // namespace shardyfusion::cli
