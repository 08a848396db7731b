// The write-shards phase of a build, and the engine that runs all three
// phases (write_engine.h).
#include "writer/write_engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "core/ids.h"
#include "core/log.h"
#include "core/py_json.h"
#include "core/rate_limiter.h"
#include "core/status_internal.h"
#include "routing/sharding_spec.h"
#include "storage/created_objects.h"
#include "writer/build_plan.h"
#include "writer/checkpoint.h"
#include "writer/layout.h"
#include "writer/local_staging.h"
#include "writer/publish.h"
#include "writer/run_id_check.h"
#include "writer/run_record.h"
#include "writer/shard_attempts.h"
#include "writer/shard_worker_pool.h"
#include "writer/staged.h"
#include "writer/winners.h"

namespace shardyfusion {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t MillisSince(SteadyClock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0).count();
}

// Per-shard state in the engine.
struct ShardState {
  KvBatch batch;
  // Created on the shard's first flush; used by the shard's worker, then by
  // a seal worker once the pool is drained.
  std::unique_ptr<ShardAttempts> attempts;
  int64_t row_count = 0;
  std::optional<Key> min_key;
  std::optional<Key> max_key;
  int64_t first_seen = -1;  // order of first record, for ceiling tie-breaks
  // Staged builds: the shard's sealed record is written (staged.h), so its
  // objects belong to the run from here on, whatever this build does next.
  bool recorded = false;
  // Resumed builds: the shard was sealed before the process died (its
  // sealed file, checkpoint.h); its records in the input are skipped.
  std::optional<ShardAttemptResult> resumed_sealed;
  std::vector<std::string> resumed_superseded;
};

// What a batch in flight is charged against the workers' budgets: its pairs
// as the reference's chunk wire format sizes them.
uint64_t ChargedBytes(const KvBatch& b) { return b.payload_bytes() + 16 * b.size(); }

// Logical key order used for min/max: numeric for ints, bytewise otherwise
// (a str and a bytes key compare by their bytes).
bool KeyLess(const Key& a, const Key& b) {
  if (a.is_int() && b.is_int()) return a.int_value() < b.int_value();
  return a.bytes() < b.bytes();
}

}  // namespace

class WriteEngine::Impl {
 public:
  Impl(const WriteConfig& c, const WriteOptions& o, std::shared_ptr<const Router> r, ShardCount n,
       BuildPlan p)
      : config(c),
        options(o),
        router(std::move(r)),
        shard_count(std::move(n)),
        plan(std::move(p)),
        root(plan.root) {}

  const WriteConfig config;
  const WriteOptions options;
  std::shared_ptr<const Router> router;  // used by the producer thread only
  ShardCount shard_count;
  const BuildPlan plan;
  const StoreLocation& root;              // plan.root
  std::unique_ptr<LocalStaging> staging;  // owns plan.local_run_dir while the build runs
  // Requested when the build fails or is cancelled: cuts retry backoffs short.
  std::stop_source stop;
  std::atomic<bool> cancelled{false};  // Cancel(), from any thread

  Status CancelledError() const {
    return Status(ErrorCode::kInvalidArgument, "the build was cancelled; nothing was published");
  }
  ShardAttemptEnv env;  // shared by every shard's attempts
  // Index = db_id. Grows when the router names a new id (CEL direct mode);
  // background jobs hold ShardState pointers, which growth keeps valid.
  std::vector<std::unique_ptr<ShardState>> shards;
  std::string key_scratch;
  uint64_t total_items = 0;  // buffered, not yet flushed
  uint64_t total_bytes = 0;
  uint64_t records = 0;
  uint64_t skipped = 0;  // staged builds: records routed to shards outside the range
  uint64_t bytes_in = 0;
  int64_t next_first_seen = 0;
  bool key_is_int = false;
  bool saw_key = false;
  bool done = false;
  // Batches are written behind the producer (plan.pool: single-process mode
  // one thread with two batches in flight, parallel mode the worker pool
  // within its byte budgets).
  std::unique_ptr<ShardWorkerPool> pool;
  std::mutex recycled_mu;
  std::vector<KvBatch> recycled;
  Status failure;  // sticky: once Add fails the build cannot be published
  SteadyClock::time_point started = SteadyClock::now();
  // Shared by the producer and the seal workers (thread-safe); null when
  // the rate is not limited.
  std::unique_ptr<TokenBucket> ops_limiter;
  std::unique_ptr<TokenBucket> bytes_limiter;
  std::unique_ptr<RunRecordLifecycle> run_record;
  // Checkpoints (WriteConfig::checkpoint) and resume.
  uint64_t last_checkpoint_records = 0;
  SteadyClock::time_point last_checkpoint_at = SteadyClock::now();
  int64_t checkpoint_sequence = 0;  // the last one started, also before a resume
  // Written by the worker that finishes a checkpoint; read after a drain.
  std::atomic<bool> checkpoint_in_flight{false};
  std::atomic<int64_t> checkpoints_taken{0};
  std::atomic<int64_t> checkpoint_ms{0};
  uint64_t resumed_records = 0;
  int64_t restore_ms = 0;
  std::optional<std::string> resume_position;
  // The run record of the build this one resumes (key, started_at).
  std::optional<std::pair<std::string, SystemTime>> resumed_record;

  void Emit(std::string_view event, std::vector<std::pair<std::string_view, double>> numbers) {
    if (!config.metrics) return;
    MetricEvent e;
    e.name = event;
    e.numbers = std::move(numbers);
    e.numbers.emplace_back("elapsed_ms", static_cast<double>(MillisSince(started)));
    config.metrics->Emit(e);
  }

  // Takes the rate limiters' tokens for `batch`. Non-blocking unless
  // `blocking`: then false means "not now, keep buffering" and nothing was
  // taken from the records limiter. Once the records tokens are taken, a
  // bytes deficit is waited for, so no tokens are wasted.
  bool TakeTokens(const KvBatch& batch, bool blocking) {
    if (ops_limiter) {
      if (blocking) {
        ops_limiter->Acquire(batch.size());
      } else if (!ops_limiter->TryAcquire(batch.size())) {
        return false;
      }
    }
    if (bytes_limiter) {
      if (blocking || ops_limiter) {
        bytes_limiter->Acquire(batch.payload_bytes());
      } else if (!bytes_limiter->TryAcquire(batch.payload_bytes())) {
        return false;
      }
    }
    return true;
  }

