// CEL's macros: calls the parser left as calls, rewritten into the forms
// the checker and evaluator know (cel-spec langdef, "Macros").
//
//   has(e.f)                -> e.f with test_only (a presence test)
//   r.all(x, p)             -> comprehension: true, && each p (error absorbing)
//   r.exists(x, p)          -> comprehension: false, || each p
//   r.exists_one(x, p)      -> comprehension counting p; result count == 1
//                              (also spelled existsOne, as in cel-go)
//   r.map(x, t)             -> comprehension appending [t]
//   r.map(x, p, t)          -> appending [t] where p holds
//   r.filter(x, p)          -> appending [x] where p holds
// and the two-variable forms r.all(i, v, p), r.exists(i, v, p),
// r.existsOne(i, v, p), where i is the list index
// or map key and v the element or map value.
//
// The accumulator is named "@result", which no expression can spell, so it
// never collides with a user's variable. A macro whose variable is not a
// simple name, or has() of anything but a field selection, is an error
// (kConfigValidation with the position).
//
// Thread-safety: a pure function of its argument.
#pragma once

#include "cel/ast.h"
#include "shardyfusion/status.h"

namespace shardyfusion::cel {

inline constexpr const char* kAccumulatorName = "@result";

// Rewrites every macro call in `parsed` in place; new nodes get ids after
// parsed->max_id, which is updated.
Status ExpandMacros(ParsedExpr* parsed);

}  // namespace shardyfusion::cel
