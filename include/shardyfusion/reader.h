// The sharded reader: point lookups against a published snapshot.
//
// Open() follows `_CURRENT` to a manifest, validates it, builds the router
// (NewRouter in routing.h: hash, or CEL with the expression compiled over the
// manifest's columns); each non-empty shard's ShardReader is opened on its
// first lookup (empty shards answer "not found" without I/O) with the factory
// of the snapshot's shard backend (ReaderOptions::reader_factories). If the current manifest is
// malformed, Open() falls back to up to `max_fallback_attempts` older
// manifests, newest first.
//
// A reader serves one snapshot until Refresh() is called; Refresh() loads the
// new snapshot and swaps it in atomically. A malformed new manifest keeps the
// old snapshot (Refresh returns false).
//
// CEL snapshots: a key-only expression (cel_columns exactly {"key": T})
// routes from the key alone. Any other expression needs every column's value
// in a RoutingContext; without it a lookup is a kInvalidArgument error naming
// the columns. A result that names no shard (a token not in routing_values,
// or a direct-mode id outside [0, num_dbs), which the reference does not
// check) is a miss for Get/MultiGet and a kShardAssignment error for
// RouteKey/ShardForKey.
//
// Thread-safety: a ShardedReader may be shared by threads. Get/MultiGet may
// run concurrently with each other and with Refresh(); a lookup in flight
// finishes on the snapshot it started with. The shard reader factories are
// called from all of them (they are thread-safe, shard_backend.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shardyfusion/key.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/metrics.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/shard_backend.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

struct ReaderOptions {
  // Where shard files may be cached; default $TMPDIR/shardyfusion-reader.
  std::string local_root;
  std::string current_name = "_CURRENT";
  int max_fallback_attempts = 3;
  // Shard reader factories by backend name. Each snapshot's shards are
  // opened by the factory of its backend: the name the manifest records
  // (custom.shard_backend, manifest.h: our writer's factory name()) or, for a
  // manifest that records none (the reference's), the backend its first
  // non-empty shard's objects show (SQLite's shard.db or SlateDB's
  // manifest/). A name missing here is served by the built-in factory of that
  // name, "sqlite" or "slatedb", with default options, made on first use; any
  // other is a kDbAdapter error naming the backend.
  //
  // The reader keeps its factories, built-ins included, for its lifetime:
  // every snapshot, across refreshes, shares them (a SlateDB factory's block
  // cache with them). Register your own to change a built-in's options, e.g.
  //   options.reader_factories["slatedb"] =
  //       NewSlateDbReaderFactory({.block_cache_bytes = 1ull << 30});
  // or to read a backend of your own. A null factory is a kInvalidArgument
  // error at Open.
  std::map<std::string, std::shared_ptr<ShardReaderFactory>, std::less<>> reader_factories;
  // Set, it opens every snapshot's shards, whatever their backend; the
  // manifest and the shards are not consulted.
  std::shared_ptr<ShardReaderFactory> reader_factory;
  // Optional: the store to use instead of resolving the prefix URL.
  std::shared_ptr<ObjectStore> store;
  // Optional: load this manifest instead of the one `_CURRENT` names.
  std::optional<std::string> pinned_ref;
  // Opening a snapshot (Open, Refresh) reads `_CURRENT` and the manifest and
  // nothing per shard: each shard is opened on its first lookup, so opening
  // costs the same for 8 shards or 1,000, and a shard that cannot be opened
  // fails the lookups that need it (retried on the next). True opens every
  // shard before Open or Refresh returns, which then fail if one cannot be.
  bool open_shards_eagerly = false;
  // How many threads read one MultiGet's shards at once, the caller's
  // included: 0 = the machine's cores (at most 8), 1 = every shard on the
  // caller, in turn. A batch of at least kParallelMultiGetKeys keys that
  // routes to more than one shard is split by shard across these threads
  // (started on the first such batch); smaller ones run on the caller.
  int lookup_threads = 0;
  static constexpr size_t kParallelMultiGetKeys = 128;
  // Receives reader.initialized, reader.get{duration_ms, found},
  // reader.multi_get{duration_ms, num_keys}, reader.refreshed{changed} and
  // reader.closed{num_handles} (metrics.h). Null = none.
  std::shared_ptr<MetricsCollector> metrics;
};