  void FinishRunRecord(const Status& st) {
    if (!run_record) return;
    if (st.ok()) {
      run_record->Succeed();
    } else {
      run_record->Fail(ErrorCodeName(st.code()), st.message());
    }
  }

  // Hands the shard's batch to the background writer (which opens the shard
  // writer on first use) and gives the shard a recycled empty batch.
  // `release` drops the batch's memory after the write instead of recycling.
  Status FlushShard(uint32_t db_id, bool release = false) {
    ShardState& s = *shards[db_id];
    if (s.batch.empty()) return Status::OK();
    total_items -= s.batch.size();
    total_bytes -= s.batch.payload_bytes();
    const size_t items = s.batch.size();
    const size_t bytes = s.batch.payload_bytes();
    auto batch = std::make_shared<KvBatch>(std::move(s.batch));
    ShardState* shard = &s;
    if (!s.attempts) s.attempts = std::make_unique<ShardAttempts>(&env, db_id);
    Status submitted =
        pool->Submit(db_id, ChargedBytes(*batch), [this, shard, batch, release]() -> Status {
          SHARDY_RETURN_IF_ERROR(shard->attempts->Write(*batch));
          if (!release) RecycleBatch(std::move(*batch));
          return Status::OK();
        });
    // Taken after Submit, which waits for room: by then a finished job has
    // usually recycled its batch, so the next one reuses memory that is
    // already mapped instead of faulting in fresh pages.
    s.batch = TakeRecycledBatch();
    // Growing a batch from empty copies it log(n) times and faults in fresh
    // pages each time; a full batch predicts the next one's size.
    if (!release && items >= config.batch_size) s.batch.Reserve(items, bytes + bytes / 8);
    return submitted;
  }

  KvBatch TakeRecycledBatch() {
    std::lock_guard<std::mutex> lock(recycled_mu);
    if (recycled.empty()) return KvBatch();
    KvBatch b = std::move(recycled.back());
    recycled.pop_back();
    return b;
  }

  void RecycleBatch(KvBatch batch) {
    batch.Clear();
    std::lock_guard<std::mutex> lock(recycled_mu);
    if (recycled.size() < plan.max_recycled_batches) recycled.push_back(std::move(batch));
  }

  // The memory ceiling: while a total exceeds its cap, flush the largest
  // buffered shard (by bytes, then items; ties go to the first-seen shard).
  Status EnforceCeiling() {
    while ((options.max_total_batched_items && total_items > *options.max_total_batched_items) ||
           (options.max_total_batched_bytes && total_bytes > *options.max_total_batched_bytes)) {
      int64_t best = -1;
      for (uint32_t i = 0; i < shards.size(); ++i) {
        const ShardState& s = *shards[i];
        if (s.batch.empty()) continue;
        if (best < 0) {
          best = i;
          continue;
        }
        const ShardState& b = *shards[best];
        const auto key = std::make_tuple(s.batch.payload_bytes(), s.batch.size(), -s.first_seen);
        const auto bkey = std::make_tuple(b.batch.payload_bytes(), b.batch.size(), -b.first_seen);
        if (key > bkey) best = i;
      }
      if (best < 0) break;
      TakeTokens(shards[best]->batch, /*blocking=*/true);
      SHARDY_RETURN_IF_ERROR(FlushShard(static_cast<uint32_t>(best), /*release=*/true));
    }
    return Status::OK();
  }

  void AbandonAll() {
    stop.request_stop();
    pool->Stop();  // no job may touch a shard writer from here on
    for (const std::unique_ptr<ShardState>& s : shards) {
      if (s->attempts) s->attempts->Abandon();  // keeps its attempt keys for cleanup
      s->batch.Release();
    }
    RemoveLocalStaging();
  }

  // Every object the shards' attempts created: nothing references them
  // until the manifest is published. Recorded shards (staged builds) are
  // left out: their records hand them to the run's publisher.
  std::vector<std::string> CreatedObjects() const {
    std::vector<std::string> keys;
    for (const std::unique_ptr<ShardState>& s : shards) {
      if (s->attempts && !s->recorded) {
        std::vector<std::string> k = s->attempts->CreatedObjects();
        keys.insert(keys.end(), k.begin(), k.end());
      }
      if (s->resumed_sealed) {
        const std::vector<std::string>& k = s->resumed_sealed->created_objects;
        keys.insert(keys.end(), k.begin(), k.end());
        keys.insert(keys.end(), s->resumed_superseded.begin(), s->resumed_superseded.end());
      }
    }
    return keys;
  }

  // A sealed attempt that received rows must have objects in the store;
  // one that has none (a store that dropped the uploads) is not a
  // successful attempt, and publishing it would lose the shard's rows.
  Status VerifySealed(uint32_t db_id, const ShardState& s) {
    if (s.row_count == 0) return Status::OK();
    Result<ListResult> listed = root.store->List(s.attempts->db_key() + "/", "");
    if (!listed.ok()) {
      return Status(ErrorCode::kShardWrite,
                    "cannot verify the sealed shard db_id=" + std::to_string(db_id) + ": " +
                        listed.status().message(),
                    listed.status().retryable());
    }
    if (listed->objects.empty()) {
      return Status(ErrorCode::kShardCoverage,
                    "Shard coverage mismatch: db_id=" + std::to_string(db_id) + " received " +
                        std::to_string(s.row_count) + " rows but has no successful attempt (" +
                        root.store->Url(s.attempts->db_key()) +
                        " holds no objects after its seal); nothing was published");
    }
    return Status::OK();
  }

  void RemoveLocalStaging() {
    if (staging) staging->Remove();
  }

