// The CEL parser: source text -> ParsedExpr (see cel/ast.h).
//
// Recursive descent over the expression grammar of the CEL language
// definition, with its precedence from loosest to tightest:
//   c ? a : b (right associative), ||, &&, relations (< <= >= > == != in),
//   + -, * / %, unary ! and - (repeated), postfix (.f  .f(args)  [i]),
//   primaries (literals, identifiers and global calls, optionally with a
//   leading '.' for absolute names, (e), [list,], {map: entries,}).
// Binary operators are left associative. Operators become calls to the
// cel-go operator function names. As in cel-go, a '-' directly before a
// numeric literal is folded into it (so -9223372036854775808 parses), and
// runs of '!' or '-' cancel in pairs ("!!a" is "a"); mixing them ("-!a") is
// a syntax error, as in the grammar.
//
// Not supported at this stage (each is a clear error or left as noted):
// - message construction (Type{field: v}) is rejected: there are no
//   protobuf types;
// - macros (has, all, exists, exists_one, map, filter) are left as ordinary
//   calls; a later pass expands them;
// - the optional-value syntax (a.?b, [?x], {?k: v}) and backtick-quoted
//   field names are not parsed;
// - && and || chains are left-deep, not balanced as cel-go does.
//
// Nesting deeper than ParseOptions::max_depth (each parenthesis, list, call
// argument, operator or postfix step counts) is an error, so hostile input
// cannot overflow the stack here or in the recursive walks over the tree.
// The parser builds nodes in place to keep its recursive frames small:
// about 2 KB of stack per level, so the default limit fits in 512 KB.
//
// Errors are Status(kConfigValidation, "line L, column C: <message>").
//
// Thread-safety: Parse is a pure function.
#pragma once

#include <string_view>

#include "cel/ast.h"
#include "shardyfusion/status.h"

namespace shardyfusion::cel {

struct ParseOptions {
  int max_depth = 250;
};

Result<ParsedExpr> Parse(std::string_view source, const ParseOptions& options = ParseOptions());

}  // namespace shardyfusion::cel
