// ShardedReader: `_CURRENT` -> manifest -> router + shard readers.
//
// A Snapshot is immutable once built; the reader holds it in a SnapshotSlot
// so Refresh() can swap in a new one while lookups in flight finish on the
// old one (which closes when its last user lets go).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "core/log.h"
#include "core/py_json.h"
#include "core/status_internal.h"
#include "core/time_format.h"
#include "core/xxh3.h"
#include "reader/lookup_pool.h"
#include "reader/snapshot_slot.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"

namespace shardyfusion {
namespace {

// One non-empty shard of a snapshot, opened on first use (or at once with
// ReaderOptions::open_shards_eagerly). A failed open is not kept: the next
// use tries again.
class LazyShard {
 public:
  LazyShard(std::shared_ptr<ShardReaderFactory> factory, ShardReaderContext ctx, int64_t db_id)
      : factory_(std::move(factory)), ctx_(std::move(ctx)), db_id_(db_id) {}

  Result<ShardReader*> Get() {
    if (ShardReader* r = reader_.load(std::memory_order_acquire)) return r;
    std::lock_guard<std::mutex> lock(mu_);
    if (owned_) return owned_.get();
    Result<std::unique_ptr<ShardReader>> opened = factory_->Open(ctx_);
    if (!opened.ok()) {
      return opened.status().annotate("opening shard db_id=" + std::to_string(db_id_));
    }
    owned_ = std::move(opened).value();
    reader_.store(owned_.get(), std::memory_order_release);
    return owned_.get();
  }

 private:
  const std::shared_ptr<ShardReaderFactory> factory_;
  const ShardReaderContext ctx_;
  const int64_t db_id_;
  std::mutex mu_;
  std::unique_ptr<ShardReader> owned_;  // under mu_
  std::atomic<ShardReader*> reader_{nullptr};
};

struct Snapshot {
  Manifest manifest;
  std::string manifest_ref;
  std::string published_at;
  std::string backend;
  // Set when this snapshot is served although `_CURRENT` names another
  // manifest, which is malformed: that manifest's ref.
  std::string instead_of;
  std::shared_ptr<const Router> router;
  std::vector<const ShardMeta*> by_db_id;          // null = empty shard
  std::vector<std::unique_ptr<LazyShard>> shards;  // null = empty shard
};

std::string DefaultReaderRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string((tmp && *tmp) ? tmp : "/tmp") + "/shardyfusion-reader";
}

std::string Hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// The snapshot's router, from its manifest. A routing the manifest describes
// but that cannot route (an expression that does not compile) makes the
// manifest unreadable too.
Result<std::shared_ptr<const Router>> RouterFor(const std::string& ref, const Manifest& m) {
  Result<std::shared_ptr<const Router>> router =
      NewRouter(m.meta.sharding, m.meta.custom_json, static_cast<uint32_t>(m.meta.num_dbs));
  if (!router.ok() && router.status().code() != ErrorCode::kManifestParse) {
    return Status(ErrorCode::kManifestParse,
                  "snapshot " + ref + " cannot be routed: " + router.status().message());
  }
  return router;
}

// The shard backend the manifest records (custom.shard_backend), or nullopt
// when it records none (a manifest written by the reference).
Result<std::optional<std::string>> RecordedBackend(const Manifest& m) {
  Result<nlohmann::json> custom = PyJsonLoads(m.meta.custom_json);
  if (!custom.ok() || !custom->is_object()) return std::optional<std::string>();
  const auto it = custom->find(kShardBackendKey);
  if (it == custom->end()) return std::optional<std::string>();
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Status(ErrorCode::kManifestParse, std::string("manifest validation failed: custom.") +
                                                 kShardBackendKey + " must name a backend (got " +
                                                 PyJsonDumps(*it) + ")");
  }
  return std::optional<std::string>(it->get<std::string>());
}

// The reader factory of a built-in backend, with default options; null for
// any other name.
std::shared_ptr<ShardReaderFactory> NewBuiltinReaderFactory(std::string_view name) {
  if (name == "sqlite") return NewSqliteReaderFactory();
  if (name == "slatedb") return NewSlateDbReaderFactory();
  return nullptr;
}

std::string ShardDirName(int64_t db_id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "shard=%05lld", static_cast<long long>(db_id));
  return buf;
}

}  // namespace

