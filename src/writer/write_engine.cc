// The single-process engine behind the sharded writers (write_engine.h).
#include "writer/write_engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/ids.h"
#include "core/log.h"
#include "core/rate_limiter.h"
#include "manifest/py_json.h"
#include "shardyfusion/slatedb_backend.h"
#include "writer/background_writer.h"
#include "writer/layout.h"
#include "writer/run_record.h"
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
  std::unique_ptr<ShardWriter> writer;
  std::string db_key;
  int64_t row_count = 0;
  std::optional<Key> min_key;
  std::optional<Key> max_key;
  SteadyClock::time_point opened_at;
  int64_t first_seen = -1;  // order of first record, for ceiling tie-breaks
};

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
  std::unique_ptr<ShardRouter> router;
  StoreLocation root;
  DbPathTemplate db_path;
  std::shared_ptr<ShardWriterFactory> factory;
  KeyLimits key_limits;  // the factory's, read once
  std::string run_id;
  std::string local_run_dir;
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
  // Batches are written behind the producer; at most kMaxPendingBatches are
  // queued or being written at once (memory beyond the shard batches).
  static constexpr size_t kMaxPendingBatches = 2;
  static constexpr size_t kMaxRecycledBatches = 4;
  std::unique_ptr<BackgroundWriter> background =
      std::make_unique<BackgroundWriter>(kMaxPendingBatches);
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
    Status submitted = background->Submit([this, shard, db_id, batch, release]() -> Status {
      SHARDY_RETURN_IF_ERROR(WriteShardBatch(shard, db_id, *batch));
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

  // Writes `batch` to the shard, opening its writer on first use.
  Status WriteShardBatch(ShardState* shard, uint32_t db_id, const KvBatch& batch) {
    if (!shard->writer) SHARDY_RETURN_IF_ERROR(OpenShard(shard, db_id));
    Status st = shard->writer->WriteBatch(batch);
    if (!st.ok()) {
      return Status(ErrorCode::kShardWrite,
                    "Shard write failed for db_id=" + std::to_string(db_id) + ": " + st.message(),
                    st.retryable());
    }
    return Status::OK();
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
    if (recycled.size() < kMaxRecycledBatches) recycled.push_back(std::move(batch));
  }

  Status OpenShard(ShardState* shard, uint32_t db_id) {
    ShardState& s = *shard;
    s.db_key = AttemptKey(root.key, config.shard_prefix, run_id, db_path, db_id, 0);
    ShardWriterContext ctx;
    ctx.store = root.store;
    ctx.db_key = s.db_key;
    ctx.local_dir = local_run_dir + "/" + db_path.Format(db_id) + "/" + AttemptDirName(0);
    std::error_code ec;
    std::filesystem::create_directories(ctx.local_dir, ec);
    if (ec) {
      return Status(ErrorCode::kShardWrite,
                    "cannot create local staging directory " + ctx.local_dir + ": " + ec.message(),
                    false);
    }
    s.opened_at = SteadyClock::now();
    Result<std::unique_ptr<ShardWriter>> w = factory->Open(ctx);
    if (!w.ok()) {
      return Status(
          ErrorCode::kShardWrite,
          "Shard open failed for db_id=" + std::to_string(db_id) + ": " + w.status().message(),
          w.status().retryable());
    }
    s.writer = std::move(w).value();
    return Status::OK();
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
    background->Stop();  // no job may touch a shard writer from here on
    for (const std::unique_ptr<ShardState>& s : shards) {
      if (s->writer) s->writer->Abandon();
      s->writer.reset();
      s->batch.Release();
    }
    RemoveLocalStaging();
  }

  void RemoveLocalStaging() {
    std::error_code ec;
    std::filesystem::remove_all(local_run_dir, ec);
    if (ec)
      Log(LogLevel::kWarning,
          "could not remove local staging " + local_run_dir + ": " + ec.message());
  }

  // Seals every shard that holds data, several at once: each worker writes
  // a shard's last batch and seals it (merge, insert, upload). Shards are
  // independent and sealing dominates the tail of a build. After the first
  // failure the remaining shards are abandoned, not sealed.
  // REQUIRES: the background writer has been drained and stopped.
  std::vector<Result<SealResult>> SealAll() {
    std::vector<uint32_t> todo;
    for (uint32_t i = 0; i < shards.size(); ++i) {
      if (shards[i]->writer || !shards[i]->batch.empty()) todo.push_back(i);
    }
    std::vector<Result<SealResult>> results(shards.size(),
                                            Status(ErrorCode::kInternal, "not sealed"));
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    auto work = [&] {
      for (size_t i = next++; i < todo.size(); i = next++) {
        const uint32_t db_id = todo[i];
        ShardState& s = *shards[db_id];
        if (failed.load()) {
          if (s.writer) s.writer->Abandon();
          results[db_id] = Status(ErrorCode::kShardWrite, "abandoned after another shard failed");
        } else {
          if (!s.batch.empty()) TakeTokens(s.batch, /*blocking=*/true);
          Status st = s.batch.empty() ? Status::OK() : WriteShardBatch(&s, db_id, s.batch);
          s.batch.Release();
          results[db_id] = st.ok() ? s.writer->Seal() : Result<SealResult>(st);
          if (!results[db_id].ok()) failed = true;
        }
        s.writer.reset();
      }
    };
    const size_t threads = std::min<size_t>(todo.size(), seal_threads);
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    return results;
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
                                                       std::unique_ptr<ShardRouter> router) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = options;
  impl->router = std::move(router);

  if (config.s3_prefix.empty())
    return ConfigError("s3_prefix is required (a directory, file:// or s3:// URL)");
  if (config.batch_size == 0) return ConfigError("batch_size must be > 0");
  if (!IsSafePathSegment(config.shard_prefix)) {
    return ConfigError("shard_prefix \"" + config.shard_prefix +
                       "\" must be one path segment of [A-Za-z0-9._-]");
  }
  Result<DbPathTemplate> tmpl = DbPathTemplate::Compile(config.db_path_template);
  if (!tmpl.ok()) return tmpl.status();
  impl->db_path = std::move(tmpl).value();
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
  const uint32_t initial = impl->router->initial_num_dbs();
  if (initial > 0) impl->EnsureShard(initial - 1);
  // Everything is validated: from here on the build writes.
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
  Result<uint32_t> routed = w.router->Route(key, columns);
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

void WriteEngine::Abort() {
  if (impl_->done) return;
  impl_->done = true;
  impl_->AbandonAll();
  Status aborted(ErrorCode::kInvalidArgument, "the build was aborted");
  impl_->FinishRunRecord(impl_->failure.ok() ? aborted : impl_->failure);
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
uint32_t ShardedWriter::num_dbs() const { return engine_->num_dbs(); }
uint64_t ShardedWriter::records_added() const { return engine_->records_added(); }

Result<BuildResult> WriteEngine::Impl::Finish() {
  if (!failure.ok()) return failure;
  std::vector<ShardAttemptResult> attempts;
  std::vector<std::string> uploaded;  // attempt prefixes that may hold objects
  auto fail_before_publish = [&](const Status& st) -> Status {
    // Nothing references these attempts; remove them so a failed build
    // leaves no orphans behind.
    CleanupAttempts(*root.store, uploaded);
    return st;
  };
  // The shards' last batches are written by the seal workers, in parallel.
  Status drained = background->Drain();
  background->Stop();
  auto note_uploaded = [&] {
    for (const std::unique_ptr<ShardState>& s : shards) {
      if (!s->db_key.empty()) uploaded.push_back(s->db_key);
    }
  };
  if (!drained.ok()) {
    note_uploaded();
    return fail_before_publish(drained);
  }
  // Known only now in CEL direct mode, where it may also fail (ids that are
  // not dense): checked before anything is sealed.
  std::vector<int64_t> rows;
  for (const std::unique_ptr<ShardState>& s : shards) rows.push_back(s->row_count);
  Result<uint32_t> final_num_dbs = router->FinalNumDbs(rows);
  if (!final_num_dbs.ok()) {
    note_uploaded();
    return fail_before_publish(final_num_dbs.status());
  }
  const uint32_t num_dbs = *final_num_dbs;
  if (num_dbs > 0) EnsureShard(num_dbs - 1);
  std::vector<Result<SealResult>> sealed = SealAll();
  note_uploaded();
  for (uint32_t db_id = 0; db_id < shards.size(); ++db_id) {
    ShardState& s = *shards[db_id];
    if (s.db_key.empty()) continue;
    const Result<SealResult>& r = sealed[db_id];
    if (!r.ok()) {
      return fail_before_publish(Status(
          ErrorCode::kShardWrite,
          "Shard seal failed for db_id=" + std::to_string(db_id) + ": " + r.status().message(),
          r.status().retryable()));
    }
    ShardAttemptResult a;
    a.db_id = db_id;
    a.attempt = 0;
    a.db_key = s.db_key;
    a.db_url = root.store->Url(s.db_key);
    a.row_count = s.row_count;
    a.db_bytes = static_cast<int64_t>(r->db_bytes);
    a.min_key = s.min_key;
    a.max_key = s.max_key;
    a.checkpoint_id = NewUuid4Hex();
    a.writer_info.attempt = 0;
    a.writer_info.duration_ms = MillisSince(s.opened_at);
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
  manifest.meta.sharding = router->sharding();
  manifest.meta.db_path_template = config.db_path_template;
  manifest.meta.shard_prefix = config.shard_prefix;
  manifest.meta.key_encoding = config.key_encoding;
  {
    nlohmann::json custom = *PyJsonLoads(config.custom_manifest_fields_json);  // checked at Open
    router->AddCustomFields(&custom);
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

  CleanupAttempts(*root.store, sel->loser_keys);
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