  // Seals every shard that holds data, several at once: each worker writes
  // a shard's last batch and seals it (merge, insert, upload). Shards are
  // independent and sealing dominates the tail of a build. After the first
  // failure the remaining shards are abandoned, not sealed, and that first
  // failure is returned. sealed[db_id] is set for every sealed shard. In a
  // staged build each sealed shard is recorded at once under the run, in a
  // checkpointing one in the local staging (`base` describes the run).
  // REQUIRES: the worker pool has been drained and stopped.
  Status SealAll(std::vector<std::optional<SealResult>>* sealed, const PublishRequest& base) {
    std::vector<uint32_t> todo;
    for (uint32_t i = 0; i < shards.size(); ++i) {
      if (shards[i]->resumed_sealed) continue;
      if (shards[i]->attempts || !shards[i]->batch.empty()) todo.push_back(i);
    }
    sealed->assign(shards.size(), std::nullopt);
    std::atomic<size_t> next{0};
    std::mutex failure_mu;
    Status first_failure;
    auto failed = [&] {
      std::lock_guard<std::mutex> lock(failure_mu);
      return !first_failure.ok();
    };
    auto work = [&] {
      for (size_t i = next++; i < todo.size(); i = next++) {
        const uint32_t db_id = todo[i];
        ShardState& s = *shards[db_id];
        if (!s.attempts) s.attempts = std::make_unique<ShardAttempts>(&env, db_id);
        if (failed() || cancelled) {
          s.attempts->Abandon();
          s.batch.Release();
          continue;
        }
        if (!s.batch.empty()) TakeTokens(s.batch, /*blocking=*/true);
        Status st = s.attempts->Write(s.batch);
        s.batch.Release();
        Result<SealResult> r = st.ok() ? s.attempts->Seal() : Result<SealResult>(st);
        if (r.ok()) st = VerifySealed(db_id, s);
        if (r.ok() && st.ok() && plan.staged) st = RecordShard(base, db_id, *r);
        if (r.ok() && st.ok() && (plan.checkpointing || plan.resume)) {
          st = WriteSealedFile(base, db_id, *r);
        }
        if (r.ok() && st.ok()) {
          (*sealed)[db_id] = *r;
          Emit(metric_events::kWriteShardCompleted,
               {{"db_id", static_cast<double>(db_id)},
                {"duration_ms", static_cast<double>(s.attempts->duration_ms())},
                {"row_count", static_cast<double>(s.row_count)},
                {"attempt", static_cast<double>(s.attempts->attempt())}});
          continue;
        }
        if (!r.ok()) st = r.status();
        std::lock_guard<std::mutex> lock(failure_mu);
        if (first_failure.ok()) {
          first_failure = st;
          stop.request_stop();
        }
      }
    };
    const size_t threads = std::min<size_t>(todo.size(), plan.seal_threads);
    std::vector<std::thread> helpers;
    for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
    work();
    for (std::thread& t : helpers) t.join();
    if (first_failure.ok() && cancelled) return CancelledError();
    return first_failure;
  }

  // What the manifest lists for sealed shard `db_id` if its attempt wins,
  // and the objects the attempt created.
  ShardAttemptResult AttemptResult(uint32_t db_id, const SealResult& sealed) const {
    const ShardState& s = *shards[db_id];
    ShardAttemptResult a;
    ShardMeta& m = a.shard;
    m.db_id = db_id;
    m.attempt = s.attempts->attempt();
    m.db_url = root.store->Url(s.attempts->db_key());
    m.row_count = s.row_count;
    m.db_bytes = static_cast<int64_t>(sealed.db_bytes);
    m.min_key = s.min_key;
    m.max_key = s.max_key;
    m.checkpoint_id = NewUuid4Hex();
    m.writer_info.attempt = m.attempt;
    m.writer_info.duration_ms = s.attempts->duration_ms();
    a.created_objects = s.attempts->CurrentObjects();
    return a;
  }

  // Staged builds: writes the sealed-shard record of `db_id` (null `sealed`:
  // the shard received no records). An empty shard's record may exist
  // already (another process staged it); a sealed attempt's cannot, its
  // number being claimed.
  Status RecordShard(const PublishRequest& base, uint32_t db_id, const SealResult* sealed) {
    ShardState& s = *shards[db_id];
    std::optional<ShardAttemptResult> a;
    std::vector<std::string> superseded;
    if (sealed) {
      a = AttemptResult(db_id, *sealed);
      superseded = s.attempts->SupersededObjects();
    }
    Result<std::string> bytes =
        SerializeStagedRecord(base, db_id, a ? &*a : nullptr, superseded, plan.staging_name);
    if (!bytes.ok()) return bytes.status();
    PutOptions put;
    put.condition = PutCondition::kIfAbsent;
    put.content_type = kManifestContentType;
    const std::string key =
        StagedRecordKey(root.key, config.shard_prefix, plan.run_id, db_id,
                        sealed ? std::optional<int64_t>(s.attempts->attempt()) : std::nullopt);
    Result<std::string> written = root.store->Put(key, *bytes, put);
    if (!written.ok()) {
      if (!sealed && written.status().code() == ErrorCode::kPreconditionFailed) {
        return Status::OK();
      }
      return Status(ErrorCode::kShardWrite,
                    "cannot record the staged shard db_id=" + std::to_string(db_id) + " at " +
                        root.store->Url(key) + ": " + written.status().message(),
                    written.status().retryable());
    }
    s.recorded = true;
    return Status::OK();
  }
  Status RecordShard(const PublishRequest& base, uint32_t db_id, const SealResult& sealed) {
    return RecordShard(base, db_id, &sealed);
  }

  // Checkpointing builds: the sealed shard's attempt result, kept in the
  // local staging so that a resume after a kill publishes it as it is.
  Status WriteSealedFile(const PublishRequest& base, uint32_t db_id, const SealResult& sealed) {
    ShardState& s = *shards[db_id];
    const ShardAttemptResult a = AttemptResult(db_id, sealed);
    Result<std::string> bytes =
        SerializeStagedRecord(base, db_id, &a, s.attempts->SupersededObjects(), plan.staging_name);
    if (!bytes.ok()) return bytes.status();
    const std::string path =
        SealedPath(plan.local_run_dir, StagedRecordTail(db_id, s.attempts->attempt()));
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    PendingFileOptions options;
    options.sync_dir = true;
    options.error_code = ErrorCode::kShardWrite;
    return WriteFileAtomically(path, *bytes, options);
  }

