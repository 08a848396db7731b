// HashShardedWriter: hash routing's settings; the engine routes through the
// hash router and does the rest (write_engine.h).
#include <algorithm>

#include "core/status_internal.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/writer.h"
#include "writer/write_engine.h"

namespace shardyfusion {
namespace {

Result<uint32_t> ResolveNumDbs(const HashShardedWriteConfig& config,
                               std::optional<uint64_t> record_count) {
  if (config.num_dbs.has_value() == config.max_keys_per_shard.has_value()) {
    return ConfigError("set exactly one of num_dbs and max_keys_per_shard");
  }
  if (config.num_dbs) {
    if (*config.num_dbs == 0) return ConfigError("num_dbs must be > 0");
    if (*config.num_dbs > kMaxNumDbs) {
      return ConfigError("num_dbs " + std::to_string(*config.num_dbs) + " is more than the " +
                         std::to_string(kMaxNumDbs) + " shards a snapshot may have");
    }
    return *config.num_dbs;
  }
  const uint64_t m = *config.max_keys_per_shard;
  if (m == 0) return ConfigError("max_keys_per_shard must be > 0");
  if (!record_count) {
    return ConfigError("max_keys_per_shard needs the record count up front (a sized input)");
  }
  const uint64_t n = std::max<uint64_t>(1, (*record_count + m - 1) / m);
  if (n > kMaxNumDbs) {
    return ConfigError("max_keys_per_shard=" + std::to_string(m) + " gives " + std::to_string(n) +
                       " shards for " + std::to_string(*record_count) + " records; at most " +
                       std::to_string(kMaxNumDbs) + " are supported (raise max_keys_per_shard to " +
                       std::to_string((*record_count + kMaxNumDbs - 1) / kMaxNumDbs) + " or more)");
  }
  return static_cast<uint32_t>(n);
}

}  // namespace

Result<std::unique_ptr<HashShardedWriter>> HashShardedWriter::Open(
    const HashShardedWriteConfig& config, const WriteOptions& options,
    std::optional<uint64_t> record_count) {
  SHARDY_ASSIGN_OR_RETURN(uint32_t num_dbs, ResolveNumDbs(config, record_count));
  SHARDY_ASSIGN_OR_RETURN(
      std::unique_ptr<WriteEngine> engine,
      WriteEngine::Open(config, options, NewHashRouter(num_dbs), FixedShardCount(num_dbs)));
  return std::unique_ptr<HashShardedWriter>(new HashShardedWriter(std::move(engine)));
}

Status HashShardedWriter::Add(const Key& key, std::string_view value) {
  return engine().Add(key, value, {});
}

}  // namespace shardyfusion
