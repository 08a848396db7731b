// Rendering of shardy's read-command results. Each command builds one JSON
// object ({"op": ..., ...}, spec section 7.3); this file prints it as
// indented JSON, one-line JSON, or a human rendering (text / table).
//
// Thread-safety: pure functions (apart from writing to the given stream).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/value_codec.h"
#include "shardyfusion/key.h"

namespace shardyfusion::cli {

enum class OutputFormat { kJson, kJsonl, kTable, kText };

// "json", "jsonl", "table", "text".
std::optional<OutputFormat> ParseOutputFormat(std::string_view name);

struct OutputOptions {
  OutputFormat format = OutputFormat::kJsonl;
  ValueEncoding value_encoding = ValueEncoding::kBase64;
  std::string null_repr = "null";
};

// Ints as JSON numbers; text and byte strings as JSON strings (bytes that
// are not UTF-8 get replacement characters, as JSON text must be UTF-8).
nlohmann::ordered_json KeyToJson(const Key& key);

// Columns padded to their widest cell, two spaces apart, a header row and a
// dashed rule under it; every line ends with '\n'.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// Prints `result` (an object with "op") followed by a newline.
void EmitResult(const nlohmann::ordered_json& result, const OutputOptions& options,
                std::ostream& out);

// Prints {"op": op, "error": message, "key"?: key} as JSON (indented for the
// json format, one line otherwise), followed by a newline.
void EmitError(std::string_view op, std::string_view message,
               const std::optional<nlohmann::ordered_json>& key, const OutputOptions& options,
               std::ostream& err);

}  // namespace shardyfusion::cli
