// Shard attempt results and winner selection (docs/format/layout.md,
// "Attempts, winners and losers").
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shardyfusion/manifest.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

// What one shard attempt produced.
struct ShardAttemptResult {
  int64_t db_id = 0;
  int64_t attempt = 0;
  std::optional<std::string> db_key;  // attempt prefix in the store; nullopt = wrote nothing
  std::optional<std::string> db_url;
  int64_t row_count = 0;
  int64_t db_bytes = 0;
  std::optional<Key> min_key;
  std::optional<Key> max_key;
  std::optional<std::string> checkpoint_id;
  WriterInfo writer_info;
};

struct WinnerSelection {
  std::vector<ShardMeta> winners;  // sorted by db_id, empty shards omitted
  int64_t num_attempt_results = 0;
  std::vector<std::string> loser_keys;  // attempt prefixes that did not win
};

// Groups attempts by db_id; the winner of a shard is the minimum of
// (attempt, task_attempt_id or 2^63-1, db_url or ""). A db_id outside
// [0, num_dbs) is a kShardCoverage error. Shards whose winner wrote no rows
// are omitted (empty shards are not listed in the manifest).
Result<WinnerSelection> SelectWinners(const std::vector<ShardAttemptResult>& attempts,
                                      int64_t num_dbs);

}  // namespace shardyfusion
