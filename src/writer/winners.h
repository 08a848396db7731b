// Shard attempt results and winner selection (docs/format/layout.md,
// "Attempts, winners and losers").
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shardyfusion/manifest.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

// What one sealed shard attempt produced, in this process or another.
struct ShardAttemptResult {
  // The manifest's row for the shard if this attempt wins. db_url nullopt
  // (or row_count 0) = the attempt wrote nothing.
  ShardMeta shard;
  // The keys (in the snapshot's store) the attempt created: what is deleted
  // if it loses, or if the build fails before its manifest is written.
  std::vector<std::string> created_objects;
};

struct WinnerSelection {
  std::vector<ShardMeta> winners;  // sorted by db_id, empty shards omitted
  int64_t num_attempt_results = 0;
  // The created objects of every attempt that did not win.
  std::vector<std::string> loser_objects;
};

// Groups attempts by db_id; the winner of a shard is the minimum of
// (attempt, task_attempt_id or 2^63-1, db_url or ""). A db_id outside
// [0, num_dbs) is a kShardCoverage error. Shards whose winner wrote no rows
// are omitted (empty shards are not listed in the manifest).
Result<WinnerSelection> SelectWinners(const std::vector<ShardAttemptResult>& attempts,
                                      int64_t num_dbs);

}  // namespace shardyfusion