class ShardedReader::Impl {
 public:
  ReaderOptions options;
  std::shared_ptr<ObjectStore> store;
  std::unique_ptr<ManifestStore> manifests;
  std::string cache_root;  // per-prefix local cache directory
  // The shard reader factories by backend name: the caller's
  // (options.reader_factories), then the built-ins, each made on first use.
  // Kept across refreshes (a SlateDB factory holds the block cache every
  // snapshot shares). Used while building a snapshot: by Open, then under
  // refresh_mu.
  std::map<std::string, std::shared_ptr<ShardReaderFactory>, std::less<>> factories;
  SnapshotSlot<const Snapshot> current;
  std::mutex refresh_mu;  // serialises Refresh
  // A refresh that kept the served snapshot because `_CURRENT` names a
  // malformed manifest: that ref ("" otherwise). Under kept_mu.
  mutable std::mutex kept_mu;
  std::string refresh_kept_from;
  std::unique_ptr<LookupPool> lookups;  // MultiGet's shard reads (options.lookup_threads)

  void Emit(std::string_view event, std::vector<std::pair<std::string_view, double>> numbers) {
    if (!options.metrics) return;
    MetricEvent e;
    e.name = event;
    e.numbers = std::move(numbers);
    options.metrics->Emit(e);
  }

  std::shared_ptr<const Snapshot> snapshot() const { return current.load(); }

  // Loads the manifest `ref`, falling back to older manifests when it is
  // malformed (cold start only).
  Result<std::pair<std::string, Manifest>> LoadWithFallback(const std::string& ref) {
    Result<Manifest> m = manifests->LoadManifest(ref);
    if (m.ok()) return std::make_pair(ref, std::move(m).value());
    if (m.status().code() != ErrorCode::kManifestParse || options.max_fallback_attempts <= 0) {
      return m.status();
    }
    Log(LogLevel::kWarning, "reader_cold_start_fallback: " + m.status().ToString());
    Result<std::vector<ManifestListing>> history =
        manifests->ListManifests(static_cast<size_t>(options.max_fallback_attempts) + 1);
    if (!history.ok()) return history.status();
    // Only manifests published before the broken one: a newer one may be a
    // snapshot that was rolled back from, and must not come back silently.
    std::string broken_ts;
    for (const ManifestListing& l : *history) {
      if (l.ref == ref) broken_ts = l.published_at;
    }
    int tried = 0;
    for (const ManifestListing& l : *history) {
      if (l.ref == ref || (!broken_ts.empty() && l.published_at >= broken_ts)) continue;
      if (tried++ >= options.max_fallback_attempts) break;
      Result<Manifest> older = manifests->LoadManifest(l.ref);
      if (older.ok()) {
        Log(LogLevel::kWarning, "reader_cold_start_fallback: serving " + l.ref);
        return std::make_pair(l.ref, std::move(older).value());
      }
    }
    return Status(ErrorCode::kReaderState,
                  "No valid manifest found after fallback (current: " + m.status().message() + ")");
  }

  std::shared_ptr<ShardReaderFactory> FactoryNamed(const std::string& name) {
    const auto it = factories.find(name);
    if (it != factories.end()) return it->second;
    std::shared_ptr<ShardReaderFactory> f = NewBuiltinReaderFactory(name);
    if (f) factories.emplace(name, f);
    return f;
  }

  // The backend of a snapshot whose manifest records none, from its first
  // non-empty shard's objects: shard.db (SQLite) or manifest/ (SlateDB).
  Result<std::string> ProbeBackend(const Manifest& m) {
    for (const ShardMeta& s : m.shards) {
      if (!s.db_url) continue;
      Result<StoreLocation> loc = ResolveInStore(store, *s.db_url);
      if (!loc.ok()) return loc.status();
      Result<std::optional<ObjectInfo>> head =
          loc->store->Head(loc->key + "/" + kSqliteShardObjectName);
      if (!head.ok()) return head.status();
      if (*head) return std::string("sqlite");
      Result<ListResult> manifests = loc->store->List(loc->key + "/manifest/", "/");
      if (!manifests.ok()) return manifests.status();
      if (!manifests->objects.empty()) return std::string("slatedb");
      return Status(ErrorCode::kDbAdapter, "cannot tell the backend of shard " + *s.db_url +
                                               ": it holds neither " + kSqliteShardObjectName +
                                               " (SQLite) nor manifest/ (SlateDB)");
    }
    return std::string("sqlite");  // no non-empty shard: nothing will be opened
  }