struct SnapshotInfo {
  std::string run_id;
  int64_t num_dbs = 0;
  ShardingSpec sharding;
  std::string created_at;
  std::string manifest_ref;
  std::string published_at;  // `_CURRENT.updated_at` (empty when pinned)
  int64_t row_count = 0;
  KeyEncoding key_encoding = KeyEncoding::kU64BE;
  std::string hash_algorithm;
  std::string backend;  // name() of the shard reader factory in use
  // CEL categorical snapshots: the typed tokens (bytes when the manifest
  // records them as bytes, manifest.md); nullopt otherwise.
  std::optional<std::vector<RoutingToken>> routing_values;
};

// One entry per shard id in [0, num_dbs), empty shards included.
struct ShardDetail {
  int64_t db_id = 0;
  int64_t row_count = 0;
  std::optional<Key> min_key;
  std::optional<Key> max_key;
  std::optional<std::string> db_url;
};

// What ShardedReader::Health reports.
struct ReaderHealth {
  enum class State { kHealthy, kDegraded, kUnhealthy };
  State status = State::kHealthy;
  std::string manifest_ref;  // the snapshot served
  // Seconds since the served manifest was published (its created_at; the
  // reference reports the time since the reader opened instead); nullopt
  // when created_at cannot be read.
  std::optional<double> manifest_age_seconds;
  int64_t num_shards = 0;
  bool is_closed = false;
  // Why it is not healthy: the snapshot is older than the threshold, or an
  // older manifest is served because the one `_CURRENT` names is malformed
  // (a fallback at open, or a refresh that kept the old snapshot).
  std::vector<std::string> reasons;
};

// "healthy", "degraded", "unhealthy".
const char* ReaderHealthName(ReaderHealth::State state);

class ShardedReader {
 public:
  // `prefix_url`: the snapshot root (the writer's s3_prefix).
  static Result<std::unique_ptr<ShardedReader>> Open(const std::string& prefix_url,
                                                     const ReaderOptions& options = {});
  ~ShardedReader();

  // `context`: the column values of a multi-column CEL snapshot (see
  // above); ignored by hash and key-only CEL snapshots.
  Result<std::optional<std::string>> Get(const Key& key, const RoutingContext& context = {});
  // Results in input order; every key is routed with the same `context`.
  // The keys are grouped by shard and the shards read in parallel
  // (ReaderOptions::lookup_threads). A shard read that fails fails the call
  // with its error (the lowest db_id's when several fail).
  Result<std::vector<std::optional<std::string>>> MultiGet(const std::vector<Key>& keys,
                                                           const RoutingContext& context = {});

  // The shard id that `key` routes to.
  Result<int64_t> RouteKey(const Key& key, const RoutingContext& context = {});
  // The shard's details (db_url null for an empty shard).
  Result<ShardDetail> ShardForKey(const Key& key, const RoutingContext& context = {});

  SnapshotInfo snapshot_info() const;
  std::vector<ShardDetail> shard_details() const;

  // Reloads `_CURRENT`; returns true if the snapshot changed. A malformed new
  // manifest keeps the current snapshot and returns false.
  Result<bool> Refresh();

  // Degraded when the served manifest was published longer ago than
  // `staleness_threshold` or is not the one `_CURRENT` names (see
  // ReaderHealth); does no I/O.
  ReaderHealth Health(std::optional<std::chrono::seconds> staleness_threshold = {}) const;

 private:
  class Impl;
  explicit ShardedReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shardyfusion