  // What a resume must find unchanged (CompareForResume).
  nlohmann::json Fingerprint() const {
    const ShardingSpec& spec = router->spec();
    const nlohmann::json columns =
        spec.cel_columns ? nlohmann::json(*spec.cel_columns) : nlohmann::json();
    const nlohmann::json sharding = {
        {"strategy", spec.strategy == ShardingSpec::Strategy::kHash ? "hash" : "cel"},
        {"hash_algorithm", spec.hash_algorithm},
        {"cel_expr", spec.cel_expr ? nlohmann::json(*spec.cel_expr) : nlohmann::json()},
        {"cel_columns", columns},
        {"routing_values",
         spec.routing_values_json ? nlohmann::json(*spec.routing_values_json) : nlohmann::json()}};
    return {{"s3_prefix", root.store->Url(root.key)},
            {"shard_prefix", config.shard_prefix},
            {"db_path_template", config.db_path_template},
            {"key_encoding", KeyEncodingName(config.key_encoding)},
            {"sharding", sharding},
            {"num_dbs", plan.initial_num_dbs},
            {"backend", plan.factory->name()},
            {"shard_retries", plan.retry.max_retries > 0},
            {"custom_manifest_fields", *PyJsonLoads(config.custom_manifest_fields_json)}};
  }

  bool CheckpointDue() const {
    const CheckpointConfig& c = config.checkpoint;
    if (c.every_records && records - last_checkpoint_records >= c.every_records) return true;
    // The clock is read every 256 records.
    return c.every_seconds > 0 && (records & 255) == 0 &&
           std::chrono::duration<double>(SteadyClock::now() - last_checkpoint_at).count() >=
               c.every_seconds;
  }

  // One checkpoint on its way to disk: the producer's part is taken at once,
  // each worker adds its shards' states behind the batches queued before,
  // and the last one writes the file.
  struct PendingCheckpoint {
    nlohmann::json doc;                // "shards" holds each shard's entry, "attempt" unset
    std::vector<size_t> entry_of;      // db_id -> index in doc["shards"] (or npos)
    std::atomic<size_t> remaining{0};  // workers still to add their shards
    std::mutex mu;
    Status failure;
    SteadyClock::time_point started;
  };

  // Hands every buffered batch to its shard and queues the checkpoint
  // behind them on every worker, so the producer does not wait: each
  // worker checkpoints its own shards once their earlier batches are
  // written (a shard's jobs run in order on one worker), and the last
  // writes checkpoint.json. One checkpoint at a time: while one is on its
  // way the next waits.
  Status TakeCheckpoint() {
    if (checkpoint_in_flight.load()) return Status::OK();
    auto pending = std::make_shared<PendingCheckpoint>();
    pending->started = SteadyClock::now();
    for (uint32_t i = 0; i < shards.size(); ++i) {
      if (shards[i]->batch.empty()) continue;
      TakeTokens(shards[i]->batch, /*blocking=*/true);
      SHARDY_RETURN_IF_ERROR(FlushShard(i));
    }
    nlohmann::json entries = nlohmann::json::array();
    pending->entry_of.assign(shards.size(), std::string::npos);
    const size_t workers = pool->workers();
    // Pointers: the producer may grow `shards` meanwhile (CEL direct mode).
    std::vector<std::vector<std::pair<uint32_t, ShardState*>>> by_worker(workers);
    for (uint32_t i = 0; i < shards.size(); ++i) {
      const ShardState& s = *shards[i];
      if (s.resumed_sealed) continue;  // its sealed file stands
      pending->entry_of[i] = entries.size();
      entries.push_back({{"db_id", i},
                         {"row_count", s.row_count},
                         {"min_key", KeyToCheckpointJson(s.min_key)},
                         {"max_key", KeyToCheckpointJson(s.max_key)},
                         {"first_seen", s.first_seen},
                         {"attempt", nullptr}});
      if (s.attempts) by_worker[i % workers].emplace_back(i, shards[i].get());
    }
    const CheckpointConfig& c = config.checkpoint;
    pending->doc = {{"format", kCheckpointFormat},
                    {"run_id", plan.run_id},
                    {"sequence", ++checkpoint_sequence},
                    {"config", Fingerprint()},
                    {"input", *PyJsonLoads(c.input_identity_json)},
                    {"input_position", c.input_position ? c.input_position() : ""},
                    {"records", records},
                    {"bytes_in", bytes_in},
                    {"next_first_seen", next_first_seen},
                    {"key_is_int", key_is_int},
                    {"saw_key", saw_key},
                    {"num_shards", shards.size()},
                    {"shards", std::move(entries)},
                    {"run_record", nullptr}};
    if (run_record && !run_record->record_key().empty()) {
      pending->doc["run_record"] = {
          {"key", run_record->record_key()},
          {"started_at_us", run_record->Snapshot().started_at.time_since_epoch().count()}};
    }
    last_checkpoint_records = records;
    last_checkpoint_at = pending->started;
    pending->remaining = workers;
    checkpoint_in_flight = true;
    for (size_t w = 0; w < workers; ++w) {
      std::vector<std::pair<uint32_t, ShardState*>> mine = std::move(by_worker[w]);
      // Shard w belongs to worker w (ShardWorkerPool: shard % workers).
      Status submitted = pool->Submit(static_cast<uint32_t>(w), 0, [this, pending, mine] {
        return CheckpointShards(*pending, mine);
      });
      if (!submitted.ok()) return submitted;
    }
    return Status::OK();
  }

  // A worker's part of `pending`: its shards' states; the last worker
  // writes the file.
  Status CheckpointShards(PendingCheckpoint& pending,
                          const std::vector<std::pair<uint32_t, ShardState*>>& mine) {
    for (const auto& [i, s] : mine) {
      if (!s->attempts->started()) continue;
      Result<nlohmann::json> a = s->attempts->Checkpoint();
      std::lock_guard<std::mutex> lock(pending.mu);
      if (!a.ok()) {
        if (pending.failure.ok()) pending.failure = a.status();
        continue;
      }
      pending.doc["shards"][pending.entry_of[i]]["attempt"] = std::move(a).value();
    }
    if (--pending.remaining > 0) return Status::OK();
    std::lock_guard<std::mutex> lock(pending.mu);
    Status st = pending.failure;
    if (st.ok()) st = WriteCheckpoint(plan.local_run_dir, pending.doc);
    checkpoint_in_flight = false;
    if (!st.ok()) return st;
    const int64_t ms = MillisSince(pending.started);
    ++checkpoints_taken;
    checkpoint_ms += ms;
    Emit(metric_events::kWriteCheckpoint,
         {{"records", static_cast<double>(pending.doc["records"].get<uint64_t>())},
          {"duration_ms", static_cast<double>(ms)}});
    return Status::OK();
  }