  // The factory that opens the snapshot's shards: the caller's override, else
  // the one named by the backend the manifest records (or its shards show).
  // Decided for every snapshot: a refresh may move from a SQLite build to a
  // SlateDB one.
  Result<std::shared_ptr<ShardReaderFactory>> FactoryFor(const std::string& ref,
                                                         const Manifest& m) {
    if (options.reader_factory) return options.reader_factory;
    SHARDY_ASSIGN_OR_RETURN(std::optional<std::string> backend, RecordedBackend(m));
    if (!backend) {
      SHARDY_ASSIGN_OR_RETURN(backend, ProbeBackend(m));
    }
    if (std::shared_ptr<ShardReaderFactory> f = FactoryNamed(*backend)) return f;
    return Status(ErrorCode::kDbAdapter,
                  "snapshot " + ref + " was written by the shard backend \"" + *backend +
                      "\", which this reader has no factory for: put a ShardReaderFactory for "
                      "it in ReaderOptions::reader_factories[\"" +
                      *backend + "\"] (built in: sqlite, slatedb)");
  }

  Result<std::shared_ptr<const Snapshot>> BuildSnapshot(std::string ref, Manifest m,
                                                        std::string published_at) {
    SHARDY_ASSIGN_OR_RETURN(std::shared_ptr<const Router> router, RouterFor(ref, m));
    SHARDY_ASSIGN_OR_RETURN(std::shared_ptr<ShardReaderFactory> f, FactoryFor(ref, m));
    auto snap = std::make_shared<Snapshot>();
    snap->router = std::move(router);
    snap->manifest = std::move(m);
    snap->manifest_ref = std::move(ref);
    snap->published_at = std::move(published_at);
    snap->backend = f->name();
    const int64_t n = snap->manifest.meta.num_dbs;
    snap->by_db_id.assign(n, nullptr);
    snap->shards.resize(n);
    for (const ShardMeta& s : snap->manifest.shards) {
      snap->by_db_id[s.db_id] = &s;
      if (!s.db_url || s.row_count == 0) continue;
      Result<StoreLocation> loc = ResolveInStore(store, *s.db_url);
      if (!loc.ok()) return loc.status();
      ShardReaderContext ctx;
      ctx.store = loc->store;
      ctx.db_key = loc->key;
      ctx.db_url = *s.db_url;
      ctx.checkpoint_id = s.checkpoint_id.value_or("");
      ctx.db_bytes = static_cast<uint64_t>(s.db_bytes);
      ctx.local_dir = cache_root + "/" + ShardDirName(s.db_id);
      snap->shards[s.db_id] = std::make_unique<LazyShard>(f, std::move(ctx), s.db_id);
    }
    if (options.open_shards_eagerly) {
      for (const std::unique_ptr<LazyShard>& shard : snap->shards) {
        if (shard) SHARDY_RETURN_IF_ERROR(shard->Get().status());
      }
    }
    return std::shared_ptr<const Snapshot>(std::move(snap));
  }

  Result<std::shared_ptr<const Snapshot>> LoadLatest() {
    if (options.pinned_ref) {
      SHARDY_ASSIGN_OR_RETURN(Manifest m, manifests->LoadManifest(*options.pinned_ref));
      return BuildSnapshot(*options.pinned_ref, std::move(m), "");
    }
    SHARDY_ASSIGN_OR_RETURN(std::optional<CurrentPointer> cur, manifests->LoadCurrent());
    if (!cur) {
      return Status(ErrorCode::kReaderState, "CURRENT pointer not found at " +
                                                 store->Url(manifests->current_key()) +
                                                 ": nothing has been published under this prefix");
    }
    SHARDY_ASSIGN_OR_RETURN(auto loaded, LoadWithFallback(cur->manifest_ref));
    const bool fell_back = loaded.first != cur->manifest_ref;
    SHARDY_ASSIGN_OR_RETURN(
        std::shared_ptr<const Snapshot> snap,
        BuildSnapshot(std::move(loaded.first), std::move(loaded.second), cur->updated_at));
    if (fell_back) std::const_pointer_cast<Snapshot>(snap)->instead_of = cur->manifest_ref;
    return snap;
  }

