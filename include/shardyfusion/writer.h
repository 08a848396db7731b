// The sharded writer: records in, a published snapshot out.
//
// Records are routed to shards (xxh3 of the key into `num_dbs`, or a CEL
// expression: docs/format/routing.md), encoded, batched per shard and
// written through a ShardWriterFactory into a fresh attempt prefix per
// shard; then winners are selected, the manifest is published and `_CURRENT`
// is switched to it, and losing attempts are cleaned up
// (docs/format/layout.md). A successful return means the snapshot is
// published: readers opened afterwards see it. On any error nothing becomes
// visible through `_CURRENT`.
//
// Two ways in, for each strategy:
//   - WriteHashSharded / WriteCelSharded(records, config, input, options):
//     any C++ range.
//   - HashShardedWriter / CelShardedWriter: push records one by one
//     (callback sources, files).
//
// Memory is bounded by the per-shard batches (batch_size pairs per shard) and
// the optional global ceiling; the input is never held whole.
//
// Thread-safety: a HashShardedWriter or CelShardedWriter is used by one
// thread. Distinct writers are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardyfusion/cel.h"
#include "shardyfusion/key.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/metrics.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/shard_backend.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

// Shard retries (WriteConfig::shard_retry): a shard attempt that fails with a
// retryable error is abandoned and the shard is rewritten, from a local spool
// of its pairs, into the next attempt prefix (attempt=01, ...), after
// sleeping initial_backoff_seconds * backoff_multiplier^k before retry k+1.
struct RetryConfig {
  uint32_t max_retries = 3;              // retries after the first attempt; > 0
  double initial_backoff_seconds = 1.0;  // >= 0
  double backoff_multiplier = 2.0;       // >= 1
};

// Checkpoints: what lets a build that was killed (kill -9, a crash, a lost
// pod) be resumed instead of started over (docs/resume.md). At each
// checkpoint the build hands every buffered batch to its shards, waits for
// them, makes each shard's work so far durable (its sorted runs on local
// disk; in SlateDB direct mode the L0 SSTs already uploaded) and writes
// <local_root>/run_id=<run>/checkpoint.json atomically, with the caller's
// input position. The backend must support checkpoints (SQLite and SlateDB
// do). A build that fails with an error still cleans up as before: only a
// build that stopped without cleaning up (killed) leaves a checkpoint.
struct CheckpointConfig {
  // A checkpoint once `every_records` records were added since the last
  // one, or once `every_seconds` passed (checked as records are added);
  // 0 turns either off; both 0 (the default) takes no checkpoints.
  uint64_t every_records = 0;
  double every_seconds = 0;
  // Where the caller's input stands after the records added so far (a byte
  // offset, a partition cursor: any text), stored with each checkpoint and
  // handed back on resume (ShardedWriter::resume_position). Called on the
  // producer thread. Null stores an empty text.
  std::function<std::string()> input_position;
  // What the input is, as a JSON object (its path, size, modification
  // time, how records are read from it): a resume must pass an equal one,
  // else kConfigValidation naming the field that differs.
  std::string input_identity_json = "{}";
};

// Settings shared by every sharding strategy.
struct WriteConfig {
  // Root URL of the snapshot: s3://bucket/prefix, file:///abs/dir or a local
  // path. Must name a non-empty prefix.
  std::string s3_prefix;
  // Optional: the store to use instead of resolving s3_prefix's scheme.
  // s3_prefix must then be a URL inside this store.
  std::shared_ptr<ObjectStore> store;

  // Default: a fresh uuid4 hex. A run id that already has objects under the
  // prefix (shards, a manifest or a run record: an earlier build, maybe a
  // published snapshot) is a kConfigValidation error before anything is
  // written; a build never writes into another build's run.
  std::optional<std::string> run_id;
  std::string db_path_template = "db={db_id:05d}";  // {db_id} or {db_id:0Nd}
  std::string shard_prefix = "shards";              // one safe path segment
  std::string local_root;                           // staging root; default $TMPDIR/shardyfusion

  KeyEncoding key_encoding = KeyEncoding::kU64BE;
  uint64_t batch_size = 50000;  // pairs per shard batch, > 0
  // null = the default backend: SlateDB, direct mode (slatedb_backend.h).
  std::shared_ptr<ShardWriterFactory> adapter_factory;

