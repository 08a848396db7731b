#include "backend/slatedb/db_reader.h"

#include <algorithm>

#include "core/status_internal.h"

namespace shardyfusion::slatedb {

namespace {

// The manifest copies each SST's SsTableInfo. A damaged manifest whose
// FlatBuffer still verifies can misstate an SST's first key, which hides
// keys from lookups; so the copy must agree with the SST's own info and
// index when the SST is opened.
Status CheckAgainstSst(const SstHandle& handle, const SstReader& sst, const std::string& url) {
  const SstInfo& listed = handle.info;
  const SstInfo& own = sst.info();
  std::string what;
  if (listed.first_entry != own.first_entry) {
    what = "its first key";
  } else if (sst.num_blocks() > 0 && sst.first_block_key() > own.first_entry) {
    // The index keeps a separator at or below each block's first key.
    what = "its index's first key";
  } else if (listed.last_entry && own.last_entry && *listed.last_entry != *own.last_entry) {
    what = "its last key";
  } else if (listed.index_offset != own.index_offset || listed.index_len != own.index_len ||
             listed.filter_offset != own.filter_offset || listed.filter_len != own.filter_len) {
    what = "the offsets of its index or filter";
  }
  if (what.empty()) return Status::OK();
  return Status(ErrorCode::kDbAdapter, "corrupt SlateDB manifest of " + url +
                                           ": what it records of SST " + sst.url() + " (" + what +
                                           ") differs from the SST itself");
}

// Within a sorted run the SSTs hold disjoint, ascending key ranges; lookups
// pick an SST by binary search on that order.
Status CheckRunOrder(const SortedRunMeta& run, const std::string& url) {
  for (size_t i = 0; i < run.ssts.size(); ++i) {
    const SstInfo& a = run.ssts[i].info;
    const bool bad_range = a.last_entry && *a.last_entry < a.first_entry;
    const bool bad_order = i + 1 < run.ssts.size() &&
                           (run.ssts[i + 1].info.first_entry <= a.first_entry ||
                            (a.last_entry && run.ssts[i + 1].info.first_entry <= *a.last_entry));
    if (bad_range || bad_order) {
      return Status(ErrorCode::kDbAdapter,
                    "corrupt SlateDB manifest of " + url + ": the SSTs of sorted run " +
                        std::to_string(run.id) + " are not in ascending, disjoint key order (SST " +
                        std::to_string(i) + ")");
    }
  }
  return Status::OK();
}

Status Unsupported(const std::string& url, const std::string& what) {
  return Status(ErrorCode::kDbAdapter, "SlateDB database " + url + " uses " + what +
                                           ", which this reader does not support");
}

// Is `key` inside the bound pair of a visible range?
bool InRange(const KeyRange& r, std::string_view key) {
  switch (r.start.type) {
    case KeyBound::kIncluded:
      if (key < std::string_view(r.start.key)) return false;
      break;
    case KeyBound::kExcluded:
      if (key <= std::string_view(r.start.key)) return false;
      break;
    default:
      break;
  }
  switch (r.end.type) {
    case KeyBound::kIncluded:
      return key <= std::string_view(r.end.key);
    case KeyBound::kExcluded:
      return key < std::string_view(r.end.key);
    default:
      return true;
  }
}

}  // namespace

Result<std::unique_ptr<DbReader>> DbReader::Open(std::shared_ptr<ObjectStore> store,
                                                 std::string root_key,
                                                 std::shared_ptr<BlockCache> cache) {
  std::unique_ptr<DbReader> r(new DbReader());
  r->store_ = std::move(store);
  r->cache_ = std::move(cache);
  r->root_ = std::move(root_key);
  SHARDY_RETURN_IF_ERROR(r->LoadLatestManifest());
  const DbManifest& m = r->manifest_;
  const std::string url = r->store_->Url(r->root_);
  if (m.has_segments) return Unsupported(url, "prefix-extractor segments (a V2 manifest)");
  if (!m.wal_object_store_uri.empty()) return Unsupported(url, "a separate WAL object store");
  r->visible_seq_ = m.last_l0_seq;
  SHARDY_RETURN_IF_ERROR(r->ReplayWal());
  for (const SstHandle& h : m.l0) {
    SHARDY_ASSIGN_OR_RETURN(
        std::unique_ptr<SstReader> sst,
        SstReader::Open(r->store_, r->SstKey(h.id), h.format_version, r->cache_));
    SHARDY_RETURN_IF_ERROR(CheckAgainstSst(h, *sst, url));
    r->l0_.push_back(std::move(sst));
  }
  r->runs_.reserve(m.compacted.size());
  for (const SortedRunMeta& run : m.compacted) {
    // Sized up front: a RunSst (its atomic) cannot be moved.
    std::vector<RunSst> ssts(run.ssts.size());
    for (size_t i = 0; i < run.ssts.size(); ++i) {
      if (run.ssts[i].info.first_entry.empty()) {
        return Status(ErrorCode::kDbAdapter,
                      "corrupt SlateDB manifest of " + url + ": a sorted-run SST has no first key");
      }
      ssts[i].handle = run.ssts[i];
    }
    SHARDY_RETURN_IF_ERROR(CheckRunOrder(run, url));
    r->runs_.push_back(std::move(ssts));
  }
  return r;
}

Status DbReader::LoadLatestManifest() {
  const std::string dir = root_ + "/manifest/";
  // A manifest can be garbage-collected between LIST and GET: list again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    SHARDY_ASSIGN_OR_RETURN(ListResult list, store_->List(dir, "/"));
    uint64_t best = 0;
    for (const ObjectInfo& o : list.objects) {
      best = std::max(
          best,
          ParseSequencedName(std::string_view(o.key).substr(dir.size()), ".manifest").value_or(0));
    }
    if (best == 0) {
      return Status(ErrorCode::kDbAdapter,
                    "no SlateDB database at " + store_->Url(root_) + " (no manifest/ objects)");
    }
    const std::string key = root_ + "/" + ManifestName(best);
    SHARDY_ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->Get(key));
    if (!bytes) continue;
    SHARDY_ASSIGN_OR_RETURN(manifest_, DecodeManifest(*bytes, "manifest " + store_->Url(key)));
    manifest_id_ = best;
    return Status::OK();
  }
  return Status(ErrorCode::kDbAdapter,
                "the latest manifest of " + store_->Url(root_) + " kept vanishing while read",
                true);
}

