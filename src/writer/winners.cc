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
    return std::make_tuple(
        a.attempt, a.writer_info.task_attempt_id.value_or(std::numeric_limits<int64_t>::max()),
        a.db_url.value_or(""));
  };
  for (const ShardAttemptResult& a : attempts) {
    if (a.db_id < 0 || a.db_id >= num_dbs) {
      extra.push_back(a.db_id);
      continue;
    }
    auto it = best.find(a.db_id);
    if (it == best.end() || rank(a) < rank(*it->second)) best[a.db_id] = &a;
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
    if (!w->db_url || w->row_count == 0) continue;
    ShardMeta m;
    m.db_id = db_id;
    m.db_url = w->db_url;
    m.attempt = w->attempt;
    m.row_count = w->row_count;
    m.db_bytes = w->db_bytes;
    m.min_key = w->min_key;
    m.max_key = w->max_key;
    m.checkpoint_id = w->checkpoint_id;
    m.writer_info = w->writer_info;
    sel.winners.push_back(std::move(m));
  }
  for (const ShardAttemptResult& a : attempts) {
    if (!a.db_key) continue;
    auto it = best.find(a.db_id);
    const bool won = it != best.end() && it->second == &a && a.row_count > 0;
    if (!won) sel.loser_keys.push_back(*a.db_key);
  }
  return sel;
}

}  // namespace shardyfusion
