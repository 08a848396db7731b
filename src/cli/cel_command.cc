#include "cli/cel_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "cel/program.h"
#include "cel/public_values.h"
#include "cli/shardy.h"
#include "core/base64.h"
#include "core/utf8.h"
#include "routing/sharding_spec.h"

namespace shardyfusion::cli {

namespace {

Status ArgError(std::string msg) { return Status(ErrorCode::kInvalidArgument, std::move(msg)); }

template <typename T>
std::optional<T> ParseDecimal(std::string_view text) {
  T v{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

}  // namespace

Result<CelValue> ParseCelValueText(CelType type, std::string_view text) {
  const auto bad = [&](const char* want) {
    return ArgError(
        fmt::format("\"{}\" is not a CEL {} value ({})", text, CelTypeName(type), want));
  };
  switch (type) {
    case CelType::kInt:
      if (auto v = ParseDecimal<int64_t>(text)) return CelValue::Int(*v);
      return bad("a decimal integer within int64");
    case CelType::kUint: {
      std::string_view digits = text;
      if (digits.ends_with('u')) digits.remove_suffix(1);
      if (!digits.starts_with('-')) {
        if (auto v = ParseDecimal<uint64_t>(digits)) return CelValue::Uint(*v);
      }
      return bad("a non-negative decimal integer within uint64, optionally ending in u");
    }
    case CelType::kDouble: {
      const std::string s(text);
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size()) return bad("a number such as 2.5, nan or inf");
      return CelValue::Double(v);
    }
    case CelType::kString:
      if (!IsValidUtf8(text)) return bad("valid UTF-8 text");
      return CelValue::String(std::string(text));
    case CelType::kBytes:
      if (std::optional<std::string> b = Base64Decode(text)) return CelValue::Bytes(std::move(*b));
      return bad("standard base64 with = padding");
    case CelType::kBool:
      if (text == "true") return CelValue::Bool(true);
      if (text == "false") return CelValue::Bool(false);
      return bad("true or false");
  }
  return bad("?");
}

Result<CelColumn> ParseCelColumnSpec(std::string_view spec) {
  const size_t colon = spec.find(':');
  std::optional<CelType> type;
  if (colon != std::string_view::npos && colon > 0) type = ParseCelType(spec.substr(colon + 1));
  if (!type) {
    return ArgError(fmt::format(
        "CEL column \"{}\" must be NAME:TYPE with TYPE one of int, uint, double, string, bytes, "
        "bool (e.g. region:string)",
        spec));
  }
  return CelColumn{std::string(spec.substr(0, colon)), *type};
}

Result<RoutingToken> ParseRoutingValueSpec(std::string_view spec) {
  const auto typed = [&](std::string_view prefix, CelType type) -> std::optional<Result<CelValue>> {
    if (!spec.starts_with(prefix)) return std::nullopt;
    Result<CelValue> v = ParseCelValueText(type, spec.substr(prefix.size()));
    if (!v.ok()) return v.status().annotate(fmt::format("routing value \"{}\"", spec));
    return v;
  };
  if (auto v = typed("int:", CelType::kInt)) return *v;
  if (auto v = typed("str:", CelType::kString)) return *v;
  if (auto v = typed("bytes:", CelType::kBytes)) return *v;
  Result<CelValue> v = ParseCelValueText(CelType::kString, spec);
  if (!v.ok()) return v.status().annotate("routing value (write int:N, str:TEXT or bytes:BASE64)");
  return v;
}

Result<RoutingContext> ParseRoutingContext(const ShardingSpec& sharding,
                                           const std::vector<std::string>& args) {
  std::vector<CelColumn> columns;
  if (sharding.cel_columns) {
    Result<std::vector<CelColumn>> declared = CelColumnsFromManifest(sharding);
    if (!declared.ok()) return declared.status();
    columns = std::move(declared).value();
  }
  std::string names;
  for (const CelColumn& c : columns) {
    names += fmt::format("{}{}:{}", names.empty() ? "" : ", ", c.name, CelTypeName(c.type));
  }
  RoutingContext context;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return ArgError(fmt::format("--routing-context \"{}\" must be NAME=VALUE", arg));
    }
    const std::string name = arg.substr(0, eq);
    const auto column = std::find_if(columns.begin(), columns.end(),
                                     [&](const CelColumn& c) { return c.name == name; });
    if (column == columns.end()) {
      return ArgError(
          fmt::format("--routing-context \"{}\": the snapshot has no CEL column \"{}\" (its "
                      "columns: {})",
                      arg, name, names.empty() ? "none, it is not CEL-routed" : names));
    }
    Result<CelValue> v = ParseCelValueText(column->type, std::string_view(arg).substr(eq + 1));
    if (!v.ok()) return v.status().annotate(fmt::format("--routing-context {}", name));
    context[name] = std::move(v).value();
  }
  return context;
}