Status DbReader::ReplayWal() {
  const std::string dir = root_ + "/wal/";
  SHARDY_ASSIGN_OR_RETURN(ListResult list, store_->List(dir, "/"));
  std::vector<uint64_t> ids;
  for (const ObjectInfo& o : list.objects) {
    std::optional<uint64_t> id =
        ParseSequencedName(std::string_view(o.key).substr(dir.size()), ".sst");
    if (id && *id > manifest_.replay_after_wal_id) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  for (uint64_t id : ids) {
    // Read once, here: its blocks would only crowd the cache.
    SHARDY_ASSIGN_OR_RETURN(std::unique_ptr<SstReader> sst,
                            SstReader::Open(store_, root_ + "/" + WalName(id)));
    SHARDY_RETURN_IF_ERROR(sst->ForEachRow([&](const Row& row) {
      // Rows already flushed to L0 are found there.
      if (row.seq <= manifest_.last_l0_seq) return Status::OK();
      auto it = wal_.find(row.key);
      if (it == wal_.end()) {
        wal_.emplace(row.key, row);
      } else if (row.seq >= it->second.seq) {
        it->second = row;
      }
      visible_seq_ = std::max(visible_seq_, row.seq);
      return Status::OK();
    }));
  }
  return Status::OK();
}

std::string DbReader::SstKey(const Ulid& id) const {
  for (const ExternalDbMeta& db : manifest_.external_dbs) {
    if (std::find(db.sst_ids.begin(), db.sst_ids.end(), id) != db.sst_ids.end()) {
      std::string path = db.path;
      while (!path.empty() && path.back() == '/') path.pop_back();
      while (!path.empty() && path.front() == '/') path.erase(0, 1);
      return path + "/" + CompactedName(id);
    }
  }
  return root_ + "/" + CompactedName(id);
}

Result<SstReader*> DbReader::RunReader(RunSst& s) {
  if (SstReader* reader = s.reader.load(std::memory_order_acquire)) return reader;
  std::lock_guard<std::mutex> lock(mu_);
  if (s.owned == nullptr) {
    SHARDY_ASSIGN_OR_RETURN(
        std::unique_ptr<SstReader> sst,
        SstReader::Open(store_, SstKey(s.handle.id), s.handle.format_version, cache_));
    SHARDY_RETURN_IF_ERROR(CheckAgainstSst(s.handle, *sst, store_->Url(root_)));
    s.owned = std::move(sst);
    s.reader.store(s.owned.get(), std::memory_order_release);
  }
  return s.owned.get();
}

Result<std::optional<SstRowRef>> DbReader::Lookup(SstReader& sst, const SstHandle& handle,
                                                  std::string_view key) {
  if (handle.visible_range && !InRange(*handle.visible_range, key)) {
    return std::optional<SstRowRef>();
  }
  return sst.Find(key, visible_seq_);
}

Result<std::optional<std::string>> DbReader::Decide(uint8_t flags, std::string_view value) const {
  if (flags & kRowTombstone) return std::optional<std::string>();
  if (flags & kRowMergeOperand) {
    return Status(ErrorCode::kDbAdapter, "SlateDB database " + store_->Url(root_) +
                                             " holds merge operands, which need a merge operator");
  }
  return std::optional<std::string>(value);
}

Result<std::optional<std::string>> DbReader::Get(std::string_view key) {
  if (auto it = wal_.find(key); it != wal_.end()) return Decide(it->second.flags, it->second.value);
  for (size_t i = 0; i < l0_.size(); ++i) {
    SHARDY_ASSIGN_OR_RETURN(std::optional<SstRowRef> row, Lookup(*l0_[i], manifest_.l0[i], key));
    if (row) return Decide(row->flags, row->value);
  }
  for (std::vector<RunSst>& run : runs_) {
    // The SST covering the key: the last one whose first key is <= key.
    auto after =
        std::upper_bound(run.begin(), run.end(), key, [](std::string_view k, const RunSst& s) {
          return k < std::string_view(s.handle.info.first_entry);
        });
    if (after != run.begin()) {
      RunSst& s = *(after - 1);
      if (!s.handle.info.last_entry || key <= std::string_view(*s.handle.info.last_entry)) {
        SHARDY_ASSIGN_OR_RETURN(SstReader * reader, RunReader(s));
        SHARDY_ASSIGN_OR_RETURN(std::optional<SstRowRef> row, Lookup(*reader, s.handle, key));
        if (row) return Decide(row->flags, row->value);
      }
    }
    // Not in this run, if the next SST really starts after the key: its
    // first key is the manifest's word until the SST is opened and checked
    // (once; a manifest that moved it up would otherwise hide keys).
    if (after != run.end()) SHARDY_RETURN_IF_ERROR(RunReader(*after).status());
  }
  return std::optional<std::string>();
}

}  // namespace shardyfusion::slatedb