  // A resume that cannot go on: every restored attempt is left as the
  // checkpoint names it, for a later resume.
  void DetachAll() {
    for (const std::unique_ptr<ShardState>& s : shards) {
      if (s->attempts) s->attempts->Detach();
      s->attempts.reset();
    }
  }

  Status Resume();

  // The shard `db_id`, created on first use.
  ShardState& EnsureShard(uint32_t db_id) {
    while (shards.size() <= db_id) shards.push_back(std::make_unique<ShardState>());
    return *shards[db_id];
  }

  Status Start();
  Result<BuildResult> Finish();
  Result<PublishRequest> SealShards();
};

// Restores the build from its checkpoint (and its shards sealed since),
// after checking that it is the same build on the same input, and removes
// what the dead process wrote after the checkpoint.
Status WriteEngine::Impl::Resume() {
  Result<std::optional<nlohmann::json>> found = ReadCheckpoint(plan.local_run_dir);
  if (!found.ok()) return found.status();
  if (!*found) {
    return ConfigError("nothing to resume: run " + plan.run_id + " has no checkpoint in " +
                       plan.local_run_dir +
                       " (a build resumes on the machine and local root it ran on, once it has "
                       "taken a checkpoint; one that failed with an error, or was cancelled, "
                       "cleaned up and cannot resume)");
  }
  const nlohmann::json& j = **found;
  auto damaged = [&](const std::string& what) {
    return ConfigError("the checkpoint " + CheckpointPath(plan.local_run_dir) + " is damaged (" +
                       what + "); the run cannot resume, start a new one");
  };
  if (!j["run_id"].is_string() || j["run_id"] != plan.run_id) return damaged("another run id");
  if (!j["config"].is_object() || !j["input"].is_object()) return damaged("no fingerprint");
  SHARDY_RETURN_IF_ERROR(
      CompareForResume(plan.run_id, "the build's setting", j["config"], Fingerprint(),
                       "resume with the settings the build started with, or start a new run"));
  SHARDY_RETURN_IF_ERROR(CompareForResume(
      plan.run_id, "the input's", j["input"], *PyJsonLoads(config.checkpoint.input_identity_json),
      "resume from the same input, unchanged since the build started, or start a new run"));
  std::set<std::string> keep_objects;
  std::set<std::string> keep_local = {CheckpointPath(plan.local_run_dir),
                                      plan.local_run_dir + "/" + kSealedDir,
                                      plan.local_run_dir + "/_retry_spool"};
  try {
    records = j.at("records").get<uint64_t>();
    bytes_in = j.at("bytes_in").get<uint64_t>();
    next_first_seen = j.at("next_first_seen").get<int64_t>();
    key_is_int = j.at("key_is_int").get<bool>();
    saw_key = j.at("saw_key").get<bool>();
    checkpoint_sequence = j.at("sequence").get<int64_t>();
    resume_position = j.at("input_position").get<std::string>();
    if (const nlohmann::json& rr = j.at("run_record"); rr.is_object()) {
      resumed_record.emplace(
          rr.at("key").get<std::string>(),
          SystemTime(std::chrono::microseconds(rr.at("started_at_us").get<int64_t>())));
    }
    const uint64_t num_shards = j.at("num_shards").get<uint64_t>();
    if (num_shards > kMaxNumDbs) return damaged("num_shards");
    if (num_shards > 0) EnsureShard(static_cast<uint32_t>(num_shards - 1));
    // First what to keep, then (once nothing else can be refused) the
    // restore, which changes the staging.
    for (const nlohmann::json& e : j.at("shards")) {
      const uint64_t db_id = e.at("db_id").get<uint64_t>();
      if (db_id >= num_shards) return damaged("db_id " + std::to_string(db_id));
      const nlohmann::json& a = e.at("attempt");
      if (a.is_null()) continue;
      for (const char* list : {"created", "superseded"}) {
        for (const nlohmann::json& k : a.at(list)) keep_objects.insert(k.get<std::string>());
      }
      keep_local.insert(plan.local_run_dir + "/" + plan.db_path.Format(db_id) + "/" +
                        AttemptDirName(a.at("attempt").get<int64_t>()));
    }
    for (const nlohmann::json& e : j.at("shards")) {
      ShardState& s = *shards[e.at("db_id").get<uint64_t>()];
      s.row_count = e.at("row_count").get<int64_t>();
      s.first_seen = e.at("first_seen").get<int64_t>();
      SHARDY_ASSIGN_OR_RETURN(s.min_key, KeyFromCheckpointJson(e.at("min_key")));
      SHARDY_ASSIGN_OR_RETURN(s.max_key, KeyFromCheckpointJson(e.at("max_key")));
    }
  } catch (const nlohmann::json::exception& e) {
    return damaged(e.what());
  }
  // Shards sealed after the input was read, before the process died.
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(plan.local_run_dir + "/" + kSealedDir, ec)) {
    if (!entry.is_regular_file() || IsTempFileName(entry.path().filename().string())) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    Result<StagedRecord> rec = ParseStagedRecord(entry.path().string(), bytes.str());
    if (!rec.ok() || rec->manifest.shards.size() != 1 || rec->db_id < 0 ||
        rec->db_id >= static_cast<int64_t>(kMaxNumDbs)) {
      return damaged("sealed shard " + entry.path().string());
    }
    ShardState& s = EnsureShard(static_cast<uint32_t>(rec->db_id));
    ShardAttemptResult sealed;
    sealed.shard = rec->manifest.shards[0];
    sealed.created_objects = rec->created_objects;
    s.row_count = sealed.shard.row_count;
    s.min_key = sealed.shard.min_key;
    s.max_key = sealed.shard.max_key;
    keep_objects.insert(rec->created_objects.begin(), rec->created_objects.end());
    keep_objects.insert(rec->superseded_objects.begin(), rec->superseded_objects.end());
    s.resumed_superseded = rec->superseded_objects;
    s.resumed_sealed = std::move(sealed);
  }
  // The attempts, restored as they were at the checkpoint.
  for (const nlohmann::json& e : j["shards"]) {
    const uint32_t db_id = e["db_id"].get<uint32_t>();
    ShardState& s = *shards[db_id];
    if (e["attempt"].is_null() || s.resumed_sealed) continue;
    s.attempts = std::make_unique<ShardAttempts>(&env, db_id);
    SHARDY_RETURN_IF_ERROR(s.attempts->Resume(e["attempt"]));
  }
  // What the dead process wrote after its checkpoint, in the store and in
  // the local staging, is part of nothing.
  Result<ListResult> listed =
      root.store->List(RunShardsKey(root.key, config.shard_prefix, plan.run_id) + "/", "");
  if (!listed.ok()) return listed.status().annotate("listing run " + plan.run_id + " to resume it");
  std::vector<std::string> stray;
  std::set<std::string> present;
  for (const ObjectInfo& o : listed->objects) {
    present.insert(o.key);
    if (!keep_objects.contains(o.key)) stray.push_back(o.key);
  }
  // Claims live outside the listing's reach only in staged builds, which
  // never resume; anything else the checkpoint names must still be there.
  for (const std::string& key : keep_objects) {
    if (present.contains(key)) continue;
    return ConfigError("cannot resume run " + plan.run_id + ": " + root.store->Url(key) +
                       ", which its checkpoint names, is gone from the store (deleted by a "
                       "cleanup?); start a new run");
  }
  if (!stray.empty()) {
    Log(LogLevel::kInfo, "resuming run " + plan.run_id + ": deleting " +
                             std::to_string(stray.size()) +
                             " object(s) written after its last checkpoint");
    SHARDY_RETURN_IF_ERROR(root.store->Delete(stray));
  }
  PruneExcept(plan.local_run_dir, keep_local);
  resumed_records = records;
  last_checkpoint_records = records;
  return Status::OK();
}