  // Extra keys for the manifest's `custom` JSON object (a JSON object text).
  std::string custom_manifest_fields_json = "{}";
  PublishOptions publish;

  // Shared write rate limits, the total for the whole build (records and
  // key+value bytes per second; unset = unlimited). A shard whose batch is
  // full first tries to take its tokens without waiting and keeps buffering
  // if it cannot; at twice batch_size it waits for them. A batch larger than
  // a second's worth of tokens is served in parts, never waited on forever.
  std::optional<double> max_writes_per_second;
  std::optional<double> max_write_bytes_per_second;

  // Receives the build's metric events (metrics.h); may be shared with other
  // builds. Null = none.
  std::shared_ptr<MetricsCollector> metrics;
  // The run record (runs/<ts>_run_id=<id>_<uuid>/run.yaml under the root):
  // written when the build starts, refreshed every minute, finished as
  // succeeded or failed. Failing to write it never fails the build.
  bool write_run_record = true;
  std::string run_registry_prefix = "runs";  // one safe path segment

  // Unset = one attempt per shard: its first failure fails the build. Set,
  // every shard's pairs are also spooled to local disk (one more local copy)
  // so that a failed attempt can be rewritten. Applies in both modes.
  std::optional<RetryConfig> shard_retry;

  // A staged build (one of several processes writing one run): Finish seals
  // the shards and records each under the run (docs/format/layout.md,
  // "Staged shards") instead of publishing; PublishStagedRun publishes the
  // run once every shard is recorded. Requires run_id, which may then
  // already hold other processes' staged shards (never a published run's);
  // attempts are numbered by claim, so two processes staging one shard
  // write two attempts. Needs a shard count known at open (hash, or CEL with
  // routing_values). BuildResult.manifest_ref is then empty and its winners
  // are the shards this build sealed.
  bool stage_only = false;
  // With stage_only: only shards first..last (inclusive, within num_dbs) are
  // written and recorded, empty ones too; records routed elsewhere are
  // read and skipped.
  std::optional<std::pair<uint32_t, uint32_t>> only_shards;

  // Checkpoints as the build goes (CheckpointConfig).
  CheckpointConfig checkpoint;
  // Continues run `run_id` (required) from its last checkpoint under
  // local_root instead of starting it: the shards are restored as they were
  // at the checkpoint and the caller adds the records from
  // resume_position() on. kConfigValidation when there is no checkpoint of
  // the run, when the run is published, or when the configuration (root,
  // layout, sharding, key encoding, backend, retries) or the input identity
  // differs from the checkpoint's. Not with stage_only.
  bool resume = false;
};

struct HashShardedWriteConfig : WriteConfig {
  // Exactly one of the two must be set; either way at most kMaxNumDbs shards.
  std::optional<uint32_t> num_dbs;
  // num_dbs = max(1, ceil(record_count / max_keys_per_shard)).
  std::optional<uint64_t> max_keys_per_shard;
};

// CEL routing (docs/format/routing.md, "CEL routing"). The expression is
// evaluated per record over `cel_columns`, and its result picks the shard:
//   - direct mode (no routing_values, no inference): the result is the shard
//     id (int, uint, or decimal text as Python's int() reads it; no modulo).
//     num_dbs = max id + 1, and the ids must be dense 0..N-1; at most
//     kMaxCelDirectShards.
//   - categorical mode (routing_values): the id is the index of the token
//     exactly equal to the result (int 1 != string "1"; a uint result equals
//     the int token of the same value); num_dbs = max(1, tokens).
//   - inferred categorical (infer_routing_values_from_data): the tokens are
//     every distinct result over the input, of one kind, sorted ascending
//     (ints numerically, strings and bytes bytewise). Needs two passes.
// When cel_columns is exactly {"key": T} (key-only mode) the key is the
// column: an int key for int (or uint, non-negative) columns, a string or
// bytes key for string and bytes columns. Otherwise every record supplies
// the column values, in cel_columns order.
struct CelShardedWriteConfig : WriteConfig {
  std::string cel_expr;
  // Column name and type; evaluation takes the values in this order.
  std::vector<CelColumn> cel_columns;
  // Categorical tokens: each an int, a string or bytes (RoutingToken), all of
  // one kind, unique. Element i names shard i.
  std::optional<std::vector<RoutingToken>> routing_values;
  // Infer the tokens from the data (exclusive with routing_values).
  bool infer_routing_values_from_data = false;
  // Direct mode only: the shard count when it is known up front (a staged
  // build needs it; a distributed writer counts the ids first). Results are
  // then ids 0..num_dbs-1 (another id is a kShardAssignment error) and
  // shards may stay empty. Unset: the ids seen, which must be dense.
  std::optional<uint32_t> num_dbs;
};

