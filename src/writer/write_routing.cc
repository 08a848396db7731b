#include "writer/write_routing.h"

#include <string>

#include "core/status_internal.h"

namespace shardyfusion {

ShardCount FixedShardCount(uint32_t num_dbs) {
  return ShardCount{num_dbs,
                    [num_dbs](std::span<const int64_t>) -> Result<uint32_t> { return num_dbs; }};
}

Result<uint32_t> RouteRecord(const Router& router, const Key& key,
                             std::span<const CelValue> columns) {
  std::string why;
  SHARDY_ASSIGN_OR_RETURN(const std::optional<uint32_t> db_id, router.Route(key, columns, &why));
  if (db_id) return *db_id;
  // Only CEL routes to no shard: a token not in routing_values, or (direct
  // mode) an id beyond the most shards a build may discover.
  return Status(
      ErrorCode::kShardAssignment,
      why + (router.routing_values()
                 ? " (add it to routing_values, or fix the expression)"
                 : " (direct-mode ids must be 0.." + std::to_string(router.num_dbs() - 1) + ")"));
}

}  // namespace shardyfusion