  // The shard of `key`, or a kShardAssignment error when a CEL result names
  // none (a token not in routing_values, a direct id outside [0, num_dbs)).
  static Result<int64_t> RouteOrError(const Snapshot& snap, const Key& key,
                                      const RoutingContext& context) {
    SHARDY_ASSIGN_OR_RETURN(const std::vector<CelValue> columns,
                            snap.router->ColumnValues(context));
    std::string why;
    SHARDY_ASSIGN_OR_RETURN(const std::optional<uint32_t> id,
                            snap.router->Route(key, columns, &why));
    if (!id) return Status(ErrorCode::kShardAssignment, why);
    return static_cast<int64_t>(*id);
  }

  // `columns`: the snapshot router's column values (Router::ColumnValues). A
  // key whose CEL result names no shard is a miss.
  Result<std::optional<std::string>> GetFrom(const Snapshot& snap, const Key& key,
                                             std::span<const CelValue> columns) {
    SHARDY_ASSIGN_OR_RETURN(const std::optional<uint32_t> db_id,
                            snap.router->Route(key, columns, nullptr));
    if (!db_id) return std::optional<std::string>();
    LazyShard* shard = snap.shards[*db_id].get();
    if (shard == nullptr) return std::optional<std::string>();
    SHARDY_ASSIGN_OR_RETURN(ShardReader * r, shard->Get());
    std::string encoded;
    SHARDY_RETURN_IF_ERROR(EncodeLookupKey(snap.manifest.meta.key_encoding, key, &encoded));
    return r->Get(encoded);
  }

  Result<std::optional<std::string>> GetFrom(const Snapshot& snap, const Key& key,
                                             const RoutingContext& context) {
    SHARDY_ASSIGN_OR_RETURN(const std::vector<CelValue> columns,
                            snap.router->ColumnValues(context));
    return GetFrom(snap, key, columns);
  }
};

Result<std::unique_ptr<ShardedReader>> ShardedReader::Open(const std::string& prefix_url,
                                                           const ReaderOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  for (const auto& [name, factory] : options.reader_factories) {
    if (factory == nullptr) {
      return Status(ErrorCode::kInvalidArgument,
                    "ReaderOptions::reader_factories[\"" + name + "\"] is null");
    }
    impl->factories.emplace(name, factory);
  }
  Result<StoreLocation> loc =
      options.store ? ResolveInStore(options.store, prefix_url) : OpenStoreForUrl(prefix_url);
  if (!loc.ok()) return loc.status();
  impl->store = loc->store;
  impl->manifests = std::make_unique<ManifestStore>(loc->store, loc->key, options.current_name);
  const std::string root = options.local_root.empty() ? DefaultReaderRoot() : options.local_root;
  impl->cache_root = root + "/" + Hex16(Xxh3Digest(loc->store->Url(loc->key)));
  int threads = options.lookup_threads;
  if (threads < 0) {
    return Status(ErrorCode::kInvalidArgument,
                  "ReaderOptions::lookup_threads must be >= 0 (0 = the machine's cores), got " +
                      std::to_string(threads));
  }
  if (threads == 0)
    threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  impl->lookups = std::make_unique<LookupPool>(threads);
  SHARDY_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, impl->LoadLatest());
  impl->current.store(std::move(snap));
  impl->Emit(metric_events::kReaderInitialized, {});
  return std::unique_ptr<ShardedReader>(new ShardedReader(std::move(impl)));
}

ShardedReader::ShardedReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ShardedReader::~ShardedReader() { impl_->Emit(metric_events::kReaderClosed, {{"num_handles", 0}}); }

