// CEL (Common Expression Language) expressions over declared columns: the
// engine behind CEL routing (docs/format/routing.md, "CEL routing").
//
// A CelProgram is compiled once from an expression and the declared columns
// (name and scalar type each): the source is parsed, the macros (has, all,
// exists, exists_one, map, filter) are expanded, and the whole expression is
// type-checked, so an unknown variable, an unknown function or a wrong
// argument type is a kConfigValidation error at Compile, naming the
// position in the expression. Evaluation follows the CEL language
// definition: 64-bit overflow and division by zero are errors, int and uint
// never mix in arithmetic, numbers of different types compare by value, and
// `&&` / `||` absorb errors when the other side decides the result. The
// standard functions and conversions for the scalar types, lists and maps
// are available, plus the routing function
//
//   shard_hash(int | uint | string | bytes) -> uint
//
// which equals the hash routing digest of the same key (ShardHash in
// routing.h); a uint argument >= 2^63 is an evaluation error, as in the
// reference implementation.
//
// Thread-safety: a compiled CelProgram is immutable; Evaluate may be called
// from any number of threads at once. Each thread reuses its own scratch
// memory, so the common case of an evaluation allocates nothing on the heap
// beyond the returned value's own string.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/status.h"

namespace shardyfusion {

// The types a column may be declared with.
enum class CelType { kInt, kUint, kDouble, kString, kBytes, kBool };

// "int", "uint", "double", "string", "bytes", "bool".
const char* CelTypeName(CelType type);
// The inverse of CelTypeName; nullopt for any other name.
std::optional<CelType> ParseCelType(std::string_view name);

// A scalar CEL value: a column's value, or the result of an evaluation.
// A default-constructed value is CEL's null.
class CelValue {
 public:
  enum class Kind { kNull, kBool, kInt, kUint, kDouble, kString, kBytes };

  CelValue() = default;
  static CelValue Bool(bool v);
  static CelValue Int(int64_t v);
  static CelValue Uint(uint64_t v);
  static CelValue Double(double v);
  static CelValue String(std::string utf8);  // REQUIRES: valid UTF-8
  static CelValue Bytes(std::string bytes);

  Kind kind() const { return kind_; }
  // REQUIRES: the matching kind.
  bool bool_value() const { return bool_; }
  int64_t int_value() const { return int_; }
  uint64_t uint_value() const { return uint_; }
  double double_value() const { return double_; }
  // REQUIRES: kString or kBytes.
  const std::string& bytes() const { return bytes_; }

  // A CEL literal rendering: 42, 7u, 2.5, "text", b"\xff", true, null.
  std::string DebugString() const;

  // Same kind and same value (doubles compare with ==, so NaN != NaN).
  friend bool operator==(const CelValue& a, const CelValue& b);

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  double double_ = 0;
  std::string bytes_;
};

// CEL's name of a value's type: "null_type", "bool", "int", "uint",
// "double", "string", "bytes".
const char* CelKindName(CelValue::Kind kind);

struct CelColumn {
  std::string name;
  CelType type;
};

class CelProgram {
 public:
  // Compiles `expr` against `columns`. A column name must be a CEL
  // identifier and not a reserved word; names must be unique. Errors are
  // kConfigValidation with the position ("line 1, column 7: ...").
  static Result<std::shared_ptr<const CelProgram>> Compile(std::string_view expr,
                                                           std::vector<CelColumn> columns);
  ~CelProgram();
  CelProgram(const CelProgram&) = delete;
  CelProgram& operator=(const CelProgram&) = delete;

  const std::string& expr() const;
  // In declaration order; Evaluate takes values in this order.
  const std::vector<CelColumn>& columns() const;
  // The position of column `name` in columns(), or nullopt.
  std::optional<size_t> ColumnIndex(std::string_view name) const;
  // The result type the checker inferred, in CEL's notation: "int", "uint",
  // "string", "bytes", "double", "bool", "null_type", "list(int)",
  // "map(string, int)", "type" or "dyn" when it depends on the values.
  const std::string& result_type() const;

  // Evaluates with values[i] bound to columns()[i].
  //   REQUIRES: values.size() == columns().size()
  // A value whose kind is not its column's type is a kInvalidArgument error.
  // A CEL evaluation error (overflow, division by zero, no matching
  // overload at run time, ...) is a kShardAssignment error carrying CEL's
  // message. A result that is a list, a map or a type is a
  // kShardAssignment error too: only scalars leave the engine.
  Result<CelValue> Evaluate(std::span<const CelValue> values) const;

 private:
  struct Rep;
  explicit CelProgram(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace shardyfusion
