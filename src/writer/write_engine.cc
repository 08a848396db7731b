// The single-process engine behind the sharded writers (write_engine.h).
#include "writer/write_engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/ids.h"
#include "core/rate_limiter.h"
#include "manifest/py_json.h"
#include "routing/sharding_spec.h"
#include "shardyfusion/slatedb_backend.h"
#include "storage/created_objects.h"
#include "writer/layout.h"
#include "writer/local_staging.h"
#include "writer/run_id_check.h"
#include "writer/run_record.h"
#include "writer/shard_attempts.h"
#include "writer/shard_worker_pool.h"
#include "writer/winners.h"

namespace shardyfusion {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t MillisSince(SteadyClock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0).count();
}

Status ConfigError(const std::string& msg) { return Status(ErrorCode::kConfigValidation, msg); }

std::string DefaultLocalRoot() {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp && *tmp) ? tmp : "/tmp";
  return base + "/shardyfusion";
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
  WriteConfig config;
  WriteOptions options;
  std::shared_ptr<const Router> router;
  ShardCount shard_count;
  StoreLocation root;
  std::shared_ptr<ShardWriterFactory> factory;
  KeyLimits key_limits;  // the factory's, read once
  std::string run_id;
  std::string local_run_dir;
  std::unique_ptr<LocalStaging> staging;  // owns local_run_dir while the build runs
  // Requested when the build fails: cuts retry backoffs short.
  std::stop_source stop;
  ShardAttemptEnv env;  // shared by every shard's attempts
  // Index = db_id. Grows when the router names a new id (CEL direct mode);
  // background jobs hold ShardState pointers, which growth keeps valid.
  std::vector<std::unique_ptr<ShardState>> shards;
  std::string key_scratch;
  uint64_t total_items = 0;  // buffered, not yet flushed
  uint64_t total_bytes = 0;
  uint64_t records = 0;
  uint64_t bytes_in = 0;
  int64_t next_first_seen = 0;
  bool key_is_int = false;
  bool saw_key = false;
  bool done = false;
  size_t seal_threads = 1;
  // Batches are written behind the producer: single-process mode by one
  // thread with at most kMaxPendingBatches queued or being written at once,
  // parallel mode by the worker pool within its byte budgets.
  static constexpr size_t kMaxPendingBatches = 2;
  size_t max_recycled_batches = 4;
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
    if (recycled.size() < max_recycled_batches) recycled.push_back(std::move(batch));
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
  // until the manifest is published.
  std::vector<std::string> CreatedObjects() const {
    std::vector<std::string> keys;
    for (const std::unique_ptr<ShardState>& s : shards) {
      if (s->attempts) {
        std::vector<std::string> k = s->attempts->CreatedObjects();
        keys.insert(keys.end(), k.begin(), k.end());
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
  // failure is returned. sealed[db_id] is set for every sealed shard.
  // REQUIRES: the worker pool has been drained and stopped.
  Status SealAll(std::vector<std::optional<SealResult>>* sealed) {
    std::vector<uint32_t> todo;
    for (uint32_t i = 0; i < shards.size(); ++i) {
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
        if (failed()) {
          s.attempts->Abandon();
          s.batch.Release();
          continue;
        }
        if (!s.batch.empty()) TakeTokens(s.batch, /*blocking=*/true);
        Status st = s.attempts->Write(s.batch);
        s.batch.Release();
        Result<SealResult> r = st.ok() ? s.attempts->Seal() : Result<SealResult>(st);
        if (r.ok()) st = VerifySealed(db_id, s);
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
    const size_t threads = std::min<size_t>(todo.size(), seal_threads);
    std::vector<std::thread> helpers;
    for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
    work();
    for (std::thread& t : helpers) t.join();
    return first_failure;
  }

  // The shard `db_id`, created on first use.
  ShardState& EnsureShard(uint32_t db_id) {
    while (shards.size() <= db_id) shards.push_back(std::make_unique<ShardState>());
    return *shards[db_id];
  }

  Result<BuildResult> Finish();
};

Result<std::unique_ptr<WriteEngine>> WriteEngine::Open(const WriteConfig& config,
                                                       const WriteOptions& options,
                                                       std::shared_ptr<const Router> router,
                                                       ShardCount shard_count) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = options;
  impl->router = std::move(router);
  impl->shard_count = std::move(shard_count);

  if (config.s3_prefix.empty())
    return ConfigError("s3_prefix is required (a directory, file:// or s3:// URL)");
  if (config.batch_size == 0) return ConfigError("batch_size must be > 0");
  if (config.shard_retry) {
    const RetryConfig& r = *config.shard_retry;
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
  }
  if (options.parallel) {
    if (options.workers > 4096) {
      return ConfigError("workers must be at most 4096 (got " + std::to_string(options.workers) +
                         ")");
    }
    if (options.max_total_chunk_bytes == 0 || options.max_chunk_bytes_per_worker == 0) {
      return ConfigError("max_total_chunk_bytes and max_chunk_bytes_per_worker must be > 0");
    }
  }
  if (!IsSafePathSegment(config.shard_prefix)) {
    return ConfigError("shard_prefix \"" + config.shard_prefix +
                       "\" must be one path segment of [A-Za-z0-9._-]");
  }
  Result<DbPathTemplate> tmpl = DbPathTemplate::Compile(config.db_path_template);
  if (!tmpl.ok()) return tmpl.status();
  impl->env.db_path = std::move(tmpl).value();
  if (config.run_id && !IsSafePathSegment(*config.run_id)) {
    return ConfigError("run_id \"" + *config.run_id +
                       "\" must be non-empty and use only [A-Za-z0-9._-]");
  }
  {
    Result<nlohmann::json> custom = PyJsonLoads(config.custom_manifest_fields_json);
    if (!custom.ok() || !custom->is_object()) {
      return ConfigError("custom_manifest_fields_json must be a JSON object");
    }
  }
  if (options.max_total_batched_items && *options.max_total_batched_items == 0) {
    return ConfigError("max_total_batched_items must be > 0 when set");
  }
  if (options.max_total_batched_bytes && *options.max_total_batched_bytes == 0) {
    return ConfigError("max_total_batched_bytes must be > 0 when set");
  }
  Result<StoreLocation> loc = config.store ? ResolveInStore(config.store, config.s3_prefix)
                                           : OpenStoreForUrl(config.s3_prefix);
  if (!loc.ok()) return loc.status();
  impl->root = std::move(loc).value();
  if (impl->root.key.empty()) {
    return ConfigError(
        "s3_prefix \"" + config.s3_prefix +
        "\" must include a non-empty key prefix below the bucket or filesystem root");
  }

  impl->factory = config.adapter_factory ? config.adapter_factory : NewSlateDbWriterFactory();
  impl->key_limits = impl->factory->key_limits();
  impl->run_id = config.run_id.value_or(NewUuid4Hex());
  const std::string local_root = config.local_root.empty() ? DefaultLocalRoot() : config.local_root;
  impl->local_run_dir = local_root + "/run_id=" + impl->run_id;
  for (const auto& [name, rate] :
       {std::pair<const char*, const std::optional<double>&>("max_writes_per_second",
                                                             config.max_writes_per_second),
        {"max_write_bytes_per_second", config.max_write_bytes_per_second}}) {
    if (rate && !(*rate > 0)) {
      return ConfigError(std::string(name) + " must be > 0 when set (got " + std::to_string(*rate) +
                         ")");
    }
  }
  if (!IsSafePathSegment(config.run_registry_prefix)) {
    return ConfigError("run_registry_prefix \"" + config.run_registry_prefix +
                       "\" must be one path segment of [A-Za-z0-9._-]");
  }
  MetricsCollector* metrics = config.metrics.get();
  if (config.max_writes_per_second) {
    impl->ops_limiter =
        std::make_unique<TokenBucket>(*config.max_writes_per_second, "ops", SystemClock(), metrics);
  }
  if (config.max_write_bytes_per_second) {
    impl->bytes_limiter = std::make_unique<TokenBucket>(*config.max_write_bytes_per_second, "bytes",
                                                        SystemClock(), metrics);
  }
  const uint32_t initial = impl->shard_count.initial;
  if (initial > kMaxNumDbs) {
    return ConfigError(std::to_string(initial) + " shards are more than the " +
                       std::to_string(kMaxNumDbs) + " a snapshot may have");
  }
  if (initial > 0) impl->EnsureShard(initial - 1);
  // A rerun of a run id must never write into (or clean up) another
  // build's objects, which may be a published snapshot's.
  if (config.run_id) {
    Status unused = CheckRunIdUnused(*impl->root.store, impl->root.key, config.shard_prefix,
                                     config.run_registry_prefix, impl->run_id);
    if (!unused.ok()) return unused;
  }
  // Everything is validated: from here on the build writes.
  Result<std::unique_ptr<LocalStaging>> staging = LocalStaging::Acquire(local_root, impl->run_id);
  if (!staging.ok()) return staging.status();
  impl->staging = std::move(staging).value();
  // Builds that died (kill -9) left their staging behind; nothing else
  // ever removes it.
  SweepAbandonedStaging(local_root);
  if (config.write_run_record) {
    RunRecord record;
    record.run_id = impl->run_id;
    record.s3_prefix = impl->root.store->Url(impl->root.key);
    record.shard_prefix = config.shard_prefix;
    record.db_path_template = config.db_path_template;
    RunRecordOptions ro;
    ro.runs_prefix = config.run_registry_prefix;
    impl->run_record =
        RunRecordLifecycle::Start(impl->root.store, impl->root.key, std::move(record), ro);
  }
  impl->Emit(metric_events::kWriteStarted, {});
  impl->seal_threads = options.seal_threads != 0
                           ? options.seal_threads
                           : std::max(1u, 2 * std::thread::hardware_concurrency());
  ShardAttemptEnv& env = impl->env;
  env.store = impl->root.store;
  env.root_key = impl->root.key;
  env.shard_prefix = config.shard_prefix;
  env.run_id = impl->run_id;
  env.factory = impl->factory;
  env.local_run_dir = impl->local_run_dir;
  env.replay_batch_size = config.batch_size;
  env.retry = config.shard_retry.value_or(RetryConfig{.max_retries = 0});
  Impl* raw = impl.get();
  env.emit = [raw](std::string_view event,
                   std::vector<std::pair<std::string_view, double>> numbers) {
    raw->Emit(event, std::move(numbers));
  };
  env.stop = impl->stop.get_token();
  ShardWorkerPool::Limits limits;
  if (options.parallel) {
    limits.workers =
        options.workers != 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
    limits.max_total_bytes = options.max_total_chunk_bytes;
    limits.max_bytes_per_worker = options.max_chunk_bytes_per_worker;
  } else {
    limits.workers = 1;
    limits.max_jobs_per_worker = Impl::kMaxPendingBatches;
  }
  impl->max_recycled_batches = 2 * limits.workers + 2;
  impl->pool = std::make_unique<ShardWorkerPool>(limits, impl->stop);
  return std::unique_ptr<WriteEngine>(new WriteEngine(std::move(impl)));
}

WriteEngine::WriteEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WriteEngine::~WriteEngine() {
  if (impl_ && !impl_->done) Abort();
}

uint32_t WriteEngine::num_dbs() const { return static_cast<uint32_t>(impl_->shards.size()); }
uint64_t WriteEngine::records_added() const { return impl_->records; }

Status WriteEngine::Add(const Key& key, std::string_view value, std::span<const CelValue> columns) {
  Impl& w = *impl_;
  if (w.done) return Status(ErrorCode::kInvalidArgument, "Add after Finish or Abort");
  if (!w.failure.ok()) return w.failure;
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
  if (st.ok() && (w.key_scratch.size() < w.key_limits.min_bytes ||
                  w.key_scratch.size() > w.key_limits.max_bytes)) {
    st = ConfigError("key " + key.DebugString().substr(0, 80) + " encodes to " +
                     std::to_string(w.key_scratch.size()) + " bytes, but the " + w.factory->name() +
                     " backend stores keys of " + std::to_string(w.key_limits.min_bytes) + " to " +
                     std::to_string(w.key_limits.max_bytes) + " bytes");
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
  ShardState& s = w.EnsureShard(db_id);
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
uint32_t ShardedWriter::num_dbs() const { return engine_->num_dbs(); }
uint64_t ShardedWriter::records_added() const { return engine_->records_added(); }

Result<BuildResult> WriteEngine::Impl::Finish() {
  if (!failure.ok()) return failure;
  std::vector<ShardAttemptResult> attempts;
  auto fail_before_publish = [&](const Status& st) -> Status {
    // Nothing references these objects; remove them so a failed build
    // leaves no orphans behind. Only what this build created: never a
    // listing of a prefix that another run may own.
    DeleteBestEffort(*root.store, CreatedObjects(), "failed_build_cleanup");
    return st;
  };
  // The shards' last batches are written by the seal workers, in parallel.
  Status drained = pool->Drain();
  pool->Stop();
  if (!drained.ok()) return fail_before_publish(drained);
  // Known only now in CEL direct mode, where it may also fail (ids that are
  // not dense): checked before anything is sealed.
  std::vector<int64_t> rows;
  for (const std::unique_ptr<ShardState>& s : shards) rows.push_back(s->row_count);
  Result<uint32_t> final_num_dbs = shard_count.final(rows);
  if (!final_num_dbs.ok()) return fail_before_publish(final_num_dbs.status());
  const uint32_t num_dbs = *final_num_dbs;
  if (num_dbs > 0) EnsureShard(num_dbs - 1);
  std::vector<std::optional<SealResult>> sealed;
  Status seal_status = SealAll(&sealed);
  if (!seal_status.ok()) return fail_before_publish(seal_status);
  std::vector<std::string> superseded;  // what earlier attempts of retried shards left
  for (uint32_t db_id = 0; db_id < shards.size(); ++db_id) {
    ShardState& s = *shards[db_id];
    if (!sealed[db_id]) {
      if (s.row_count == 0) continue;  // an empty shard: no attempt, no objects
      return fail_before_publish(Status(ErrorCode::kShardCoverage,
                                        "Shard coverage mismatch: db_id=" + std::to_string(db_id) +
                                            " received " + std::to_string(s.row_count) +
                                            " rows but has no successful attempt; nothing was "
                                            "published"));
    }
    std::vector<std::string> earlier = s.attempts->SupersededObjects();
    superseded.insert(superseded.end(), earlier.begin(), earlier.end());
    ShardAttemptResult a;
    a.db_id = db_id;
    a.attempt = s.attempts->attempt();
    a.db_key = s.attempts->db_key();
    a.db_url = root.store->Url(s.attempts->db_key());
    a.row_count = s.row_count;
    a.db_bytes = static_cast<int64_t>(sealed[db_id]->db_bytes);
    a.min_key = s.min_key;
    a.max_key = s.max_key;
    a.checkpoint_id = NewUuid4Hex();
    a.writer_info.attempt = a.attempt;
    a.writer_info.duration_ms = s.attempts->duration_ms();
    attempts.push_back(std::move(a));
  }
  const int64_t write_ms = MillisSince(started);
  int64_t rows_sealed = 0;
  for (const ShardAttemptResult& a : attempts) rows_sealed += a.row_count;
  Emit(metric_events::kWriteShardsCompleted, {{"duration_ms", static_cast<double>(write_ms)},
                                              {"rows_written", static_cast<double>(rows_sealed)}});

  Result<WinnerSelection> sel = SelectWinners(attempts, num_dbs);
  if (!sel.ok()) return fail_before_publish(sel.status());

  Manifest manifest;
  manifest.meta.run_id = run_id;
  manifest.meta.num_dbs = num_dbs;
  manifest.meta.s3_prefix = root.store->Url(root.key);  // canonical URL, not a bare path
  manifest.meta.key_col = "_key";
  manifest.meta.sharding = router->spec();
  manifest.meta.db_path_template = config.db_path_template;
  manifest.meta.shard_prefix = config.shard_prefix;
  manifest.meta.key_encoding = config.key_encoding;
  {
    nlohmann::json custom = *PyJsonLoads(config.custom_manifest_fields_json);  // checked at Open
    AddRoutingCustomFields(*router, &custom);
    custom[kShardBackendKey] = factory->name();
    manifest.meta.custom_json = PyJsonDumps(custom);
  }
  manifest.shards = sel->winners;

  const SteadyClock::time_point publish_start = SteadyClock::now();
  ManifestStore manifests(root.store, root.key);
  Result<std::string> ref = manifests.Publish(std::move(manifest), config.publish);
  if (!ref.ok()) {
    // A manifest that was written but not made current still references the
    // shards: keep them so the pointer switch can be retried.
    if (ref.status().code() == ErrorCode::kPublishCurrent) {
      RemoveLocalStaging();
      return ref.status();
    }
    return fail_before_publish(ref.status());
  }
  const int64_t manifest_ms = MillisSince(publish_start);
  // Publish writes the manifest, then switches _CURRENT: both happened.
  Emit(metric_events::kWriteManifestPublished, {});
  Emit(metric_events::kWriteCurrentPublished, {});

  // Each shard of this build has one sealed attempt, so its only losers are
  // the failed attempts before it.
  DeleteBestEffort(*root.store, superseded, "loser_cleanup");
  RemoveLocalStaging();

  BuildResult result;
  result.run_id = run_id;
  result.num_dbs = num_dbs;
  result.manifest_ref = std::move(ref).value();
  result.stats.num_attempt_results = sel->num_attempt_results;
  result.stats.num_winners = static_cast<int64_t>(sel->winners.size());
  for (const ShardMeta& m : sel->winners) result.stats.rows_written += m.row_count;
  result.stats.bytes_written = bytes_in;
  result.winners = std::move(sel->winners);
  result.stats.durations.write_ms = write_ms;
  result.stats.durations.manifest_ms = manifest_ms;
  result.stats.durations.total_ms = MillisSince(started);
  return result;
}

}  // namespace shardyfusion
