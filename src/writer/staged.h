// Staged shards: one run written by several processes, published once
// (docs/format/layout.md, "Staged shards").
//
// A staged build (WriteConfig::stage_only) seals its shards as any build
// does, then records each one under the run instead of publishing:
//
//   <root>/<shard_prefix>/run_id=<run>/_staged/db=<NNNNN>/attempt=<NN>.sealed
//   <root>/<shard_prefix>/run_id=<run>/_staged/db=<NNNNN>/empty.sealed
//
// A record is a manifest (the SQLite format of docs/format/manifest.md) of
// the run with the one shard as its only row (none for an empty shard);
// its custom object carries, under kStagedShardKey, the shard's db_id, its
// attempt (null when empty), the objects the attempt created and those of
// attempts it superseded, and the staging process's name. Every record of a
// run states the run's sharding, key encoding and layout, so the publisher
// checks that all of them agree before it publishes.
//
// PublishStagedRun (writer.h) reads the records, checks agreement and
// coverage, selects winners, publishes, and then deletes the losers (sealed
// attempts that lost, and claimed attempts that never sealed: processes
// that died) and the staging records.
//
// Thread-safety: pure functions over store I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/manifest.h"
#include "writer/publish.h"

namespace shardyfusion {

inline constexpr const char* kStagedShardKey = "staged_shard";

// One parsed staging record.
struct StagedRecord {
  std::string key;  // the record's object key
  int64_t db_id = 0;
  std::optional<int64_t> attempt;  // nullopt: the shard received no records
  Manifest manifest;               // the run's meta, the one shard (or none)
  std::vector<std::string> created_objects;
  std::vector<std::string> superseded_objects;
  std::string staging;  // which process staged it (its local staging name)
};

// The record of shard `db_id` under `base` (a publish request without
// attempts): `sealed` is its attempt result, or null for an empty shard.
Result<std::string> SerializeStagedRecord(const PublishRequest& base, int64_t db_id,
                                          const ShardAttemptResult* sealed,
                                          const std::vector<std::string>& superseded,
                                          std::string_view staging);

// "db=<NNNNN>/attempt=<NN>.sealed" (or ".../empty.sealed"): how a record's
// key ends.
std::string StagedRecordTail(int64_t db_id, std::optional<int64_t> attempt);

// Parses a record read from `key`; kManifestParse naming the key when it is
// damaged or its contents contradict its name.
Result<StagedRecord> ParseStagedRecord(std::string_view key, std::string_view bytes);

}  // namespace shardyfusion