namespace {
double MillisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

Result<std::optional<std::string>> ShardedReader::Get(const Key& key,
                                                      const RoutingContext& context) {
  std::shared_ptr<const Snapshot> snap = impl_->snapshot();
  if (!impl_->options.metrics) return impl_->GetFrom(*snap, key, context);
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::optional<std::string>> r = impl_->GetFrom(*snap, key, context);
  if (r.ok()) {
    impl_->Emit(metric_events::kReaderGet,
                {{"duration_ms", MillisSince(t0)}, {"found", r->has_value() ? 1.0 : 0.0}});
  }
  return r;
}

Result<std::vector<std::optional<std::string>>> ShardedReader::MultiGet(
    const std::vector<Key>& keys, const RoutingContext& context) {
  std::shared_ptr<const Snapshot> snap = impl_->snapshot();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::optional<std::string>> out;
  // Every key routes with the same context: converted once.
  std::vector<CelValue> columns;
  if (!keys.empty()) {
    SHARDY_ASSIGN_OR_RETURN(columns, snap->router->ColumnValues(context));
  }
  // Route and encode every key, then group the keys by shard (a counting
  // sort of their indices), so each shard is read by one task.
  const size_t n = keys.size();
  const size_t num_shards = snap->shards.size();
  out.resize(n);
  std::vector<std::string> encoded(n);
  std::vector<uint32_t> shard_of(n, UINT32_MAX);  // UINT32_MAX: a miss without a read
  std::vector<size_t> per_shard(num_shards + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    SHARDY_ASSIGN_OR_RETURN(const std::optional<uint32_t> db_id,
                            snap->router->Route(keys[i], columns, nullptr));
    if (!db_id || snap->shards[*db_id] == nullptr) continue;
    SHARDY_RETURN_IF_ERROR(EncodeLookupKey(snap->manifest.meta.key_encoding, keys[i], &encoded[i]));
    shard_of[i] = *db_id;
    ++per_shard[*db_id + 1];
  }
  for (size_t s = 0; s < num_shards; ++s) per_shard[s + 1] += per_shard[s];
  std::vector<size_t> order(per_shard[num_shards]);
  {
    std::vector<size_t> fill(per_shard.begin(), per_shard.end() - 1);
    for (size_t i = 0; i < n; ++i) {
      if (shard_of[i] != UINT32_MAX) order[fill[shard_of[i]]++] = i;
    }
  }
  std::vector<uint32_t> involved;  // the shards with keys, by db_id
  for (uint32_t s = 0; s < num_shards; ++s) {
    if (per_shard[s + 1] > per_shard[s]) involved.push_back(s);
  }
  std::vector<Status> failed(involved.size());
  const std::function<void(size_t)> read_shard = [&](size_t t) {
    const uint32_t db_id = involved[t];
    Result<ShardReader*> opened = snap->shards[db_id]->Get();
    if (!opened.ok()) {
      failed[t] = opened.status();
      return;
    }
    ShardReader& reader = **opened;
    for (size_t j = per_shard[db_id]; j < per_shard[db_id + 1]; ++j) {
      const size_t i = order[j];
      Result<std::optional<std::string>> v = reader.Get(encoded[i]);
      if (!v.ok()) {
        failed[t] = v.status();
        return;
      }
      out[i] = std::move(v).value();
    }
  };
  if (involved.size() > 1 && n >= ReaderOptions::kParallelMultiGetKeys) {
    impl_->lookups->Run(involved.size(), read_shard);
  } else {
    for (size_t t = 0; t < involved.size(); ++t) {
      read_shard(t);
      if (!failed[t].ok()) break;
    }
  }
  for (const Status& st : failed) {
    if (!st.ok()) return st;
  }
  impl_->Emit(metric_events::kReaderMultiGet,
              {{"duration_ms", MillisSince(t0)}, {"num_keys", static_cast<double>(keys.size())}});
  return out;
}

Result<int64_t> ShardedReader::RouteKey(const Key& key, const RoutingContext& context) {
  return Impl::RouteOrError(*impl_->snapshot(), key, context);
}

Result<ShardDetail> ShardedReader::ShardForKey(const Key& key, const RoutingContext& context) {
  std::shared_ptr<const Snapshot> snap = impl_->snapshot();
  SHARDY_ASSIGN_OR_RETURN(const int64_t db_id, Impl::RouteOrError(*snap, key, context));
  ShardDetail d;
  d.db_id = db_id;
  if (const ShardMeta* m = snap->by_db_id[db_id]) {
    d.row_count = m->row_count;
    d.min_key = m->min_key;
    d.max_key = m->max_key;
    d.db_url = m->db_url;
  }
  return d;
}

SnapshotInfo ShardedReader::snapshot_info() const {
  std::shared_ptr<const Snapshot> snap = impl_->snapshot();
  const BuildMeta& meta = snap->manifest.meta;
  SnapshotInfo info;
  info.run_id = meta.run_id;
  info.num_dbs = meta.num_dbs;
  info.sharding = meta.sharding;
  info.created_at = meta.created_at;
  info.manifest_ref = snap->manifest_ref;
  info.published_at = snap->published_at;
  for (const ShardMeta& s : snap->manifest.shards) info.row_count += s.row_count;
  info.key_encoding = meta.key_encoding;
  info.hash_algorithm = meta.sharding.hash_algorithm;
  info.backend = snap->backend;
  if (const std::vector<RoutingToken>* tokens = snap->router->routing_values()) {
    info.routing_values = *tokens;
  }
  return info;
}

std::vector<ShardDetail> ShardedReader::shard_details() const {
  std::shared_ptr<const Snapshot> snap = impl_->snapshot();
  std::vector<ShardDetail> out(snap->by_db_id.size());
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].db_id = static_cast<int64_t>(i);
    if (const ShardMeta* m = snap->by_db_id[i]) {
      out[i].row_count = m->row_count;
      out[i].min_key = m->min_key;
      out[i].max_key = m->max_key;
      out[i].db_url = m->db_url;
    }
  }
  return out;
}

