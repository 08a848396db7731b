#include "manifest/manifest_rules.h"

#include <set>

#include "core/py_json.h"

namespace shardyfusion {
namespace {

bool Violation(std::string* rule, std::string text) {
  *rule = std::move(text);
  return false;
}

// Element types of routing_values. JSON cannot carry bytes, so a manifest's
// tokens are ints or strings (bytes tokens were written as strings).
bool CheckRoutingValues(const std::vector<std::string>& values_json, std::string* rule) {
  std::optional<nlohmann::json::value_t> first_type;
  std::set<std::string> seen;
  for (size_t i = 0; i < values_json.size(); ++i) {
    const std::string where = "sharding.routing_values[" + std::to_string(i) + "]";
    Result<nlohmann::json> v = PyJsonLoads(values_json[i]);
    if (!v.ok()) return Violation(rule, where + " is not valid JSON: " + v.status().message());
    if (v->is_null()) return Violation(rule, where + " must not be null");
    if (v->is_boolean()) return Violation(rule, where + " must not be a boolean");
    nlohmann::json::value_t type;
    if (v->is_number_integer()) {
      type = nlohmann::json::value_t::number_integer;  // signed and unsigned alike
    } else if (v->is_string()) {
      type = nlohmann::json::value_t::string;
    } else {
      return Violation(rule, where + " must be an int or a string (got " + PyJsonDumps(*v) + ")");
    }
    if (first_type && *first_type != type) {
      return Violation(rule, "sharding.routing_values must all share one type; " + where + " = " +
                                 PyJsonDumps(*v) + " differs from element 0");
    }
    first_type = type;
    const std::string canonical = PyJsonDumps(*v);
    if (!seen.insert(canonical).second) {
      return Violation(rule, "sharding.routing_values must be unique; duplicate " + canonical);
    }
  }
  return true;
}

bool CheckSharding(const ShardingSpec& s, std::string* rule) {
  if (s.hash_algorithm != "xxh3_64") {
    return Violation(rule,
                     "sharding.hash_algorithm must be 'xxh3_64' (got '" + s.hash_algorithm + "')");
  }
  if (s.strategy == ShardingSpec::Strategy::kCel) {
    if (!s.cel_expr || s.cel_expr->empty()) {
      return Violation(rule, "CEL sharding requires a non-empty sharding.cel_expr");
    }
    if (!s.cel_columns || s.cel_columns->empty()) {
      return Violation(rule, "CEL sharding requires a non-empty sharding.cel_columns");
    }
  } else {
    if (s.routing_values_json) {
      return Violation(rule, "HASH sharding requires sharding.routing_values to be null");
    }
    if (s.cel_expr) return Violation(rule, "HASH sharding requires sharding.cel_expr to be null");
    if (s.cel_columns) {
      return Violation(rule, "HASH sharding requires sharding.cel_columns to be null");
    }
  }
  if (s.routing_values_json) return CheckRoutingValues(*s.routing_values_json, rule);
  return true;
}

bool CheckShardFields(const ShardMeta& shard, std::string* rule) {
  const auto negative = [&](const char* field, int64_t v) {
    return Violation(rule, std::string("shard ") + field + " must be >= 0 (db_id " +
                               std::to_string(shard.db_id) + ", got " + std::to_string(v) + ")");
  };
  if (shard.db_id < 0) return negative("db_id", shard.db_id);
  if (shard.attempt < 0) return negative("attempt", shard.attempt);
  if (shard.row_count < 0) return negative("row_count", shard.row_count);
  if (shard.db_bytes < 0) return negative("db_bytes", shard.db_bytes);
  return true;
}

}  // namespace

bool CheckManifestRules(const Manifest& manifest, std::string* rule) {
  const BuildMeta& meta = manifest.meta;
  // Rule 2: field values.
  if (meta.num_dbs <= 0) {
    return Violation(rule, "num_dbs must be > 0 (got " + std::to_string(meta.num_dbs) + ")");
  }
  if (meta.num_dbs > kMaxNumDbs) {
    return Violation(rule, "num_dbs " + std::to_string(meta.num_dbs) + " is more than the " +
                               std::to_string(kMaxNumDbs) + " shards a snapshot may have");
  }
  if (!CheckSharding(meta.sharding, rule)) return false;
  // Totals a reader reports (row_count, db_bytes) must not overflow.
  int64_t rows = 0;
  int64_t bytes = 0;
  for (const ShardMeta& shard : manifest.shards) {
    if (!CheckShardFields(shard, rule)) return false;
    if (__builtin_add_overflow(rows, shard.row_count, &rows) ||
        __builtin_add_overflow(bytes, shard.db_bytes, &bytes)) {
      return Violation(rule,
                       "the shards' row_count or db_bytes add up to more than 2^63-1 (db_id " +
                           std::to_string(shard.db_id) + ")");
    }
  }
  // Rule 3.
  if (meta.format_version != kManifestFormatVersion) {
    return Violation(rule, "Unsupported manifest format_version " +
                               std::to_string(meta.format_version) + " (only " +
                               std::to_string(kManifestFormatVersion) + " is supported)");
  }
  // Rule 4.
  if (static_cast<int64_t>(manifest.shards.size()) > meta.num_dbs) {
    return Violation(rule, "manifest lists " + std::to_string(manifest.shards.size()) +
                               " shards but num_dbs is " + std::to_string(meta.num_dbs));
  }
  std::set<int64_t> ids;
  for (const ShardMeta& shard : manifest.shards) {
    if (!ids.insert(shard.db_id).second) {
      return Violation(rule, "duplicate shard db_id " + std::to_string(shard.db_id));
    }
  }
  for (const ShardMeta& shard : manifest.shards) {
    if (shard.db_id >= meta.num_dbs) {
      return Violation(rule, "shard db_id " + std::to_string(shard.db_id) +
                                 " is out of range for num_dbs " + std::to_string(meta.num_dbs));
    }
  }
  // Rule 5.
  if (meta.sharding.routing_values_json) {
    const int64_t expected =
        std::max<int64_t>(1, static_cast<int64_t>(meta.sharding.routing_values_json->size()));
    if (meta.num_dbs != expected) {
      return Violation(
          rule, "num_dbs must equal max(1, len(routing_values)) = " + std::to_string(expected) +
                    " (got " + std::to_string(meta.num_dbs) + ")");
    }
  }
  return true;
}

}  // namespace shardyfusion
