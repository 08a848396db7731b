// A compiled CEL expression: parse, expand macros, check, then evaluate
// many times. The public CelProgram (shardyfusion/cel.h) wraps this for
// scalar columns; tests, the conformance runner and `shardy cel eval` use it
// directly for lists, maps and untyped variables.
//
// Variables are declared up front and bound by position at evaluation, so
// an evaluation never looks a name up. A dotted name may be declared
// ("a.b.c"); the expression `a.b.c` then reads it (CEL's qualified
// identifier resolution: the longest declared prefix wins, remaining
// segments select map fields).
//
// Thread-safety: a Program is immutable after Compile; Evaluate may run on
// many threads at once, each with its own Arena.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cel/parser.h"
#include "cel/types.h"
#include "cel/value.h"
#include "shardyfusion/status.h"

namespace shardyfusion::cel {

// The work one evaluation may do (cel/value.h, Arena::SetBudget): one
// million loop iterations or list elements created. A routing expression
// needs a handful; nested macros over large lists end in an evaluation
// error instead of hanging a build or a reader.
inline constexpr uint64_t kEvaluationBudget = 1'000'000;

struct Declaration {
  std::string name;
  Type type;
};

struct CompileOptions {
  ParseOptions parse;
  bool expand_macros = true;
  // Off: skip the type checker; type errors then surface at evaluation as
  // error values ("no matching overload ..."), as in CEL's unchecked mode.
  bool check = true;
};

class Program {
 public:
  // Errors are kConfigValidation with "line L, column C: message".
  static Result<std::unique_ptr<Program>> Compile(std::string_view source,
                                                  std::vector<Declaration> declarations,
                                                  const CompileOptions& options = CompileOptions());
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  const std::vector<Declaration>& declarations() const;
  // The checked result type (dyn when checking was off).
  const Type& result_type() const;

  // REQUIRES: vars.size() == declarations().size(); every non-error value
  // in vars and everything it points at outlive the returned value.
  // The result may point into `arena` (until its Reset), into the Program
  // (its constants) or into `vars`.
  Value Evaluate(std::span<const Value> vars, Arena* arena) const;

 private:
  struct Rep;
  explicit Program(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace shardyfusion::cel