// The most shards a CEL direct-mode build may discover (ids 0..65535).
inline constexpr uint32_t kMaxCelDirectShards = kMaxNumDbs;

struct WriteOptions {
  // Parallel mode: the producer (the thread calling Add) routes and encodes
  // records into per-shard batches and hands every full batch to a fixed
  // pool of `workers` threads that own the shard writers (shard s belongs to
  // worker s % workers), so any number of shards share the same threads.
  // Batches in flight are bounded by a global and a per-worker byte budget
  // (a batch counts its key+value bytes plus 16 bytes per pair); when one is
  // spent the producer waits for a worker to finish a batch. A batch larger
  // than a budget is admitted alone. A failing worker stops the build with an
  // error naming the shard; there is no wall-clock deadline on a shard.
  // Single-process mode (the default) uses one background writer thread
  // with at most two batches in flight.
  bool parallel = false;
  uint32_t workers = 0;  // 0 = the number of cores
  uint64_t max_total_chunk_bytes = uint64_t{256} << 20;
  uint64_t max_chunk_bytes_per_worker = uint64_t{32} << 20;
  // Memory ceiling across all shard batches: whenever the buffered total
  // exceeds a cap, the largest batch is flushed. Unset = no global cap.
  std::optional<uint64_t> max_total_batched_items;
  std::optional<uint64_t> max_total_batched_bytes;
  // Shards sealed at once at the end of a build (last batch, merge, insert,
  // upload); 0 = twice the number of cores, since sealing mixes CPU work with
  // waits on storage.
  uint32_t seal_threads = 0;
};

struct BuildDurations {
  int64_t write_ms = 0;
  int64_t manifest_ms = 0;
  int64_t total_ms = 0;
};

struct BuildStats {
  BuildDurations durations;
  int64_t num_attempt_results = 0;
  int64_t num_winners = 0;
  int64_t rows_written = 0;    // sum of winner row counts
  uint64_t bytes_written = 0;  // sum of key+value bytes handed to shards
  // From Finish to every shard sealed (the last batches, merges, uploads):
  // the part of write_ms after the last record.
  int64_t seal_ms = 0;
  int64_t checkpoints = 0;    // taken by this process (CheckpointConfig)
  int64_t checkpoint_ms = 0;  // their total time
  // Resumed builds: the records the checkpoint already held, and the time
  // the restore took (reading the checkpoint, adopting the shards' runs,
  // pruning what the killed build wrote after it).
  uint64_t resumed_records = 0;
  int64_t restore_ms = 0;
};

struct BuildResult {
  std::string run_id;
  int64_t num_dbs = 0;
  std::vector<ShardMeta> winners;  // sorted by db_id; empty shards omitted
  std::string manifest_ref;
  // The run record's URL; empty when it was off or could not be written.
  std::string run_record_ref;
  BuildStats stats;
};

class WriteEngine;  // the engine every writer shares (internal)

// What every push-style writer does once its records are added. Destroying
// an unfinished writer abandons it, as Abort does.
class ShardedWriter {
 public:
  virtual ~ShardedWriter();
  ShardedWriter(const ShardedWriter&) = delete;
  ShardedWriter& operator=(const ShardedWriter&) = delete;

  // Flushes, seals, publishes and cleans up. Call once.
  Result<BuildResult> Finish();
  // Abandons the build: nothing is published; local staging is removed.
  // `cause` (why the caller gave up: a bad input line, an interrupt) is
  // what the run record's error_message says; without one, the writer's
  // own failure, or "the build was aborted".
  void Abort();
  void Abort(const Status& cause);
  // Asks a Finish in progress on another thread (or the next Finish) to stop
  // before it publishes: shards not yet sealed are abandoned, what the build
  // created is deleted, and Finish returns a kInvalidArgument error "the
  // build was cancelled"; nothing is published. Finish looks for it before
  // each shard's seal and before the manifest is written; once the manifest
  // is being written it has no effect and the build ends as it would have.
  // Thread-safe, unlike every other member (not async-signal-safe: from a
  // signal handler, set a flag that a thread turns into Cancel()).
  void Cancel();

