// The files of a build's checkpoints (WriteConfig::checkpoint, resume), in
// its local staging directory (docs/resume.md):
//
//   <local_root>/run_id=<run>/checkpoint.json       the last checkpoint
//   <local_root>/run_id=<run>/sealed/db=<NNNNN>/attempt=<NN>.sealed
//                                                each shard sealed
//
// checkpoint.json (replaced atomically, synced) holds the format version,
// the run id, a fingerprint of the build's configuration and of its input,
// the caller's input position, the engine's counters and, per shard, its
// row count, min/max key, first-seen order and (once it has an attempt) the
// attempt's ShardAttempts::Checkpoint(). A sealed file is the shard's
// staged-shard record (staged.h): the attempt result a publish needs.
//
// Thread-safety: pure functions over local files.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "shardyfusion/key.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

inline constexpr int kCheckpointFormat = 1;
inline constexpr const char* kSealedDir = "sealed";

std::string CheckpointPath(const std::string& local_run_dir);
// `tail`: StagedRecordTail (staged.h).
std::string SealedPath(const std::string& local_run_dir, std::string_view tail);

// A logical key as checkpoint JSON ({"int": n}, {"str": s}, {"bytes": b64}),
// null for none; and back.
nlohmann::json KeyToCheckpointJson(const std::optional<Key>& key);
Result<std::optional<Key>> KeyFromCheckpointJson(const nlohmann::json& j);

// kConfigValidation naming the first field of `saved` and `now` (JSON
// objects) that differs: "cannot resume run R: <what> <field> was X at the
// checkpoint, is Y now; <advice>".
Status CompareForResume(std::string_view run_id, std::string_view what, const nlohmann::json& saved,
                        const nlohmann::json& now, std::string_view advice);

// Writes checkpoint.json through a synced rename.
Status WriteCheckpoint(const std::string& local_run_dir, const nlohmann::json& checkpoint);
// The checkpoint of the run in `local_run_dir`, nullopt if there is none;
// kConfigValidation when it cannot be read or parsed.
Result<std::optional<nlohmann::json>> ReadCheckpoint(const std::string& local_run_dir);

// Deletes everything under `dir` except the paths in `keep` (and the
// directories leading to them).
void PruneExcept(const std::string& dir, const std::set<std::string>& keep);

}  // namespace shardyfusion
