// A compact, deterministic text form of a CEL AST, for tests and logs.
//
//   constants   1  1u  1.5  "s"  b"\xff"  true  null
//   identifiers x  .a
//   select      x.f   (a has() test: x.f~test-only)
//   calls       f(a, b)   target.f(a)   operators: _+_(1, _*_(2, x))
//   lists/maps  [1, 2]   {"k": v}
//   loops       __comprehension__(x, range, @result, init, cond, step, result)
// Strings and bytes print with C-style escapes; doubles in their shortest
// round-trip form, always with a '.', 'e', "inf" or "nan".
//
// Thread-safety: a pure function of a const tree.
#pragma once

#include <string>

#include "cel/ast.h"

namespace shardyfusion::cel {

std::string DebugString(const Expr& expr);

}  // namespace shardyfusion::cel
