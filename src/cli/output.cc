#include "cli/output.h"

#include <fmt/format.h>

#include <algorithm>

namespace shardyfusion::cli {

namespace {

using Json = nlohmann::ordered_json;

// Output must never throw on odd bytes: replace invalid UTF-8.
std::string Dump(const Json& v, int indent = -1) {
  return v.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One human-readable cell: strings bare, null as null_repr, the rest as JSON.
std::string Cell(const Json& v, const OutputOptions& options) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return options.null_repr;
  return Dump(v);
}

std::string Field(const Json& obj, const char* name, const OutputOptions& options) {
  const auto it = obj.find(name);
  return it == obj.end() ? options.null_repr : Cell(*it, options);
}

// A lookup result's value for humans: the value, or null_repr when absent.
std::string LookupValue(const Json& item, const OutputOptions& options) {
  if (!item.value("found", false)) return options.null_repr;
  return Field(item, "value", options);
}

std::string RenderText(const Json& result, const OutputOptions& options) {
  const std::string op = result.value("op", "");
  std::string text;
  if (op == "get") {
    return LookupValue(result, options) + "\n";
  }
  if (op == "multiget") {
    for (const Json& item : result.at("results")) {
      text += fmt::format("{}={}\n", Field(item, "key", options), LookupValue(item, options));
    }
    return text;
  }
  if (op == "route") {
    return fmt::format("{} -> shard {}\n", Field(result, "key", options),
                       Field(result, "db_id", options));
  }
  if (op == "health") {
    std::string line = result.value("status", "");
    const Json& reasons = result.at("reasons");
    for (size_t i = 0; i < reasons.size(); ++i) {
      line += (i == 0 ? ": " : "; ") + reasons[i].get<std::string>();
    }
    return line + "\n";
  }
  if (op == "rollback") {
    const std::string ref = Field(result, "ref", options);
    if (!result.value("changed", true)) return "_CURRENT already points at " + ref + "\n";
    return "Rolled back _CURRENT to: " + ref + "\n";
  }
  for (const auto& [name, v] : result.items()) {
    if (name == "op") continue;
    text += fmt::format("{}: {}\n", name, Cell(v, options));
  }
  return text;
}

std::string RenderRowsTable(const Json& items, const std::vector<std::string>& columns,
                            const OutputOptions& options) {
  std::vector<std::string> header;
  for (const std::string& c : columns) {
    std::string upper = c;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    header.push_back(std::move(upper));
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& item : items) {
    std::vector<std::string> row;
    for (const std::string& c : columns) {
      row.push_back(c == "value" ? LookupValue(item, options) : Field(item, c.c_str(), options));
    }
    rows.push_back(std::move(row));
  }
  return RenderTable(header, rows);
}

std::string RenderHuman(const Json& result, const OutputOptions& options) {
  const std::string op = result.value("op", "");
  if (op == "shards") {
    return RenderRowsTable(result.at("shards"),
                           {"db_id", "row_count", "min_key", "max_key", "db_url"}, options);
  }
  if (op == "history") {
    return RenderRowsTable(result.at("manifests"), {"offset", "run_id", "published_at", "ref"},
                           options);
  }
  if (options.format == OutputFormat::kText) return RenderText(result, options);
  if (op == "get")
    return RenderRowsTable(Json::array({result}), {"key", "found", "value"}, options);
  if (op == "multiget")
    return RenderRowsTable(result.at("results"), {"key", "found", "value"}, options);
  if (op == "route") return RenderRowsTable(Json::array({result}), {"key", "db_id"}, options);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, v] : result.items()) {
    if (name != "op") rows.push_back({name, Cell(v, options)});
  }
  return RenderTable({"FIELD", "VALUE"}, rows);
}

}  // namespace

std::optional<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "jsonl") return OutputFormat::kJsonl;
  if (name == "table") return OutputFormat::kTable;
  if (name == "text") return OutputFormat::kText;
  return std::nullopt;
}

Json KeyToJson(const Key& key) {
  if (key.is_int()) return key.int_value();
  return Utf8WithReplacement(key.bytes());
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto widen = [&widths](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  widen(header);
  for (const auto& row : rows) widen(row);

  auto line = [&widths](const std::vector<std::string>& row) {
    std::string text;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string& cell = i < row.size() ? row[i] : std::string();
      if (i + 1 == widths.size()) {
        text += cell;  // no trailing padding
      } else {
        text += cell + std::string(widths[i] - cell.size() + 2, ' ');
      }
    }
    return text + "\n";
  };
  std::string text = line(header);
  size_t rule = 0;
  for (size_t w : widths) rule += w;
  rule += widths.empty() ? 0 : 2 * (widths.size() - 1);
  text += std::string(rule, '-') + "\n";
  for (const auto& row : rows) text += line(row);
  return text;
}

void EmitResult(const Json& result, const OutputOptions& options, std::ostream& out) {
  switch (options.format) {
    case OutputFormat::kJson:
      out << Dump(result, 2) << '\n';
      return;
    case OutputFormat::kJsonl:
      out << Dump(result) << '\n';
      return;
    case OutputFormat::kTable:
    case OutputFormat::kText:
      out << RenderHuman(result, options);
      return;
  }
}

void EmitError(std::string_view op, std::string_view message, const std::optional<Json>& key,
               const OutputOptions& options, std::ostream& err) {
  Json error = {{"op", std::string(op)}, {"error", std::string(message)}};
  if (key) error["key"] = *key;
  err << Dump(error, options.format == OutputFormat::kJson ? 2 : -1) << '\n';
}

}  // namespace shardyfusion::cli
