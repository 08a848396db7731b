// The third phase of a build: Publish. From the results of a run's sealed
// shard attempts, written by this process's engine (write_engine.h) or by
// other processes (a distributed build), it selects each shard's winner
// (winners.h), writes the manifest, switches `_CURRENT` to it (both through
// ManifestStore::Publish), and then deletes what the losing attempts and the
// superseded ones (failed attempts before a retry) created.
//
// Failure, and what stays in the store:
//   - winner selection fails (kShardCoverage) or the manifest object is not
//     written (kPublishManifest): nothing references the attempts' objects,
//     so every created and superseded object is deleted (best effort);
//   - the manifest is written but `_CURRENT` is not switched
//     (kPublishCurrent, the status carries the manifest ref): everything is
//     kept, so the switch can be finished with ManifestStore::SetCurrent.
// Only objects the attempts report as created are ever deleted, never a
// listing of a prefix.
//
// Metric events: write.manifest_published and write.current_published.
//
// Thread-safety: one call at a time per request; distinct requests are
// independent (publishes to one prefix race through `_CURRENT`'s
// compare-and-swap, manifest.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shardyfusion/manifest.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/routing.h"
#include "writer/build_events.h"
#include "writer/winners.h"

namespace shardyfusion {

struct PublishRequest {
  StoreLocation root;  // the snapshot root
  std::string run_id;
  int64_t num_dbs = 0;
  ShardingSpec sharding;
  std::string db_path_template;
  std::string shard_prefix;
  KeyEncoding key_encoding = KeyEncoding::kU64BE;
  // The user's custom_manifest_fields (a JSON object), and the library's
  // keys, which overwrite user keys of the same name.
  nlohmann::json user_custom = nlohmann::json::object();
  nlohmann::json library_custom = nlohmann::json::object();
  // Every sealed attempt of the run, any order, several per shard allowed.
  std::vector<ShardAttemptResult> attempts;
  // Objects of attempts that failed and were retried: deleted once
  // published, like losers.
  std::vector<std::string> superseded_objects;
  PublishOptions options;
  EmitFn emit;  // may be empty
  // Staged runs (staged.h): the attempts were sealed and recorded by other
  // processes, so a failure before the manifest is written deletes nothing
  // and the publish can be repeated.
  bool keep_attempts_on_failure = false;
};

struct PublishedSnapshot {
  std::string manifest_ref;
  std::vector<ShardMeta> winners;  // sorted by db_id, empty shards omitted
  int64_t num_attempt_results = 0;
  int64_t manifest_ms = 0;  // writing the manifest and switching `_CURRENT`
};

Result<PublishedSnapshot> PublishSnapshot(PublishRequest request);

// The manifest the request publishes with `winners` as its shards (its
// created_at unset): also the body of a staged shard's record (staged.h).
Manifest AssembleManifest(const PublishRequest& request, std::vector<ShardMeta> winners);

}  // namespace shardyfusion
