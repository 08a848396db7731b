// The abstract syntax tree of a parsed CEL expression.
//
// An Expr is a tagged struct (ExprKind says which fields are meaningful)
// that owns its children by value: `args` holds call arguments and list
// elements, `target` the operand of a select or the receiver of a
// receiver-style call, `entries` the key/value pairs of a map literal.
// Operators are calls to the CEL operator functions ("_+_", "_&&_",
// "_?_:_", "_[_]", "!_", "-_", "@in", ...), as in cel-go, so a later checker
// and evaluator see one uniform shape.
//
// Every node carries an id (unique within one ParsedExpr, assigned from 1 in
// parse order) and the 1-based line and column (in bytes) where it starts;
// operator calls are positioned at their operator token.
//
// Thread-safety: plain values; distinct objects may be used from distinct
// threads, and a const tree may be read by many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shardyfusion::cel {

struct SourcePosition {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, in bytes
};

enum class ConstKind { kNull, kBool, kInt, kUint, kDouble, kString, kBytes };

struct Constant {
  ConstKind kind = ConstKind::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  std::string string_value;  // kString: UTF-8 text; kBytes: raw bytes
};

enum class ExprKind {
  kConst,   // constant
  kIdent,   // name (a leading '.' is kept: ".a.b" names are absolute)
  kSelect,  // target.name; test_only marks a has() presence test
  kCall,    // name(args) or, when target is set, target.name(args)
  kList,    // [args...]
  kMap,     // {entries...}
};

struct MapEntry;

struct Expr {
  int64_t id = 0;
  SourcePosition position;
  ExprKind kind = ExprKind::kConst;

  Constant constant;              // kConst
  std::string name;               // kIdent, kSelect (field), kCall (function)
  bool test_only = false;         // kSelect
  std::unique_ptr<Expr> target;   // kSelect operand; kCall receiver or null
  std::vector<Expr> args;         // kCall arguments; kList elements
  std::vector<MapEntry> entries;  // kMap
};

struct MapEntry {
  int64_t id = 0;
  SourcePosition position;  // of the ':'
  Expr key;
  Expr value;
};

struct ParsedExpr {
  Expr root;
  int64_t max_id = 0;  // the largest id in the tree
};

}  // namespace shardyfusion::cel