  // The shards known so far (CEL direct mode: the ids seen so far).
  uint32_t num_dbs() const;
  // Resumed builds count the checkpoint's records too.
  uint64_t records_added() const;
  // WriteConfig::resume: the input position saved with the checkpoint the
  // build resumed from (add the records after it); nullopt otherwise.
  const std::optional<std::string>& resume_position() const;

 protected:
  explicit ShardedWriter(std::unique_ptr<WriteEngine> engine);
  WriteEngine& engine() { return *engine_; }

 private:
  std::unique_ptr<WriteEngine> engine_;
};

// Push-style writer. Open() validates the whole configuration before any I/O.
class HashShardedWriter : public ShardedWriter {
 public:
  // `record_count` is required when config.max_keys_per_shard is set.
  static Result<std::unique_ptr<HashShardedWriter>> Open(
      const HashShardedWriteConfig& config, const WriteOptions& options = {},
      std::optional<uint64_t> record_count = std::nullopt);

  // Routes, encodes and buffers one record. A key outside the encoding's
  // domain is a kConfigValidation error naming the key; the build is then
  // unusable (call Abort or destroy it).
  Status Add(const Key& key, std::string_view value);

 private:
  using ShardedWriter::ShardedWriter;
};

// Push-style CEL writer. Open() validates the whole configuration (the
// expression compiles, tokens are well-formed, key-only column fits the key
// encoding, ...) before any I/O; errors are kConfigValidation.
//
// Inferred categorical mode is two passes over the same records: call
// Observe(key, columns) for every record, then Add for every record. Only the
// distinct tokens are held between the passes. The first Add freezes the
// tokens; a record whose token no Observe saw is then a kShardAssignment
// error. In the other modes Observe is a kInvalidArgument error.
//
// Errors while routing a record (evaluation errors, a negative or
// non-numeric direct id, an unknown token) are kShardAssignment errors
// naming the key; the build is then unusable (Abort or destroy it), and
// nothing is published.
//
// Finish also checks the shard ids (direct mode: dense 0..N-1).
class CelShardedWriter : public ShardedWriter {
 public:
  static Result<std::unique_ptr<CelShardedWriter>> Open(const CelShardedWriteConfig& config,
                                                        const WriteOptions& options = {});
  ~CelShardedWriter() override;

  // The first pass of inferred categorical mode: evaluates the record and
  // remembers its token. `columns` as for Add.
  Status Observe(const Key& key, std::span<const CelValue> columns = {});
  // Routes, encodes and buffers one record. `columns`: the values of
  // cel_columns in order; empty in key-only mode.
  Status Add(const Key& key, std::string_view value, std::span<const CelValue> columns = {});

 private:
  class TokenInference;  // the engine's router in inferred categorical mode
  CelShardedWriter(std::unique_ptr<WriteEngine> engine, std::shared_ptr<TokenInference> inference);
  std::shared_ptr<TokenInference> inference_;  // null unless inferring
};

// How to get a key and a value from a record of the input range.
template <typename KeyFn, typename ValueFn>
struct RecordInput {
  KeyFn key_fn;      // record -> Key (or int64_t / std::string convertible via ToKey)
  ValueFn value_fn;  // record -> something convertible to std::string_view
};
template <typename KeyFn, typename ValueFn>
RecordInput(KeyFn, ValueFn) -> RecordInput<KeyFn, ValueFn>;

inline Key ToKey(const Key& k) { return k; }
inline Key ToKey(int64_t v) { return Key::Int(v); }
inline Key ToKey(int v) { return Key::Int(v); }

// Writes every record of `records` and publishes the snapshot.
template <typename Range, typename KeyFn, typename ValueFn>
Result<BuildResult> WriteHashSharded(Range&& records, const HashShardedWriteConfig& config,
                                     const RecordInput<KeyFn, ValueFn>& input,
                                     const WriteOptions& options = {}) {
  std::optional<uint64_t> count;
  if constexpr (std::ranges::sized_range<Range>) {
    count = static_cast<uint64_t>(std::ranges::size(records));
  }
  Result<std::unique_ptr<HashShardedWriter>> opened =
      HashShardedWriter::Open(config, options, count);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<HashShardedWriter> writer = std::move(opened).value();
  for (auto&& record : records) {
    const auto& value = input.value_fn(record);
    Status st = writer->Add(ToKey(input.key_fn(record)), std::string_view(value));
    if (!st.ok()) {
      writer->Abort();
      return st;
    }
  }
  return writer->Finish();
}

