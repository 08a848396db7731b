// Maintenance of a snapshot root over time: deleting what no kept manifest
// needs (CleanupSnapshot). Rollback is ManifestStore::SetCurrent
// (manifest.h).
//
// What a cleanup deletes, and what it never touches (docs/cleanup.md):
//
//   - Published runs whose manifest is kept: the objects under their shard
//     directory that no manifest of the run names (losing attempts, attempts
//     of builds that died, staging records left by a publisher that died).
//   - Unpublished runs (shard data or run records, no manifest): everything
//     of the run, but only when its run records show every build of it
//     ended (failed, succeeded, or running with an expired lease) longer
//     ago than `unpublished_grace` (or `older_than`, when given). A run with
//     no run record is kept: nothing shows that its build ended.
//   - With include_old_runs, older_than or keep_last (old-runs mode):
//     published runs that are not kept, with their manifests and run
//     records. Kept are the runs with a manifest that satisfy every given
//     flag (older_than: a manifest published within it; keep_last: a run
//     among the N newest manifests), plus the run `_CURRENT` names.
//
// Never deleted: anything under the shard prefix (db_url) of a shard that
// `_CURRENT`'s manifest or any kept manifest lists (checked for every key
// before it goes), `_CURRENT` itself, and anything of a run with a live
// run-record lease (a build in progress), in every mode, also after a
// rollback made an old run current. Deletion order is manifests, then
// shard data, then run records, so history never lists a manifest whose
// shards are gone. A dry run lists the same actions and changes nothing.
//
// Thread-safety: CleanupSnapshot may run beside readers, builds and other
// cleanups on the same root (builds in progress are protected by their
// leases, which are read again just before a run is deleted).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shardyfusion/object_store.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

struct CleanupOptions {
  std::string s3_prefix;               // the snapshot root
  std::shared_ptr<ObjectStore> store;  // optional: s3_prefix is inside it
  std::string current_name = "_CURRENT";
  std::string shard_prefix = "shards";
  std::string run_registry_prefix = "runs";
  bool dry_run = false;
  // Old-runs mode when any of the three is set (see the top of the file).
  bool include_old_runs = false;
  std::optional<std::chrono::seconds> older_than;
  std::optional<uint64_t> keep_last;  // >= 1
  std::chrono::seconds unpublished_grace{std::chrono::hours(24)};
  // The time; tests only. Default: the system clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

struct CleanupAction {
  enum class Kind {
    kStaleObjects,    // a kept run's objects that no manifest of it names
    kUnpublishedRun,  // a dead run that never published
    kOldRun,          // a published run that is not kept (old-runs mode)
  };
  Kind kind = Kind::kStaleObjects;
  std::string run_id;
  std::string why;                // for people
  std::vector<std::string> keys;  // deleted (or, in a dry run, to delete), sorted
  int64_t manifests = 0;          // of those keys: manifest objects
  int64_t run_records = 0;        // of those keys: run record objects
};

struct CleanupReport {
  bool dry_run = false;
  std::string current_run_id;  // "" when nothing is published
  std::vector<CleanupAction> actions;
  // Runs left alone that a cleanup might be expected to take, and why
  // (a live build, no run record, within the grace).
  std::vector<std::pair<std::string, std::string>> kept;
  int64_t objects_deleted = 0;  // 0 in a dry run
};

const char* CleanupActionKindName(CleanupAction::Kind kind);  // "stale_objects", ...

// Errors: the store's (listing, reading, deleting), kManifestParse for a
// manifest or `_CURRENT` that cannot be read (nothing is deleted then),
// kConfigValidation for bad options. A failure part-way leaves what it has
// deleted deleted and everything else in place; rerunning finishes it.
Result<CleanupReport> CleanupSnapshot(const CleanupOptions& options);

}  // namespace shardyfusion
