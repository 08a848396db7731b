// Type inference for the CEL checker: type parameters, their bindings, and
// overload resolution.
//
// The checker gives each empty list or map literal, each ?: and each
// overload's own parameters (A, B) fresh type parameters; assigning a type
// to a parameter binds it for the rest of the check, so `[].map(x, x + 1)`
// ends up list(int) once the step's type is known. dyn (and an expression
// that already failed) is assignable both ways to anything.
//
// Thread-safety: one Unifier per check; not shared.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "cel/stdlib.h"
#include "cel/types.h"

namespace shardyfusion::cel {

class Unifier {
 public:
  // A type parameter no other has used.
  Type Fresh();

  // `t` with its top-level parameter replaced by its binding, repeatedly.
  Type Prune(const Type& t) const;

  // Whether a value of type `source` may flow where `target` is expected;
  // binds parameters on either side as needed (bindings stay on success and
  // on failure alike, so callers try candidates through ResolveOverloads).
  bool Assign(const Type& target, const Type& source);

  // `t` with every bound parameter substituted and every free one as dyn.
  Type Finalize(const Type& t) const;

  // Picks the overloads whose parameters accept `args`. With exactly one,
  // its bindings are kept and *result is its result type; with several,
  // *result is their common result type or dyn, and no binding is kept.
  // False when none accepts.
  bool ResolveOverloads(std::span<const Overload* const> overloads, const std::vector<Type>& args,
                        std::vector<const Overload*>* chosen, Type* result);

 private:
  Type Substitute(const Type& t, bool free_as_dyn) const;
  Type Rename(const Type& t, std::map<std::string, Type>* fresh);

  std::map<std::string, Type> bindings_;
  int next_ = 0;
};

}  // namespace shardyfusion::cel