// For key-only CEL expressions: no column values (the key is the column).
struct NoCelColumns {
  template <typename Record>
  std::span<const CelValue> operator()(const Record&) const {
    return {};
  }
};

// How to get a key, a value and the CEL column values from a record.
// `columns_fn` returns something convertible to std::span<const CelValue>
// (a std::vector or std::array of values in cel_columns order).
template <typename KeyFn, typename ValueFn, typename ColumnsFn = NoCelColumns>
struct CelRecordInput {
  KeyFn key_fn;
  ValueFn value_fn;
  ColumnsFn columns_fn = {};
};
template <typename KeyFn, typename ValueFn>
CelRecordInput(KeyFn, ValueFn) -> CelRecordInput<KeyFn, ValueFn, NoCelColumns>;
template <typename KeyFn, typename ValueFn, typename ColumnsFn>
CelRecordInput(KeyFn, ValueFn, ColumnsFn) -> CelRecordInput<KeyFn, ValueFn, ColumnsFn>;

// Writes every record of `records` with CEL routing and publishes the
// snapshot. Inferred categorical mode iterates `records` twice, so it needs
// a forward range; with a single-pass range it is a kConfigValidation error.
template <typename Range, typename KeyFn, typename ValueFn, typename ColumnsFn>
Result<BuildResult> WriteCelSharded(Range&& records, const CelShardedWriteConfig& config,
                                    const CelRecordInput<KeyFn, ValueFn, ColumnsFn>& input,
                                    const WriteOptions& options = {}) {
  if constexpr (!std::ranges::forward_range<Range>) {
    if (config.infer_routing_values_from_data) {
      return Status(ErrorCode::kConfigValidation,
                    "infer_routing_values_from_data reads the records twice, so it needs a "
                    "re-iterable (forward) range");
    }
  }
  Result<std::unique_ptr<CelShardedWriter>> opened = CelShardedWriter::Open(config, options);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<CelShardedWriter> writer = std::move(opened).value();
  auto fail = [&writer](Status st) {
    writer->Abort();
    return st;
  };
  if constexpr (std::ranges::forward_range<Range>) {
    if (config.infer_routing_values_from_data) {
      for (auto&& record : records) {
        const auto& columns = input.columns_fn(record);
        Status st =
            writer->Observe(ToKey(input.key_fn(record)), std::span<const CelValue>(columns));
        if (!st.ok()) return fail(st);
      }
    }
  }
  for (auto&& record : records) {
    const auto& value = input.value_fn(record);
    const auto& columns = input.columns_fn(record);
    Status st = writer->Add(ToKey(input.key_fn(record)), std::string_view(value),
                            std::span<const CelValue>(columns));
    if (!st.ok()) return fail(st);
  }
  return writer->Finish();
}

// Publishes run `run_id`, staged under `s3_prefix` (or inside `store`) by
// builds with WriteConfig::stage_only: every shard 0..num_dbs-1 must be
// recorded (kShardCoverage naming the missing ones), all records must agree
// on the sharding, key encoding, layout and custom fields (kConfigValidation
// naming the difference), and the run must not be published already
// (kConfigValidation). Winners are selected as a single build selects them
// (the lowest attempt), the manifest is written and `_CURRENT` switched, and
// the losing attempts' objects and the staging records are deleted. A
// failure before the manifest is written deletes nothing: stage the missing
// shards and publish again.
struct PublishStagedOptions {
  std::string s3_prefix;
  std::shared_ptr<ObjectStore> store;  // optional, as in WriteConfig
  std::string run_id;
  std::string shard_prefix = "shards";
  PublishOptions publish;
  std::shared_ptr<MetricsCollector> metrics;
  // DiscardStagedRun only (a publish reads it from the staged records).
  std::string db_path_template = "db={db_id:05d}";
};
Result<BuildResult> PublishStagedRun(const PublishStagedOptions& options);

// Gives up on an unpublished staged run: deletes every object its staged
// shards created (sealed attempts, attempts claimed by stagers that died)
// and its staging records. For a distributed build that failed, once none
// of its stagers is running. A published run is refused (kConfigValidation)
// and nothing is deleted.
Status DiscardStagedRun(const PublishStagedOptions& options);

}  // namespace shardyfusion
