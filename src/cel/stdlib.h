// The function overloads of CEL's standard library for the types this
// engine has (no protobuf messages, timestamps or durations), plus the
// routing function shard_hash. One table serves both the checker (the
// parameter and result types) and the evaluator (the implementation), so
// the two cannot disagree about what exists.
//
// The language's special forms are not here: && || ?: (non-strict),
// @not_strictly_false, field selection, has(), comprehensions, list and map
// literals. Everything in the table is strict: the evaluator propagates an
// argument's error before calling an implementation.
//
// Thread-safety: the table is built once, then read-only; implementations
// are reentrant (matches() keeps a per-thread cache of compiled patterns).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "cel/types.h"
#include "cel/value.h"

namespace shardyfusion::cel {

// REQUIRES: args match the overload's parameter kinds and none is an error.
using OverloadImpl = Value (*)(const Value* args, Arena* arena);

struct Overload {
  const char* id;        // cel-spec style overload id, e.g. "add_int64"
  const char* function;  // "_+_", "size", "startsWith", ...
  bool receiver;         // called as args[0].function(args[1..])
  std::vector<Type> params;
  Type result;
  OverloadImpl impl;
};

// Every overload of `function` with the given call style, in table order;
// empty if there is none.
std::span<const Overload* const> FindOverloads(std::string_view function, bool receiver);

// True if some overload of `function` exists in either call style.
bool IsKnownFunction(std::string_view function);

// Whether runtime values fit an overload's parameters: scalars by kind,
// lists and maps by kind (element types are not re-checked), dyn and type
// parameters accept anything.
bool ArgsMatch(const Overload& overload, const Value* args, size_t n);

// The error of a call that no overload accepts, naming the argument types.
Value NoMatchingOverload(std::string_view function, const Value* args, size_t n, Arena* arena);

}  // namespace shardyfusion::cel