Result<std::unique_ptr<WriteEngine>> WriteEngine::Open(const WriteConfig& config,
                                                       const WriteOptions& options,
                                                       std::shared_ptr<const Router> router,
                                                       ShardCount shard_count) {
  const uint32_t initial = shard_count.initial;
  Result<BuildPlan> plan = ValidateBuild(config, options, initial, MachineDefaults());
  if (!plan.ok()) return plan.status();
  auto impl = std::make_unique<Impl>(config, options, std::move(router), std::move(shard_count),
                                     std::move(plan).value());
  if (Status st = impl->Start(); !st.ok()) return st;
  return std::unique_ptr<WriteEngine>(new WriteEngine(std::move(impl)));
}

Status WriteEngine::Impl::Start() {
  MetricsCollector* metrics = config.metrics.get();
  if (config.max_writes_per_second) {
    ops_limiter =
        std::make_unique<TokenBucket>(*config.max_writes_per_second, "ops", SystemClock(), metrics);
  }
  if (config.max_write_bytes_per_second) {
    bytes_limiter = std::make_unique<TokenBucket>(*config.max_write_bytes_per_second, "bytes",
                                                  SystemClock(), metrics);
  }
  if (plan.initial_num_dbs > 0) EnsureShard(plan.initial_num_dbs - 1);
  // A rerun of a run id must never write into (or clean up) another
  // build's objects, which may be a published snapshot's.
  // A staged build writes into a run that other processes stage too, but
  // never into a published one.
  if (plan.resume) {
    if (Status st = CheckRunNotPublished(*root.store, root.key, plan.run_id); !st.ok()) {
      if (st.code() != ErrorCode::kConfigValidation) return st;
      return ConfigError("cannot resume run " + plan.run_id + ": it is already published (" +
                         st.message() + ")");
    }
  } else if (plan.staged) {
    SHARDY_RETURN_IF_ERROR(CheckRunNotPublished(*root.store, root.key, plan.run_id));
  } else if (plan.run_id_chosen) {
    Status unused = CheckRunIdUnused(*root.store, root.key, config.shard_prefix,
                                     config.run_registry_prefix, plan.run_id);
    if (!unused.ok()) return unused;
  }
  // Everything is validated: from here on the build writes.
  Result<std::unique_ptr<LocalStaging>> acquired =
      LocalStaging::Acquire(plan.local_root, plan.staging_name);
  if (!acquired.ok()) return acquired.status();
  staging = std::move(acquired).value();
  env.store = root.store;
  env.root_key = root.key;
  env.shard_prefix = config.shard_prefix;
  env.run_id = plan.run_id;
  env.db_path = plan.db_path;
  env.factory = plan.factory;
  env.local_run_dir = plan.local_run_dir;
  env.replay_batch_size = config.batch_size;
  env.retry = plan.retry;
  env.claim_attempts = plan.staged;
  env.emit = [this](std::string_view event,
                    std::vector<std::pair<std::string_view, double>> numbers) {
    Emit(event, std::move(numbers));
  };
  env.stop = stop.get_token();
  if (plan.resume) {
    const SteadyClock::time_point t0 = SteadyClock::now();
    if (Status st = Resume(); !st.ok()) {
      DetachAll();
      return st;
    }
    restore_ms = MillisSince(t0);
  }
  // Builds that died (kill -9) left their staging behind; nothing else
  // ever removes it.
  SweepAbandonedStaging(plan.local_root);
  if (config.write_run_record) {
    RunRecord record;
    record.run_id = plan.run_id;
    record.s3_prefix = root.store->Url(root.key);
    record.shard_prefix = config.shard_prefix;
    record.db_path_template = config.db_path_template;
    RunRecordOptions ro;
    ro.runs_prefix = config.run_registry_prefix;
    if (resumed_record) {
      ro.existing_key = resumed_record->first;
      ro.started_at = resumed_record->second;
    }
    run_record = RunRecordLifecycle::Start(root.store, root.key, std::move(record), ro);
  }
  Emit(metric_events::kWriteStarted, {});
  pool = std::make_unique<ShardWorkerPool>(plan.pool, stop);
  return Status::OK();
}

WriteEngine::WriteEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WriteEngine::~WriteEngine() {
  if (impl_ && !impl_->done) Abort();
}

uint32_t WriteEngine::num_dbs() const { return static_cast<uint32_t>(impl_->shards.size()); }
uint64_t WriteEngine::records_added() const { return impl_->records; }
const std::optional<std::string>& WriteEngine::resume_position() const {
  return impl_->resume_position;
}

