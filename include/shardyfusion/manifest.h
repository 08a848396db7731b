// Manifests, the `_CURRENT` pointer, and the store that publishes them.
//
// A manifest is an immutable SQLite file describing one snapshot: one
// `build_meta` row and one `shards` row per non-empty shard
// (docs/format/manifest.md). `_CURRENT` is a small JSON object naming the
// manifest readers should load (docs/format/current.md). Publishing writes the
// manifest object first and switches `_CURRENT` second, so a reader sees the
// old snapshot or the new one, never a mix.
//
// Both formats are byte-compatible with the reference implementation.
//
// Thread-safety: the structs are values. A ManifestStore is thread-safe
// (it holds no mutable state beyond its ObjectStore).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/key.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

inline constexpr int kManifestFormatVersion = 4;
inline constexpr const char* kManifestContentType = "application/x-sqlite3";
inline constexpr const char* kCurrentContentType = "application/json";

// The key of the manifest's `custom` object under which our writer records
// the shard backend it wrote with (its ShardWriterFactory::name(), e.g.
// "sqlite" or "slatedb"), so a reader opens the shards with the factory of
// that name instead of probing their objects (docs/format/manifest.md). The
// reference neither writes nor reads it.
inline constexpr const char* kShardBackendKey = "shard_backend";

struct WriterInfo {
  int64_t attempt = 0;
  int64_t duration_ms = 0;
  std::optional<int64_t> stage_id;
  std::optional<int64_t> task_attempt_id;
};

struct ShardMeta {
  int64_t db_id = 0;
  std::optional<std::string> db_url;
  int64_t attempt = 0;
  int64_t row_count = 0;  // records written, duplicates included
  int64_t db_bytes = 0;
  // Smallest / largest logical key written. A key read back from a manifest
  // is Int for a JSON number and Str for a JSON string (the format cannot
  // tell text from bytes; bytes are written as text, see manifest.md).
  std::optional<Key> min_key;
  std::optional<Key> max_key;
  std::optional<std::string> checkpoint_id;
  WriterInfo writer_info;
};

struct BuildMeta {
  std::string run_id;
  std::string created_at;  // ISO-8601 UTC, e.g. 2026-01-02T03:04:05.120000Z
  int64_t num_dbs = 0;
  std::string s3_prefix;  // the writer's root URL
  std::string key_col = "_key";
  ShardingSpec sharding;
  std::string db_path_template = "db={db_id:05d}";
  std::string shard_prefix = "shards";
  int64_t format_version = kManifestFormatVersion;
  KeyEncoding key_encoding = KeyEncoding::kU64BE;
  std::string custom_json = "{}";  // a JSON object, stored re-encoded
};

struct Manifest {
  BuildMeta meta;
  std::vector<ShardMeta> shards;  // sorted by db_id, non-empty shards only
};

// The SQLite file bytes of `manifest`. Fails with kPublishManifest if a
// field cannot be encoded (e.g. custom_json is not a JSON object).
Result<std::string> SerializeManifest(const Manifest& manifest);

// Parses and validates manifest bytes (every rule of docs/format/manifest.md,
// "Validation"). Any violation is a kManifestParse error naming the rule.
Result<Manifest> ParseManifest(std::string_view bytes);

struct CurrentPointer {
  std::string manifest_ref;  // full URL of the manifest object
  std::string manifest_content_type = kManifestContentType;
  std::string run_id;
  std::string updated_at;  // ISO-8601 UTC
  int64_t format_version = 1;
};

// The exact compact JSON bytes of the pointer (sorted keys, no spaces).
std::string SerializeCurrentPointer(const CurrentPointer& pointer);
Result<CurrentPointer> ParseCurrentPointer(std::string_view bytes);

// One entry of the manifest history.
struct ManifestListing {
  std::string ref;  // full URL of the manifest object
  std::string run_id;
  std::string published_at;  // the directory timestamp, %Y-%m-%dT%H:%M:%S.%fZ
};

struct PublishOptions {
  // By default `_CURRENT` is switched with a conditional write against the
  // pointer read at the start of Publish; if another publisher moved it in
  // between, Publish fails with kPublishCurrent (carrying the new manifest's
  // ref) instead of silently overwriting. true = last writer wins.
  bool force_last_writer_wins = false;
};

class Clock;  // the library's internal time seam (src/core/clock.h)

class ManifestStore {
 public:
  // `root_key` is the snapshot root inside `store` (no trailing '/').
  // `clock` is for the library's own tests; null (the default) is the system
  // clock. It supplies the times Publish and SetCurrent write: created_at,
  // the manifest directory's timestamp and `_CURRENT`'s updated_at. Not
  // owned; it must outlive the store.
  ManifestStore(std::shared_ptr<ObjectStore> store, std::string root_key,
                std::string current_name = "_CURRENT", Clock* clock = nullptr);

  const std::shared_ptr<ObjectStore>& object_store() const { return store_; }
  const std::string& root_key() const { return root_key_; }
  std::string current_key() const;

  // Writes `manifest` (created_at set to now) to
  // manifests/<TS>_run_id=<run_id>/manifest, then points `_CURRENT` at it.
  // Returns the manifest ref. Errors: kPublishManifest if the manifest object
  // was not written (nothing visible changed); kPublishCurrent if it was but
  // the pointer was not switched (Status::manifest_ref() is set).
  Result<std::string> Publish(Manifest manifest, const PublishOptions& options = {});

  // nullopt when no `_CURRENT` exists (nothing published).
  Result<std::optional<CurrentPointer>> LoadCurrent();
  // Loads and validates the manifest at `ref` (a full URL in this store).
  Result<Manifest> LoadManifest(const std::string& ref);
  // Newest first, at most `limit` entries.
  Result<std::vector<ManifestListing>> ListManifests(size_t limit);
  // Points `_CURRENT` at an existing manifest (rollback).
  Status SetCurrent(const std::string& ref);

 private:
  std::shared_ptr<ObjectStore> store_;
  std::string root_key_;
  std::string current_name_;
  Clock* clock_;
};

}  // namespace shardyfusion
