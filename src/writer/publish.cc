// Publish, the third phase of a build (publish.h).
#include "writer/publish.h"

#include <chrono>

#include "core/py_json.h"
#include "shardyfusion/metrics.h"
#include "storage/created_objects.h"

namespace shardyfusion {
namespace {

// Every object the request's attempts created: before the manifest is
// written nothing references any of them.
std::vector<std::string> AllCreated(const PublishRequest& request) {
  std::vector<std::string> keys = request.superseded_objects;
  for (const ShardAttemptResult& a : request.attempts) {
    keys.insert(keys.end(), a.created_objects.begin(), a.created_objects.end());
  }
  return keys;
}

void Emit(const PublishRequest& request, std::string_view event) {
  if (request.emit) request.emit(event, {});
}

}  // namespace

Manifest AssembleManifest(const PublishRequest& request, std::vector<ShardMeta> winners) {
  Manifest manifest;
  BuildMeta& meta = manifest.meta;
  meta.run_id = request.run_id;
  meta.num_dbs = request.num_dbs;
  meta.s3_prefix = request.root.store->Url(request.root.key);  // canonical URL, not a bare path
  meta.key_col = "_key";
  meta.sharding = request.sharding;
  meta.db_path_template = request.db_path_template;
  meta.shard_prefix = request.shard_prefix;
  meta.key_encoding = request.key_encoding;
  nlohmann::json custom = request.user_custom;
  for (const auto& [key, value] : request.library_custom.items()) custom[key] = value;
  meta.custom_json = PyJsonDumps(custom);
  manifest.shards = std::move(winners);
  return manifest;
}

Result<PublishedSnapshot> PublishSnapshot(PublishRequest request) {
  ObjectStore& store = *request.root.store;
  Result<WinnerSelection> sel = SelectWinners(request.attempts, request.num_dbs);
  if (!sel.ok()) {
    if (request.keep_attempts_on_failure) return sel.status();
    DeleteBestEffort(store, AllCreated(request), "failed_build_cleanup");
    return sel.status();
  }
  const auto start = std::chrono::steady_clock::now();
  ManifestStore manifests(request.root.store, request.root.key);
  Result<std::string> ref =
      manifests.Publish(AssembleManifest(request, sel->winners), request.options);
  if (!ref.ok()) {
    // A manifest that was written but not made current still references the
    // shards: keep them so the pointer switch can be finished.
    if (ref.status().code() != ErrorCode::kPublishCurrent && !request.keep_attempts_on_failure) {
      DeleteBestEffort(store, AllCreated(request), "failed_build_cleanup");
    }
    return ref.status();
  }
  PublishedSnapshot published;
  published.manifest_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
  // Publish writes the manifest, then switches _CURRENT: both happened.
  Emit(request, metric_events::kWriteManifestPublished);
  Emit(request, metric_events::kWriteCurrentPublished);

  std::vector<std::string> losers = std::move(request.superseded_objects);
  losers.insert(losers.end(), sel->loser_objects.begin(), sel->loser_objects.end());
  DeleteBestEffort(store, losers, "loser_cleanup");

  published.manifest_ref = std::move(ref).value();
  published.winners = std::move(sel->winners);
  published.num_attempt_results = sel->num_attempt_results;
  return published;
}

}  // namespace shardyfusion