Status WriteEngine::Add(const Key& key, std::string_view value, std::span<const CelValue> columns) {
  Impl& w = *impl_;
  if (w.done) return Status(ErrorCode::kInvalidArgument, "Add after Finish or Abort");
  if (!w.failure.ok()) return w.failure;
  // Before the record: the caller's input position then names exactly the
  // records added so far.
  if (w.plan.checkpointing && w.CheckpointDue()) {
    if (Status st = w.TakeCheckpoint(); !st.ok()) {
      w.failure = st;
      return st;
    }
  }
  if (!w.saw_key) {
    w.saw_key = true;
    w.key_is_int = key.is_int();
  } else if (key.is_int() != w.key_is_int) {
    w.failure = ConfigError("key type changed within the build: got " + key.DebugString() +
                            " after " + (w.key_is_int ? "integer" : "string/bytes") + " keys");
    return w.failure;
  }
  w.key_scratch.clear();
  Status st = EncodeKey(w.config.key_encoding, key, &w.key_scratch);
  if (st.ok() && (w.key_scratch.size() < w.plan.key_limits.min_bytes ||
                  w.key_scratch.size() > w.plan.key_limits.max_bytes)) {
    st = ConfigError("key " + key.DebugString().substr(0, 80) + " encodes to " +
                     std::to_string(w.key_scratch.size()) + " bytes, but the " +
                     w.plan.factory->name() + " backend stores keys of " +
                     std::to_string(w.plan.key_limits.min_bytes) + " to " +
                     std::to_string(w.plan.key_limits.max_bytes) + " bytes");
  }
  if (!st.ok()) {
    w.failure = st;
    return st;
  }
  Result<uint32_t> routed = RouteRecord(*w.router, key, columns);
  if (!routed.ok()) {
    w.failure = routed.status();
    return w.failure;
  }
  const uint32_t db_id = *routed;
  if (w.plan.staged && (db_id < w.plan.first_shard || db_id > w.plan.last_shard)) {
    ++w.records;
    ++w.skipped;
    return Status::OK();  // another process stages that shard
  }
  ShardState& s = w.EnsureShard(db_id);
  if (s.resumed_sealed) {
    ++w.records;  // in the shard sealed before the resume
    return Status::OK();
  }
  if (s.first_seen < 0) s.first_seen = w.next_first_seen++;
  s.batch.Add(w.key_scratch, value);
  ++s.row_count;
  if (!s.min_key || KeyLess(key, *s.min_key)) s.min_key = key;
  if (!s.max_key || KeyLess(*s.max_key, key)) s.max_key = key;
  ++w.records;
  ++w.total_items;
  const uint64_t pair_bytes = w.key_scratch.size() + value.size();
  w.total_bytes += pair_bytes;
  w.bytes_in += pair_bytes;
  if (s.batch.size() >= w.config.batch_size) {
    // Rate limits: try without waiting; a shard that has buffered twice its
    // batch waits for its tokens (the memory ceiling still applies below).
    // After a denial the try is repeated every sixteenth of a batch, not on
    // every record, which would take the limiter's lock and emit a denied
    // event per record.
    const uint64_t over = s.batch.size() - w.config.batch_size;
    const uint64_t retry_every = std::max<uint64_t>(1, w.config.batch_size / 16);
    const bool escalate = s.batch.size() >= 2 * w.config.batch_size;
    if ((escalate || over % retry_every == 0) && w.TakeTokens(s.batch, escalate)) {
      st = w.FlushShard(db_id);
    }
  }
  if (st.ok() && (w.options.max_total_batched_items || w.options.max_total_batched_bytes)) {
    st = w.EnforceCeiling();
  }
  if (!st.ok()) w.failure = st;
  return st;
}

void WriteEngine::Abort(const Status& cause) {
  if (impl_->done) return;
  impl_->done = true;
  impl_->AbandonAll();
  // Nothing references what the attempts uploaded (direct-mode SSTs).
  DeleteBestEffort(*impl_->root.store, impl_->CreatedObjects(), "abort_cleanup");
  Status aborted(ErrorCode::kInvalidArgument, "the build was aborted");
  impl_->FinishRunRecord(!cause.ok() ? cause : !impl_->failure.ok() ? impl_->failure : aborted);
  impl_->Emit(metric_events::kWriteFailed, {});
}

void WriteEngine::Cancel() {
  impl_->cancelled = true;
  impl_->stop.request_stop();
}

Result<BuildResult> WriteEngine::Finish() {
  if (impl_->done) return Status(ErrorCode::kInvalidArgument, "Finish called twice or after Abort");
  impl_->done = true;
  Result<BuildResult> r = impl_->Finish();
  if (!r.ok()) {
    impl_->AbandonAll();
    impl_->Emit(metric_events::kWriteFailed, {});
  } else {
    impl_->Emit(metric_events::kWriteCompleted,
                {{"rows_written", static_cast<double>(r->stats.rows_written)}});
  }
  if (impl_->run_record && r.ok()) impl_->run_record->SetManifestRef(r->manifest_ref);
  impl_->FinishRunRecord(r.ok() ? Status::OK() : r.status());
  if (r.ok() && impl_->run_record && !impl_->run_record->record_key().empty()) {
    r->run_record_ref = impl_->root.store->Url(impl_->run_record->record_key());
  }
  return r;
}

ShardedWriter::ShardedWriter(std::unique_ptr<WriteEngine> engine) : engine_(std::move(engine)) {}
ShardedWriter::~ShardedWriter() = default;
Result<BuildResult> ShardedWriter::Finish() { return engine_->Finish(); }
void ShardedWriter::Abort() { engine_->Abort(); }
void ShardedWriter::Abort(const Status& cause) { engine_->Abort(cause); }
void ShardedWriter::Cancel() { engine_->Cancel(); }
uint32_t ShardedWriter::num_dbs() const { return engine_->num_dbs(); }
uint64_t ShardedWriter::records_added() const { return engine_->records_added(); }
const std::optional<std::string>& ShardedWriter::resume_position() const {
  return engine_->resume_position();
}

