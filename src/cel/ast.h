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
  // A loop, produced by macro expansion (cel/macros.h), never by the
  // parser directly; the fields are in `comprehension`.
  kComprehension,
};

struct MapEntry;
struct Comprehension;

struct Expr {
  int64_t id = 0;
  SourcePosition position;
  ExprKind kind = ExprKind::kConst;

  Constant constant;                             // kConst
  std::string name;                              // kIdent, kSelect (field), kCall (function)
  bool test_only = false;                        // kSelect
  std::unique_ptr<Expr> target;                  // kSelect operand; kCall receiver or null
  std::vector<Expr> args;                        // kCall arguments; kList elements
  std::vector<MapEntry> entries;                 // kMap
  std::unique_ptr<Comprehension> comprehension;  // kComprehension
};

struct MapEntry {
  int64_t id = 0;
  SourcePosition position;  // of the ':'
  Expr key;
  Expr value;
};

// CEL's one loop form (cel-spec's Comprehension):
//   accu = accu_init
//   for iter_var in iter_range:       (list elements, or map keys)
//     if !loop_condition: break       (evaluated before each element)
//     accu = loop_step
//   return result                     (accu_var and iter_var in scope)
// With iter_var2 set (the two-variable macros), iter_var is the list index
// or the map key and iter_var2 the element or the map value.
struct Comprehension {
  std::string iter_var;
  std::string iter_var2;
  Expr iter_range;
  std::string accu_var;
  Expr accu_init;
  Expr loop_condition;
  Expr loop_step;
  Expr result;
};

struct ParsedExpr {
  Expr root;
  int64_t max_id = 0;  // the largest id in the tree
};

}  // namespace shardyfusion::cel
