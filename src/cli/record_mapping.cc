#include "cli/record_mapping.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <limits>

#include "cli/cel_command.h"
#include "core/base64.h"
#include "core/status_internal.h"

namespace shardyfusion::cli {

namespace {

using Json = nlohmann::ordered_json;

Status RecordError(const Record& record, std::string_view what) {
  return Status(ErrorCode::kInvalidInput, fmt::format("line {}: {}", record.line, what));
}

Result<int64_t> IntFromJson(const Record& record, const std::string& field, const Json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return RecordError(record, fmt::format("key field \"{}\" value {} is out of the signed "
                                             "64-bit integer range",
                                             field, u));
    }
    return static_cast<int64_t>(u);
  }
  return RecordError(record, fmt::format("key field \"{}\" must be a JSON integer for "
                                         "--key-type int, found {}",
                                         field, v.type_name()));
}

Result<int64_t> IntFromText(const Record& record, const std::string& field,
                            const std::string& text) {
  int64_t n = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec == std::errc::result_out_of_range) {
    return RecordError(record, fmt::format("key field \"{}\" value \"{}\" is out of the signed "
                                           "64-bit integer range",
                                           field, text));
  }
  if (ec != std::errc() || ptr != end) {
    return RecordError(record, fmt::format("key field \"{}\" value \"{}\" is not an integer "
                                           "(--key-type int)",
                                           field, text));
  }
  return n;
}

// Compact JSON; invalid UTF-8 (possible only in CSV/TSV text) cannot be
// represented in JSON and is an input error.
Result<std::string> CompactJson(const Record& record, const Json& v) {
  try {
    return v.dump();
  } catch (const nlohmann::json::type_error&) {
    return RecordError(record,
                       "the record is not valid UTF-8, so it cannot be stored as JSON "
                       "(use --value-field to store one field's bytes)");
  }
}

// One CEL column's value from a JSON field.
std::optional<CelValue> ColumnFromJson(CelType type, const Json& v) {
  switch (type) {
    case CelType::kInt:
      if (v.is_number_integer() && !v.is_number_unsigned()) return CelValue::Int(v.get<int64_t>());
      if (v.is_number_unsigned() &&
          v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return CelValue::Int(static_cast<int64_t>(v.get<uint64_t>()));
      }
      return std::nullopt;
    case CelType::kUint:
      if (v.is_number_unsigned()) return CelValue::Uint(v.get<uint64_t>());
      if (v.is_number_integer() && v.get<int64_t>() >= 0) {
        return CelValue::Uint(static_cast<uint64_t>(v.get<int64_t>()));
      }
      return std::nullopt;
    case CelType::kDouble:
      if (v.is_number()) return CelValue::Double(v.get<double>());
      return std::nullopt;
    case CelType::kString:
      if (v.is_string()) return CelValue::String(v.get<std::string>());
      return std::nullopt;
    case CelType::kBytes:
      if (v.is_string()) {
        if (std::optional<std::string> b = Base64Decode(v.get_ref<const std::string&>())) {
          return CelValue::Bytes(std::move(*b));
        }
      }
      return std::nullopt;
    case CelType::kBool:
      if (v.is_boolean()) return CelValue::Bool(v.get<bool>());
      return std::nullopt;
  }
  return std::nullopt;
}

const char* JsonFormOf(CelType type) {
  switch (type) {
    case CelType::kInt:
      return "a JSON integer within int64";
    case CelType::kUint:
      return "a non-negative JSON integer";
    case CelType::kDouble:
      return "a JSON number";
    case CelType::kString:
      return "a JSON string";
    case CelType::kBytes:
      return "a JSON string of standard padded base64";
    case CelType::kBool:
      return "a JSON boolean";
  }
  return "?";
}

}  // namespace

Status ExtractColumns(const std::vector<CelColumn>& columns, const Record& record,
                      std::vector<CelValue>* values) {
  values->clear();
  for (const CelColumn& c : columns) {
    const auto it = record.fields.find(c.name);
    if (it == record.fields.end()) {
      return RecordError(record, fmt::format("CEL column field \"{}\" is missing", c.name));
    }
    if (record.text_fields && it->is_string()) {
      Result<CelValue> v = ParseCelValueText(c.type, it->get_ref<const std::string&>());
      if (!v.ok()) {
        return RecordError(
            record, fmt::format("CEL column field \"{}\": {}", c.name, v.status().message()));
      }
      values->push_back(std::move(v).value());
      continue;
    }
    std::optional<CelValue> v = ColumnFromJson(c.type, *it);
    if (!v) {
      return RecordError(
          record,
          fmt::format("CEL column field \"{}\" must be {} for type {}, "
                      "found {}",
                      c.name, JsonFormOf(c.type), CelTypeName(c.type),
                      it->dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 80)));
    }
    values->push_back(std::move(*v));
  }
  return Status::OK();
}

std::optional<KeyType> ParseKeyType(std::string_view name) {
  if (name == "int") return KeyType::kInt;
  if (name == "str") return KeyType::kStr;
  if (name == "bytes") return KeyType::kBytes;
  return std::nullopt;
}

KeyEncoding DefaultKeyEncoding(KeyType type) {
  switch (type) {
    case KeyType::kInt:
      return KeyEncoding::kU64BE;
    case KeyType::kStr:
      return KeyEncoding::kUtf8;
    case KeyType::kBytes:
      return KeyEncoding::kRaw;
  }
  return KeyEncoding::kU64BE;
}

Status ExtractKey(const RecordMapping& mapping, const Record& record, Key* key) {
  const std::string& field = mapping.key_field;
  const auto it = record.fields.find(field);
  if (it == record.fields.end()) {
    return RecordError(record, fmt::format("key field \"{}\" is missing", field));
  }
  const Json& v = *it;
  if (mapping.key_type == KeyType::kInt) {
    Result<int64_t> n = (record.text_fields && v.is_string())
                            ? IntFromText(record, field, v.get_ref<const std::string&>())
                            : IntFromJson(record, field, v);
    if (!n.ok()) return n.status();
    *key = Key::Int(*n);
    return Status::OK();
  }
  if (!v.is_string()) {
    return RecordError(
        record,
        fmt::format("key field \"{}\" must be a JSON string for "
                    "--key-type {}, found {}",
                    field, mapping.key_type == KeyType::kStr ? "str" : "bytes", v.type_name()));
  }
  const auto& text = v.get_ref<const std::string&>();
  if (mapping.key_type == KeyType::kStr) {
    *key = Key::Str(text);
    return Status::OK();
  }
  std::optional<std::string> bytes = Base64Decode(text);
  if (!bytes) {
    return RecordError(record, fmt::format("key field \"{}\" is not valid base64 (standard "
                                           "alphabet with '=' padding) for --key-type bytes",
                                           field));
  }
  *key = Key::Bytes(std::move(*bytes));
  return Status::OK();
}

Status ExtractValue(const RecordMapping& mapping, const Record& record, std::string* value) {
  if (!mapping.value_field) {
    SHARDY_ASSIGN_OR_RETURN(*value, CompactJson(record, record.fields));
    return Status::OK();
  }
  const auto it = record.fields.find(*mapping.value_field);
  if (it == record.fields.end()) {
    return RecordError(record, fmt::format("value field \"{}\" is missing", *mapping.value_field));
  }
  if (it->is_string()) {
    *value = it->get_ref<const std::string&>();
    return Status::OK();
  }
  SHARDY_ASSIGN_OR_RETURN(*value, CompactJson(record, *it));
  return Status::OK();
}

}  // namespace shardyfusion::cli
