#include "routing/sharding_spec.h"

#include <limits>

#include "core/py_json.h"
#include "core/status_internal.h"
#include "core/utf8.h"
#include "routing/cel_router.h"

namespace shardyfusion {
namespace {

Status ManifestError(std::string msg) {
  return Status(ErrorCode::kManifestParse, "manifest validation failed: " + std::move(msg));
}

}  // namespace

ShardingSpec CelShardingSpec(std::string_view expr, std::span<const CelColumn> columns,
                             const std::optional<std::vector<RoutingToken>>& tokens) {
  ShardingSpec spec;
  spec.strategy = ShardingSpec::Strategy::kCel;
  spec.cel_expr = std::string(expr);
  std::map<std::string, std::string> names;
  for (const CelColumn& c : columns) names[c.name] = CelTypeName(c.type);
  spec.cel_columns = std::move(names);
  if (tokens) spec.routing_values_json = RoutingTokensToJson(*tokens);
  return spec;
}

void AddRoutingCustomFields(const Router& router, nlohmann::json* custom) {
  const std::vector<RoutingToken>* tokens = router.routing_values();
  if (tokens && !tokens->empty() && (*tokens)[0].kind() == CelValue::Kind::kBytes) {
    (*custom)[kRoutingValuesTypeKey] = "bytes";
  }
}

Result<std::shared_ptr<const Router>> NewRouter(const ShardingSpec& spec,
                                                std::string_view custom_json, uint32_t num_dbs) {
  if (num_dbs == 0 || num_dbs > kMaxNumDbs) {
    return Status(ErrorCode::kInvalidArgument, "a router needs 1 to " + std::to_string(kMaxNumDbs) +
                                                   " shards (got " + std::to_string(num_dbs) + ")");
  }
  if (spec.strategy == ShardingSpec::Strategy::kHash) return NewHashRouter(num_dbs);
  SHARDY_ASSIGN_OR_RETURN(std::vector<CelColumn> columns, CelColumnsFromManifest(spec));
  SHARDY_ASSIGN_OR_RETURN(std::optional<std::vector<RoutingToken>> tokens,
                          RoutingTokensFromManifest(spec, custom_json));
  SHARDY_ASSIGN_OR_RETURN(std::shared_ptr<const CelRouter> router,
                          CelRouter::Create(spec.cel_expr.value_or(""), std::move(columns),
                                            std::move(tokens), num_dbs));
  return std::shared_ptr<const Router>(std::move(router));
}

std::vector<std::string> RoutingTokensToJson(std::span<const RoutingToken> tokens) {
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (const RoutingToken& t : tokens) {
    out.push_back(t.kind() == CelValue::Kind::kInt ? std::to_string(t.int_value())
                                                   : PyJsonQuoteBytes(t.bytes()));
  }
  return out;
}

Result<std::optional<std::vector<RoutingToken>>> RoutingTokensFromManifest(
    const ShardingSpec& spec, std::string_view custom_json) {
  if (!spec.routing_values_json) return std::optional<std::vector<RoutingToken>>();
  bool as_bytes = false;
  Result<nlohmann::json> custom = PyJsonLoads(custom_json);
  if (custom.ok() && custom->is_object()) {
    const auto it = custom->find(kRoutingValuesTypeKey);
    if (it != custom->end()) {
      if (!it->is_string() || it->get<std::string>() != "bytes") {
        return ManifestError(std::string("custom.") + kRoutingValuesTypeKey +
                             " must be \"bytes\" (got " + PyJsonDumps(*it) + ")");
      }
      as_bytes = true;
    }
  }
  std::vector<RoutingToken> tokens;
  for (size_t i = 0; i < spec.routing_values_json->size(); ++i) {
    Result<nlohmann::json> v = PyJsonLoads((*spec.routing_values_json)[i]);
    const std::string where = "sharding.routing_values[" + std::to_string(i) + "]";
    if (!v.ok()) return ManifestError(where + " is not JSON: " + v.status().message());
    if (v->is_number_integer() && !v->is_number_unsigned()) {
      tokens.push_back(CelValue::Int(v->get<int64_t>()));
    } else if (v->is_number_unsigned() &&
               v->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      tokens.push_back(CelValue::Int(static_cast<int64_t>(v->get<uint64_t>())));
    } else if (v->is_string() && as_bytes) {
      tokens.push_back(CelValue::Bytes(v->get<std::string>()));
    } else if (v->is_string() && IsValidUtf8(v->get_ref<const std::string&>())) {
      tokens.push_back(CelValue::String(v->get<std::string>()));
    } else {
      return ManifestError(where + " = " + PyJsonDumps(*v) +
                           (v->is_string()
                                ? " is not valid text (and custom." +
                                      std::string(kRoutingValuesTypeKey) + " does not say bytes)"
                                : " must be an int within int64 or a string"));
    }
  }
  if (as_bytes && !tokens.empty() && tokens[0].kind() != CelValue::Kind::kBytes) {
    return ManifestError(std::string("custom.") + kRoutingValuesTypeKey +
                         " says bytes but sharding.routing_values holds ints");
  }
  return std::optional<std::vector<RoutingToken>>(std::move(tokens));
}

Result<std::vector<CelColumn>> CelColumnsFromManifest(const ShardingSpec& spec) {
  std::vector<CelColumn> columns;
  if (!spec.cel_columns) return columns;
  for (const auto& [name, type_name] : *spec.cel_columns) {
    std::optional<CelType> type = ParseCelType(type_name);
    if (!type) {
      return ManifestError("sharding.cel_columns['" + name + "'] has unknown type '" + type_name +
                           "' (int, uint, double, string, bytes, bool)");
    }
    columns.push_back({name, *type});
  }
  return columns;
}

}  // namespace shardyfusion
