#include "writer/winners.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

namespace shardyfusion {

Result<WinnerSelection> SelectWinners(const std::vector<ShardAttemptResult>& attempts,
                                      int64_t num_dbs) {
  std::vector<int64_t> extra;
  std::map<int64_t, const ShardAttemptResult*> best;
  auto rank = [](const ShardAttemptResult& a) {
    const ShardMeta& s = a.shard;
    return std::make_tuple(
        s.attempt, s.writer_info.task_attempt_id.value_or(std::numeric_limits<int64_t>::max()),
        s.db_url.value_or(""));
  };
  for (const ShardAttemptResult& a : attempts) {
    const int64_t db_id = a.shard.db_id;
    if (db_id < 0 || db_id >= num_dbs) {
      extra.push_back(db_id);
      continue;
    }
    auto it = best.find(db_id);
    if (it == best.end() || rank(a) < rank(*it->second)) best[db_id] = &a;
  }
  if (!extra.empty()) {
    std::sort(extra.begin(), extra.end());
    std::string ids;
    for (int64_t id : extra) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    return Status(ErrorCode::kShardCoverage, "Shard coverage mismatch; extra=[" + ids +
                                                 "] (num_dbs=" + std::to_string(num_dbs) + ")");
  }
  WinnerSelection sel;
  sel.num_attempt_results = static_cast<int64_t>(attempts.size());
  for (const auto& [db_id, w] : best) {
    if (w->shard.db_url && w->shard.row_count > 0) sel.winners.push_back(w->shard);
  }
  for (const ShardAttemptResult& a : attempts) {
    auto it = best.find(a.shard.db_id);
    const bool won = it != best.end() && it->second == &a && a.shard.row_count > 0;
    if (!won) {
      sel.loser_objects.insert(sel.loser_objects.end(), a.created_objects.begin(),
                               a.created_objects.end());
    }
  }
  return sel;
}

}  // namespace shardyfusion
