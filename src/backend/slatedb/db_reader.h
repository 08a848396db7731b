// DbReader: strictly read-only point lookups on a SlateDB database (0.12 or
// 0.13 format) rooted at a key prefix of an ObjectStore.
//
// Open() finds the latest manifest (LIST manifest/, GET the highest id,
// LIST again if it vanished), replays the WAL objects newer than the
// manifest's replay point into memory (shards written by SlateDB 0.12 keep
// all their data there), and opens the L0 SSTs. Sorted-run SSTs open on
// first use. Get() then looks in the replayed WAL, the L0 SSTs newest first,
// then the sorted runs newest first (only the SST whose range covers the
// key); the first row found decides, and a tombstone means "not found".
// Rows with a sequence number above the visible one (max of the replayed
// WAL and the manifest's last_l0_seq) are ignored, as SlateDB does.
//
// A damaged manifest is refused rather than trusted: each sorted run's SSTs
// must be in ascending, disjoint key order (at Open), and what the manifest
// records of an SST (first and last key, index and filter offsets) must
// match the SST's own info and index when the SST is opened. A lookup that
// finds nothing in a sorted run first opens the SST after the key's
// position, so a first key the manifest moved up cannot hide keys.
//
// Unlike SlateDB's own reader it never writes to the database (no
// checkpoint manifests). Unsupported features (prefix-extractor segments, a
// separate WAL store, merge operands) are kDbAdapter errors that say so.
//
// Data blocks of the L0 and sorted-run SSTs are kept in the BlockCache given
// to Open() (typically shared by every shard a reader factory opens); with
// none, every lookup reads its blocks from the store. WAL SSTs are read once,
// during Open(), and bypass the cache. SST metadata (index, bloom filter) is
// held by each open SST outside the cache.
//
// Thread-safety: Get() may be called by many threads at once.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/slatedb/manifest.h"
#include "backend/slatedb/sst_reader.h"
#include "shardyfusion/object_store.h"

namespace shardyfusion::slatedb {

class DbReader {
 public:
  // `root_key` is the database root inside `store` (no trailing '/').
  // `cache` may be null (no block caching).
  static Result<std::unique_ptr<DbReader>> Open(std::shared_ptr<ObjectStore> store,
                                                std::string root_key,
                                                std::shared_ptr<BlockCache> cache = nullptr);

  // The live value of `key`, or nullopt. The value is copied once, from the
  // cached block into the result.
  Result<std::optional<std::string>> Get(std::string_view key);

  const DbManifest& manifest() const { return manifest_; }
  uint64_t manifest_id() const { return manifest_id_; }
  uint64_t visible_seq() const { return visible_seq_; }
  size_t wal_rows_replayed() const { return wal_.size(); }

 private:
  struct RunSst {
    SstHandle handle;
    std::unique_ptr<SstReader> owned;  // opened on first use, under mu_
    // owned.get() once opened: lookups read it without taking mu_.
    std::atomic<SstReader*> reader{nullptr};
  };
  DbReader() = default;
  Status LoadLatestManifest();
  Status ReplayWal();
  std::string SstKey(const Ulid& id) const;
  // The reader of a sorted-run SST, opened on first use.
  Result<SstReader*> RunReader(RunSst& sst);
  // The row `sst` holds for `key`, honouring its visible range.
  Result<std::optional<SstRowRef>> Lookup(SstReader& sst, const SstHandle& handle,
                                          std::string_view key);
  // What a found row means: a value, "not found" (tombstone), or an error.
  Result<std::optional<std::string>> Decide(uint8_t flags, std::string_view value) const;

  std::shared_ptr<ObjectStore> store_;
  std::shared_ptr<BlockCache> cache_;
  std::string root_;
  DbManifest manifest_;
  uint64_t manifest_id_ = 0;
  uint64_t visible_seq_ = 0;
  std::map<std::string, Row, std::less<>> wal_;  // newest replayed row per key
  std::vector<std::unique_ptr<SstReader>> l0_;
  std::vector<std::vector<RunSst>> runs_;
  std::mutex mu_;  // guards opening run SSTs
};

}  // namespace shardyfusion::slatedb
