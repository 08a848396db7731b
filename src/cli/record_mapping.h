// How `shardy build` turns an input record into a key and a value.
//
// Key (from the --key-field field):
//   int   -> a JSON integer in the signed 64-bit range (CSV/TSV: text that
//            parses entirely as one)
//   str   -> a JSON string (CSV/TSV: the field)
//   bytes -> a JSON string holding standard, padded base64, decoded
// Value: with --value-field, a string field's UTF-8 bytes and any other
// JSON value's compact JSON text; without, the whole record as compact JSON
// (CSV/TSV: an object of header -> string in header order).
// CEL columns (--cel-column NAME:TYPE): the field NAME, read by TYPE: int and
// uint from JSON integers, double from any JSON number, string from a JSON
// string, bytes from a base64 JSON string, bool from a JSON boolean; CSV/TSV
// text as cel_command.h reads a VALUE.
//
// Violations are kInvalidInput errors "line N: <what is wrong>".
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/record_source.h"
#include "shardyfusion/cel.h"
#include "shardyfusion/key.h"
#include "shardyfusion/status.h"

namespace shardyfusion::cli {

enum class KeyType { kInt, kStr, kBytes };

// "int", "str", "bytes".
std::optional<KeyType> ParseKeyType(std::string_view name);
// int -> u64be, str -> utf8, bytes -> raw.
KeyEncoding DefaultKeyEncoding(KeyType type);

struct RecordMapping {
  std::string key_field;
  KeyType key_type = KeyType::kInt;
  std::optional<std::string> value_field;
};

Status ExtractKey(const RecordMapping& mapping, const Record& record, Key* key);
Status ExtractValue(const RecordMapping& mapping, const Record& record, std::string* value);
// Replaces *values with the record's values of `columns`, in order.
Status ExtractColumns(const std::vector<CelColumn>& columns, const Record& record,
                      std::vector<CelValue>* values);

}  // namespace shardyfusion::cli