namespace {

nlohmann::ordered_json DoubleToJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

// Any engine value as JSON: scalars as CelValueToJson renders them, lists as
// arrays, maps with string keys as objects and other maps as arrays of
// [key, value] pairs sorted by the key's JSON, type values as their name.
nlohmann::ordered_json EngineValueToJson(const cel::Value& v) {
  switch (v.kind) {
    case cel::ValueKind::kNull:
      return nullptr;
    case cel::ValueKind::kBool:
      return v.b;
    case cel::ValueKind::kInt:
      return v.i;
    case cel::ValueKind::kUint:
      return v.u;
    case cel::ValueKind::kDouble:
      return DoubleToJson(v.d);
    case cel::ValueKind::kString:
      return std::string(v.str);
    case cel::ValueKind::kBytes:
      return Base64Encode(v.str);
    case cel::ValueKind::kType:
    case cel::ValueKind::kError:
      return std::string(v.str);
    case cel::ValueKind::kList: {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (const cel::Value& e : v.list->elems) a.push_back(EngineValueToJson(e));
      return a;
    }
    case cel::ValueKind::kMap: {
      const cel::MapRep& m = *v.map;
      bool string_keys = true;
      for (const cel::Value& k : m.keys) string_keys &= k.kind == cel::ValueKind::kString;
      if (string_keys) {
        nlohmann::ordered_json o = nlohmann::ordered_json::object();
        for (size_t i = 0; i < m.keys.size(); ++i) {
          o[std::string(m.keys[i].str)] = EngineValueToJson(m.values[i]);
        }
        return o;
      }
      // [key, value] pairs in the order of the keys' JSON text, as the
      // reference evaluator (@bufbuild/cel, tools/cel-differential) prints
      // a map's entries.
      std::vector<std::pair<std::string, nlohmann::ordered_json>> entries;
      for (size_t i = 0; i < m.keys.size(); ++i) {
        nlohmann::ordered_json key = EngineValueToJson(m.keys[i]);
        std::string text = key.dump();
        entries.emplace_back(
            std::move(text),
            nlohmann::ordered_json::array({std::move(key), EngineValueToJson(m.values[i])}));
      }
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (auto& e : entries) a.push_back(std::move(e.second));
      return a;
    }
  }
  return nullptr;
}

}  // namespace

nlohmann::ordered_json CelValueToJson(const CelValue& value) {
  return EngineValueToJson(cel::ToEngineValue(value));
}

int RunCelEval(const std::string& expr, const std::vector<std::string>& column_specs,
               std::ostream& out, std::ostream& err) {
  std::vector<CelColumn> columns;
  std::vector<CelValue> values;
  for (const std::string& spec : column_specs) {
    const size_t eq = spec.find('=');
    Result<CelColumn> column = ParseCelColumnSpec(std::string_view(spec).substr(0, eq));
    Result<CelValue> value = column.ok() && eq != std::string::npos
                                 ? ParseCelValueText(column->type, spec.substr(eq + 1))
                                 : Result<CelValue>(ArgError("no =VALUE"));
    if (!column.ok() || !value.ok()) {
      err << "shardy cel eval: --column \"" << spec << "\" must be NAME:TYPE=VALUE: "
          << (column.ok() ? value.status() : column.status()).message() << '\n';
      return kExitUsage;
    }
    columns.push_back(std::move(column).value());
    values.push_back(std::move(value).value());
  }
  nlohmann::ordered_json result;
  // The public compile gives the same checks and messages as a build; the
  // engine below then evaluates to results of any type, lists and maps too.
  Result<std::shared_ptr<const CelProgram>> program = CelProgram::Compile(expr, columns);
  std::vector<cel::Declaration> decls;
  std::vector<cel::Value> vars;
  for (size_t i = 0; i < columns.size(); ++i) {
    decls.push_back(cel::Declaration{columns[i].name, cel::ToEngineType(columns[i].type)});
    vars.push_back(cel::ToEngineValue(values[i]));
  }
  auto engine = program.ok() ? cel::Program::Compile(expr, std::move(decls))
                             : Result<std::unique_ptr<cel::Program>>(program.status());
  if (!engine.ok()) {
    result["error"] = program.ok() ? engine.status().message() : program.status().message();
  } else {
    cel::Arena arena;
    cel::Value v = (*engine)->Evaluate(vars, &arena);
    if (v.is_error()) {
      result["error"] = "CEL evaluation failed: " + std::string(v.str);
    } else {
      result["value"] = EngineValueToJson(v);
      // The runtime type, as CEL's type() names it ("list", "map"), not the
      // checked one ("list(int)").
      result["type"] = std::string(cel::TypeNameOf(v));
    }
  }
  out << result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  return 0;
}

}  // namespace shardyfusion::cli