Result<bool> ShardedReader::Refresh() {
  std::lock_guard<std::mutex> lock(impl_->refresh_mu);
  if (impl_->options.pinned_ref) return false;
  SHARDY_ASSIGN_OR_RETURN(std::optional<CurrentPointer> cur, impl_->manifests->LoadCurrent());
  if (!cur) {
    return Status(ErrorCode::kReaderState, "CURRENT pointer disappeared from " +
                                               impl_->store->Url(impl_->manifests->current_key()));
  }
  auto kept_from = [&](std::string ref) {
    std::lock_guard<std::mutex> kept(impl_->kept_mu);
    impl_->refresh_kept_from = std::move(ref);
  };
  if (cur->manifest_ref == impl_->snapshot()->manifest_ref) {
    kept_from("");
    impl_->Emit(metric_events::kReaderRefreshed, {{"changed", 0}});
    return false;
  }
  Result<Manifest> m = impl_->manifests->LoadManifest(cur->manifest_ref);
  if (!m.ok()) {
    if (m.status().code() == ErrorCode::kManifestParse) {
      Log(LogLevel::kWarning, "reader_refresh_malformed_manifest: keeping " +
                                  impl_->snapshot()->manifest_ref + ": " + m.status().ToString());
      kept_from(cur->manifest_ref);
      return false;
    }
    return m.status();
  }
  SHARDY_ASSIGN_OR_RETURN(
      std::shared_ptr<const Snapshot> snap,
      impl_->BuildSnapshot(cur->manifest_ref, std::move(m).value(), cur->updated_at));
  impl_->current.store(std::move(snap));
  kept_from("");
  impl_->Emit(metric_events::kReaderRefreshed, {{"changed", 1}});
  return true;
}

const char* ReaderHealthName(ReaderHealth::State state) {
  switch (state) {
    case ReaderHealth::State::kHealthy:
      return "healthy";
    case ReaderHealth::State::kDegraded:
      return "degraded";
    case ReaderHealth::State::kUnhealthy:
      return "unhealthy";
  }
  return "unknown";
}

ReaderHealth ShardedReader::Health(std::optional<std::chrono::seconds> staleness_threshold) const {
  std::shared_ptr<const Snapshot> snap = impl_->snapshot();
  ReaderHealth h;
  h.manifest_ref = snap->manifest_ref;
  h.num_shards = snap->manifest.meta.num_dbs;
  if (std::optional<SystemTime> created = ParseIsoTimestamp(snap->manifest.meta.created_at)) {
    h.manifest_age_seconds = std::chrono::duration<double>(NowMicros() - *created).count();
  }
  if (staleness_threshold && h.manifest_age_seconds &&
      *h.manifest_age_seconds > static_cast<double>(staleness_threshold->count())) {
    h.reasons.push_back("the snapshot was published " +
                        std::to_string(static_cast<int64_t>(*h.manifest_age_seconds)) +
                        " s ago, more than the staleness threshold of " +
                        std::to_string(staleness_threshold->count()) + " s");
  }
  if (!snap->instead_of.empty()) {
    h.reasons.push_back("serving an older manifest because the one _CURRENT names (" +
                        snap->instead_of + ") is malformed");
  }
  {
    std::lock_guard<std::mutex> lock(impl_->kept_mu);
    if (!impl_->refresh_kept_from.empty()) {
      h.reasons.push_back("a refresh kept this snapshot because the manifest _CURRENT now names (" +
                          impl_->refresh_kept_from + ") is malformed");
    }
  }
  if (!h.reasons.empty()) h.status = ReaderHealth::State::kDegraded;
  return h;
}

}  // namespace shardyfusion
