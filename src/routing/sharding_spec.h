// The manifest form of routing, both ways (docs/format/manifest.md: the
// `sharding` object and the routing keys of `custom`). A writer's router
// gives its ShardingSpec (Router::spec, assembled here by CelShardingSpec)
// and its custom keys (AddRoutingCustomFields); a reader's router is built
// back from both (NewRouter in shardyfusion/routing.h, defined here, with the
// conversions below). Every conversion between routers and the manifest
// lives in this file, so the writer and the reader cannot drift apart.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/cel.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

// The custom-object key under which our writer records that a manifest's
// routing_values are bytes (JSON cannot tell them from strings). The
// reference ignores it.
inline constexpr const char* kRoutingValuesTypeKey = "cel_routing_values_type";

// The `sharding` object of a CEL router: the expression, its columns (name ->
// type name) and, in categorical mode, the tokens in manifest form.
ShardingSpec CelShardingSpec(std::string_view expr, std::span<const CelColumn> columns,
                             const std::optional<std::vector<RoutingToken>>& tokens);

// Library keys of the `custom` object that a router's spec cannot carry:
// kRoutingValuesTypeKey = "bytes" for bytes tokens. They overwrite keys of
// the same name already in `custom` (the user's).
void AddRoutingCustomFields(const Router& router, nlohmann::json* custom);

// The manifest form of categorical tokens: one JSON text per token (ints as
// numbers, strings and bytes as JSON strings, bytes in surrogateescape
// form). The writer records bytes tokens under kRoutingValuesTypeKey.
std::vector<std::string> RoutingTokensToJson(std::span<const RoutingToken> tokens);

// The typed tokens of a manifest's sharding spec (nullopt = direct mode):
// strings are bytes when `custom_json` has kRoutingValuesTypeKey = "bytes".
// A custom type that does not fit the tokens is a kManifestParse error.
Result<std::optional<std::vector<RoutingToken>>> RoutingTokensFromManifest(
    const ShardingSpec& spec, std::string_view custom_json);

// The declared columns of a manifest's sharding spec, in name order; an
// unknown type name is a kManifestParse error naming it.
Result<std::vector<CelColumn>> CelColumnsFromManifest(const ShardingSpec& spec);

}  // namespace shardyfusion