// The end of the write phase: drains the workers, settles the shard count
// and seals every shard, and describes the result as a publish request. A
// failure deletes every object the attempts created.
Result<PublishRequest> WriteEngine::Impl::SealShards() {
  auto fail = [&](const Status& st) -> Status {
    // Nothing references these objects; remove them so a failed build
    // leaves no orphans behind. Only what this build created: never a
    // listing of a prefix that another run may own.
    DeleteBestEffort(*root.store, CreatedObjects(), "failed_build_cleanup");
    return st;
  };
  // The shards' last batches are written by the seal workers, in parallel.
  Status drained = pool->Drain();
  pool->Stop();
  if (!drained.ok()) return fail(cancelled ? CancelledError() : drained);
  if (cancelled) return fail(CancelledError());
  // Known only now in CEL direct mode, where it may also fail (ids that are
  // not dense): checked before anything is sealed.
  std::vector<int64_t> rows;
  for (const std::unique_ptr<ShardState>& s : shards) rows.push_back(s->row_count);
  Result<uint32_t> num_dbs = shard_count.final(rows);
  if (!num_dbs.ok()) return fail(num_dbs.status());
  if (*num_dbs > 0) EnsureShard(*num_dbs - 1);

  PublishRequest request;
  request.root = root;
  request.run_id = plan.run_id;
  request.num_dbs = *num_dbs;
  request.sharding = router->spec();
  request.db_path_template = config.db_path_template;
  request.shard_prefix = config.shard_prefix;
  request.key_encoding = config.key_encoding;
  request.user_custom = *PyJsonLoads(config.custom_manifest_fields_json);  // checked by Validate
  AddRoutingCustomFields(*router, &request.library_custom);
  request.library_custom[kShardBackendKey] = plan.factory->name();
  request.options = config.publish;
  request.emit = env.emit;

  std::vector<std::optional<SealResult>> sealed;
  if (Status st = SealAll(&sealed, request); !st.ok()) return fail(st);
  if (plan.staged) {
    // Shards of the range that received nothing are recorded as empty.
    for (uint32_t db_id = plan.first_shard; db_id <= plan.last_shard; ++db_id) {
      if (sealed[db_id] || shards[db_id]->row_count > 0) continue;
      if (Status st = RecordShard(request, db_id, nullptr); !st.ok()) return fail(st);
    }
  }
  for (uint32_t db_id = 0; db_id < shards.size(); ++db_id) {
    ShardState& s = *shards[db_id];
    if (s.resumed_sealed) {
      request.superseded_objects.insert(request.superseded_objects.end(),
                                        s.resumed_superseded.begin(), s.resumed_superseded.end());
      request.attempts.push_back(*s.resumed_sealed);
      continue;
    }
    if (!sealed[db_id]) {
      if (s.row_count == 0) continue;  // an empty shard: no attempt, no objects
      return fail(Status(ErrorCode::kShardCoverage,
                         "Shard coverage mismatch: db_id=" + std::to_string(db_id) + " received " +
                             std::to_string(s.row_count) +
                             " rows but has no successful attempt; nothing was published"));
    }
    std::vector<std::string> earlier = s.attempts->SupersededObjects();
    request.superseded_objects.insert(request.superseded_objects.end(), earlier.begin(),
                                      earlier.end());
    request.attempts.push_back(AttemptResult(db_id, *sealed[db_id]));
  }
  return request;
}

Result<BuildResult> WriteEngine::Impl::Finish() {
  if (!failure.ok()) return failure;
  const SteadyClock::time_point seal_started = SteadyClock::now();
  Result<PublishRequest> request = SealShards();
  if (!request.ok()) return request.status();
  const int64_t seal_ms = MillisSince(seal_started);
  const int64_t write_ms = MillisSince(started);
  int64_t rows_sealed = 0;
  for (const ShardAttemptResult& a : request->attempts) rows_sealed += a.shard.row_count;
  Emit(metric_events::kWriteShardsCompleted, {{"duration_ms", static_cast<double>(write_ms)},
                                              {"rows_written", static_cast<double>(rows_sealed)}});
  const int64_t num_dbs = request->num_dbs;
  if (plan.staged) {
    // Every shard of the range is recorded: the run's publisher takes over.
    RemoveLocalStaging();
    BuildResult result;
    result.run_id = plan.run_id;
    result.num_dbs = num_dbs;
    result.stats.num_attempt_results = static_cast<int64_t>(request->attempts.size());
    for (ShardAttemptResult& a : request->attempts) {
      if (a.shard.row_count == 0) continue;
      result.stats.rows_written += a.shard.row_count;
      result.winners.push_back(std::move(a.shard));
    }
    result.stats.num_winners = static_cast<int64_t>(result.winners.size());
    result.stats.bytes_written = bytes_in;
    result.stats.durations.write_ms = write_ms;
    result.stats.durations.total_ms = MillisSince(started);
    result.stats.seal_ms = seal_ms;
    return result;
  }
  // The last point at which a cancel is honoured: after it, the manifest is written.
  if (cancelled) {
    DeleteBestEffort(*root.store, CreatedObjects(), "cancel_cleanup");
    return CancelledError();
  }
  Result<PublishedSnapshot> published = PublishSnapshot(std::move(request).value());
  // Publish keeps or deletes the attempts' objects as its outcome requires.
  if (!published.ok()) {
    if (published.status().code() == ErrorCode::kPublishCurrent) RemoveLocalStaging();
    return published.status();
  }
  RemoveLocalStaging();

  BuildResult result;
  result.run_id = plan.run_id;
  result.num_dbs = num_dbs;
  result.manifest_ref = std::move(published->manifest_ref);
  result.stats.num_attempt_results = published->num_attempt_results;
  result.stats.num_winners = static_cast<int64_t>(published->winners.size());
  for (const ShardMeta& m : published->winners) result.stats.rows_written += m.row_count;
  result.stats.bytes_written = bytes_in;
  result.winners = std::move(published->winners);
  result.stats.durations.write_ms = write_ms;
  result.stats.durations.manifest_ms = published->manifest_ms;
  result.stats.durations.total_ms = MillisSince(started);
  result.stats.checkpoints = checkpoints_taken;
  result.stats.checkpoint_ms = checkpoint_ms;
  result.stats.resumed_records = resumed_records;
  result.stats.restore_ms = restore_ms;
  result.stats.seal_ms = seal_ms;
  return result;
}

}  // namespace shardyfusion
