// CleanupSnapshot (shardyfusion/maintenance.h): survey the root (manifests,
// shard directories, run records), decide per run, check every key against
// what kept manifests protect, then delete manifests, shard data and run
// records in that order.
#include <algorithm>
#include <map>
#include <set>

#include "core/status_internal.h"
#include "core/time_format.h"
#include "manifest/manifest_names.h"
#include "shardyfusion/maintenance.h"
#include "shardyfusion/manifest.h"
#include "writer/run_record.h"

namespace shardyfusion {
namespace {

constexpr size_t kDeleteBatch = 1000;

struct RecordInfo {
  std::string key;                  // its run.yaml
  std::vector<std::string> keys;    // every object of its directory
  std::optional<RunRecord> record;  // nullopt: unreadable
};

struct RunInfo {
  std::vector<ManifestListing> manifests;  // newest first
  std::vector<RecordInfo> records;
  bool has_shards = false;
};

Result<std::vector<std::string>> ListKeys(ObjectStore& store, const std::string& prefix) {
  Result<ListResult> listed = store.List(prefix, "");
  if (!listed.ok()) return listed.status().annotate("listing " + store.Url(prefix));
  std::vector<std::string> keys;
  for (const ObjectInfo& o : listed->objects) keys.push_back(o.key);
  return keys;
}

// The run id of a run-record directory "<ts>_run_id=<id>_<uuid32>".
std::optional<std::string> RecordDirRunId(std::string_view dir) {
  const size_t at = dir.find("_run_id=");
  if (at == std::string_view::npos || dir.size() < at + 8 + 33) return std::nullopt;
  std::string_view rest = dir.substr(at + 8);
  if (rest[rest.size() - 33] != '_') return std::nullopt;
  return std::string(rest.substr(0, rest.size() - 33));
}

// Why a run must not be touched now, or nullopt: a record whose lease is
// live, or one that cannot be read (nothing shows its build ended).
std::optional<std::string> LiveReason(const RunInfo& run, SystemTime now) {
  for (const RecordInfo& r : run.records) {
    if (!r.record) return "its run record " + r.key + " cannot be read";
    if (r.record->status == RunRecord::State::kRunning && r.record->lease_expires_at > now) {
      return "a build of it is running (run record lease until " +
             FormatIsoTimestamp(r.record->lease_expires_at) + ")";
    }
  }
  return std::nullopt;
}

Status ReadRecord(ObjectStore& store, RecordInfo* info) {
  Result<std::optional<std::string>> got = store.Get(info->key);
  if (!got.ok()) return got.status().annotate("reading run record " + store.Url(info->key));
  info->record.reset();
  if (got->has_value()) {
    Result<RunRecord> parsed = ParseRunRecordYaml(**got, store.Url(info->key));
    if (parsed.ok()) info->record = std::move(parsed).value();
  }
  return Status::OK();
}

std::string Seconds(std::chrono::seconds s) { return std::to_string(s.count()) + " s"; }

}  // namespace

const char* CleanupActionKindName(CleanupAction::Kind kind) {
  switch (kind) {
    case CleanupAction::Kind::kStaleObjects:
      return "stale_objects";
    case CleanupAction::Kind::kUnpublishedRun:
      return "unpublished_run";
    case CleanupAction::Kind::kOldRun:
      return "old_run";
  }
  return "unknown";
}

Result<CleanupReport> CleanupSnapshot(const CleanupOptions& o) {
  if (o.s3_prefix.empty()) return ConfigError("cleanup needs the snapshot root (s3_prefix)");
  if (o.keep_last && *o.keep_last == 0) return ConfigError("keep_last must be at least 1");
  if (o.older_than && o.older_than->count() < 0) return ConfigError("older_than must be >= 0");
  SHARDY_ASSIGN_OR_RETURN(StoreLocation root, o.store ? ResolveInStore(o.store, o.s3_prefix)
                                                      : OpenStoreForUrl(o.s3_prefix));
  ObjectStore& store = *root.store;
  const SystemTime now = std::chrono::time_point_cast<std::chrono::microseconds>(
      o.now ? o.now() : std::chrono::system_clock::now());

  // The survey.
  ManifestStore manifests(root.store, root.key, o.current_name);
  SHARDY_ASSIGN_OR_RETURN(std::optional<CurrentPointer> current, manifests.LoadCurrent());
  SHARDY_ASSIGN_OR_RETURN(std::vector<ManifestListing> history, manifests.ListManifests(SIZE_MAX));
  std::map<std::string, RunInfo> runs;
  for (const ManifestListing& m : history) runs[m.run_id].manifests.push_back(m);
  const std::string shards_prefix = JoinPath(root.key, {o.shard_prefix}) + "/";
  {
    Result<ListResult> listed = store.List(shards_prefix, "/");
    if (!listed.ok()) return listed.status().annotate("listing " + store.Url(shards_prefix));
    for (const std::string& p : listed->common_prefixes) {
      std::string_view dir = std::string_view(p).substr(shards_prefix.size());
      if (dir.ends_with('/')) dir.remove_suffix(1);
      if (dir.starts_with("run_id=")) runs[std::string(dir.substr(7))].has_shards = true;
    }
  }
  const std::string records_prefix = JoinPath(root.key, {o.run_registry_prefix}) + "/";
  {
    Result<ListResult> listed = store.List(records_prefix, "/");
    if (!listed.ok()) return listed.status().annotate("listing " + store.Url(records_prefix));
    for (const std::string& p : listed->common_prefixes) {
      std::string_view dir = std::string_view(p).substr(records_prefix.size());
      if (dir.ends_with('/')) dir.remove_suffix(1);
      std::optional<std::string> run_id = RecordDirRunId(dir);
      if (!run_id) continue;
      RecordInfo info;
      info.key = p + "run.yaml";
      SHARDY_ASSIGN_OR_RETURN(info.keys, ListKeys(store, p));
      SHARDY_RETURN_IF_ERROR(ReadRecord(store, &info));
      runs[*run_id].records.push_back(std::move(info));
    }
  }

  // Which published runs are kept.
  const bool old_mode = o.include_old_runs || o.older_than || o.keep_last;
  std::set<std::string> kept_runs;
  for (const auto& [id, run] : runs) {
    if (run.manifests.empty()) continue;
    bool keep = true;
    if (o.older_than) {
      const std::string cutoff = FormatDirTimestamp(now - *o.older_than);
      keep = std::any_of(run.manifests.begin(), run.manifests.end(),
                         [&](const ManifestListing& m) { return m.published_at >= cutoff; });
    }
    if (o.keep_last) {
      const size_t n = std::min<size_t>(*o.keep_last, history.size());
      keep = keep && std::any_of(history.begin(), history.begin() + n,
                                 [&](const ManifestListing& m) { return m.run_id == id; });
    }
    if (keep || !old_mode) kept_runs.insert(id);
  }
  if (current) kept_runs.insert(current->run_id);

  // What kept manifests protect: every shard's prefix, and `_CURRENT`.
  // Sorted: a key is under a prefix only if the greatest prefix not above it
  // is one of its prefixes (shard prefixes end in '/' and do not nest).
  std::set<std::string> protected_prefixes;
  std::vector<std::string> kept_refs;
  for (const std::string& id : kept_runs) {
    for (const ManifestListing& m : runs[id].manifests) kept_refs.push_back(m.ref);
  }
  if (current) kept_refs.push_back(current->manifest_ref);
  for (const std::string& ref : kept_refs) {
    Result<Manifest> m = manifests.LoadManifest(ref);
    if (!m.ok()) {
      return m.status().annotate("cleanup reads every kept manifest first, and " + ref +
                                 " cannot be read; nothing was deleted");
    }
    for (const ShardMeta& shard : m->shards) {
      if (!shard.db_url) continue;
      Result<StoreLocation> at = ResolveInStore(root.store, *shard.db_url);
      if (at.ok()) protected_prefixes.insert(at->key + "/");
    }
  }
  const std::string current_key = manifests.current_key();
  auto is_protected = [&](const std::string& key) {
    if (key == current_key) return true;
    auto it = protected_prefixes.upper_bound(key);
    return it != protected_prefixes.begin() && key.starts_with(*--it);
  };

  CleanupReport report;
  report.dry_run = o.dry_run;
  if (current) report.current_run_id = current->run_id;
  const std::chrono::seconds grace = o.older_than.value_or(o.unpublished_grace);
  for (auto& [id, run] : runs) {
    const bool published = !run.manifests.empty();
    const bool kept = kept_runs.contains(id);
    if (std::optional<std::string> live = LiveReason(run, now)) {
      if (!kept || run.has_shards) report.kept.emplace_back(id, *live);
      continue;
    }
    CleanupAction action;
    action.run_id = id;
    const std::string run_shards = shards_prefix + "run_id=" + id + "/";
    std::vector<std::string> shard_keys;
    if (run.has_shards) {
      SHARDY_ASSIGN_OR_RETURN(shard_keys, ListKeys(store, run_shards));
    }
    if (published && kept) {
      action.kind = CleanupAction::Kind::kStaleObjects;
      action.why =
          "objects under the run that no manifest of it names (losing attempts, "
          "attempts of builds that died, leftover staging records)";
      for (const std::string& k : shard_keys) {
        if (!is_protected(k)) action.keys.push_back(k);
      }
    } else {
      if (!published) {
        if (run.records.empty()) {
          if (run.has_shards) report.kept.emplace_back(id, "no run record shows its build ended");
          continue;
        }
        SystemTime newest{};
        for (const RecordInfo& r : run.records) newest = std::max(newest, r.record->updated_at);
        if (newest > now - grace) {
          report.kept.emplace_back(id, "unpublished, its build ended at " +
                                           FormatIsoTimestamp(newest) + ", within the " +
                                           Seconds(grace) + " grace (a killed build may resume)");
          continue;
        }
        action.kind = CleanupAction::Kind::kUnpublishedRun;
        action.why = "never published; its last build ended at " + FormatIsoTimestamp(newest);
      } else {
        action.kind = CleanupAction::Kind::kOldRun;
        action.why = "published, and not kept by the old-runs rules";
        for (const ManifestListing& m : run.manifests) {
          SHARDY_ASSIGN_OR_RETURN(StoreLocation at, ResolveInStore(root.store, m.ref));
          const std::string dir = at.key.substr(0, at.key.rfind('/') + 1);
          SHARDY_ASSIGN_OR_RETURN(std::vector<std::string> keys, ListKeys(store, dir));
          action.manifests += static_cast<int64_t>(keys.size());
          action.keys.insert(action.keys.end(), keys.begin(), keys.end());
        }
      }
      action.keys.insert(action.keys.end(), shard_keys.begin(), shard_keys.end());
      for (const RecordInfo& r : run.records) {
        action.run_records += static_cast<int64_t>(r.keys.size());
        action.keys.insert(action.keys.end(), r.keys.begin(), r.keys.end());
      }
    }
    for (const std::string& k : action.keys) {
      if (is_protected(k)) {
        return Status(ErrorCode::kInternal, "cleanup chose " + store.Url(k) +
                                                ", which a kept manifest references; nothing "
                                                "was deleted");
      }
    }
    std::sort(action.keys.begin(), action.keys.end());
    if (!action.keys.empty()) report.actions.push_back(std::move(action));
  }
  if (o.dry_run) return report;

  // A build may have started (a resume) since the survey: the runs about to
  // go are checked again.
  std::vector<CleanupAction> still;
  for (CleanupAction& a : report.actions) {
    if (a.kind != CleanupAction::Kind::kStaleObjects) {
      RunInfo& run = runs[a.run_id];
      for (RecordInfo& r : run.records) SHARDY_RETURN_IF_ERROR(ReadRecord(store, &r));
      if (std::optional<std::string> live = LiveReason(run, now)) {
        report.kept.emplace_back(a.run_id, *live + " (it started during the cleanup)");
        continue;
      }
    }
    still.push_back(std::move(a));
  }
  report.actions = std::move(still);
  // Manifests first (history never lists a manifest whose shards are gone),
  // then shard data, then run records.
  auto phase = [&](const std::function<bool(const CleanupAction&, const std::string&)>& in) {
    std::vector<std::string> keys;
    for (const CleanupAction& a : report.actions) {
      for (const std::string& k : a.keys) {
        if (in(a, k)) keys.push_back(k);
      }
    }
    for (size_t i = 0; i < keys.size(); i += kDeleteBatch) {
      std::vector<std::string> batch(keys.begin() + i,
                                     keys.begin() + std::min(keys.size(), i + kDeleteBatch));
      SHARDY_RETURN_IF_ERROR(store.Delete(batch));
      report.objects_deleted += static_cast<int64_t>(batch.size());
    }
    return Status::OK();
  };
  const std::string manifests_prefix = JoinPath(root.key, {kManifestsDir}) + "/";
  SHARDY_RETURN_IF_ERROR(phase(
      [&](const CleanupAction&, const std::string& k) { return k.starts_with(manifests_prefix); }));
  SHARDY_RETURN_IF_ERROR(phase(
      [&](const CleanupAction&, const std::string& k) { return k.starts_with(shards_prefix); }));
  SHARDY_RETURN_IF_ERROR(phase(
      [&](const CleanupAction&, const std::string& k) { return k.starts_with(records_prefix); }));
  return report;
}

}  // namespace shardyfusion
