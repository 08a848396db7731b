// `shardy cel eval`, and the command-line text forms of CEL values that
// `shardy build` and the read commands share:
//
//   --cel-column NAME:TYPE        a declared column (int, uint, double,
//                                 string, bytes, bool)
//   --routing-value V             a categorical token: int:N, str:TEXT,
//                                 bytes:BASE64, or plain TEXT (a string)
//   --routing-context NAME=VALUE  a column value, read by the column's type
//   --column NAME:TYPE=VALUE      (cel eval) a declared column and its value
//
// A VALUE read by type: int and uint as decimal integers (uint may end in
// `u`), double as a C number (also nan, inf, -inf), string as the text
// itself (valid UTF-8), bytes as standard padded base64, bool as true or
// false.
//
// Thread-safety: pure functions; RunCelEval writes only to its streams.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/cel.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/status.h"

namespace shardyfusion::cli {

// Errors are kInvalidArgument naming the flag's text and what to write.
Result<CelColumn> ParseCelColumnSpec(std::string_view spec);
Result<RoutingToken> ParseRoutingValueSpec(std::string_view spec);
Result<CelValue> ParseCelValueText(CelType type, std::string_view text);

// The routing context of NAME=VALUE arguments, each VALUE read by the type
// `sharding` declares for NAME. An unknown name is kInvalidArgument listing
// the snapshot's columns.
Result<RoutingContext> ParseRoutingContext(const ShardingSpec& sharding,
                                           const std::vector<std::string>& args);

// A value as cel eval prints it: numbers as JSON numbers (non-finite doubles
// as "NaN", "Infinity", "-Infinity"), bytes as base64, null as null.
nlohmann::ordered_json CelValueToJson(const CelValue& value);

// Compiles and evaluates `expr` over the `--column` specs and prints one JSON
// object on `out`: {"value": ..., "type": ...} or {"error": "..."}; exit 0
// either way. A malformed --column is a usage error (message on `err`,
// exit 2).
int RunCelEval(const std::string& expr, const std::vector<std::string>& column_specs,
               std::ostream& out, std::ostream& err);

}  // namespace shardyfusion::cli
