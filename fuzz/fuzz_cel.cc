// Fuzz target: the CEL engine (parser, macro expansion, checker, evaluator)
// on any bytes, read as an expression. It is compiled against variables of
// every scalar type, a list and a map (declared with their types, then all
// as dyn so that the evaluator's run-time type checks are reached with the
// checker on), with the checker on and off, and evaluated with fixed values;
// the public CelProgram compiles it over the scalar columns.
//
// Invariants: a rejected expression is a kConfigValidation error naming a
// position ("line L, column C: ..."); evaluating twice (in fresh and in
// reset arenas) gives the same result; a checked result type other than dyn
// is the type of every non-error value the expression evaluates to.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cel/program.h"
#include "cel/types.h"
#include "cel/value.h"
#include "fuzz/fuzz_check.h"
#include "shardyfusion/cel.h"

namespace shardyfusion::cel {
namespace {

// The variables every input may use, and the values they are bound to.
struct Bindings {
  std::vector<Declaration> typed;
  std::vector<Declaration> dyn;
  std::vector<Value> values;
  ListRep list;
  MapRep map;

  Bindings() {
    list.elems = {Value::Int(1), Value::Int(-2), Value::Int(3)};
    map.keys = {Value::String("a"), Value::String("b")};
    map.values = {Value::Int(1), Value::Int(2)};
    Add("i", Type::Of(TypeKind::kInt), Value::Int(-7));
    Add("u", Type::Of(TypeKind::kUint), Value::Uint(18446744073709551615ull));
    Add("d", Type::Of(TypeKind::kDouble), Value::Double(2.5));
    Add("s", Type::Of(TypeKind::kString), Value::String("h\xc3\xa9llo"));
    Add("b", Type::Of(TypeKind::kBytes), Value::Bytes(std::string_view("\x00\xff", 2)));
    Add("t", Type::Of(TypeKind::kBool), Value::Bool(true));
    Add("l", Type::List(Type::Of(TypeKind::kInt)), Value::List(&list));
    Add("m", Type::Map(Type::Of(TypeKind::kString), Type::Of(TypeKind::kInt)), Value::Map(&map));
    Add("x", Type::Dyn(), Value::Int(42));
  }

  void Add(const char* name, Type type, Value value) {
    typed.push_back({name, std::move(type)});
    dyn.push_back({name, Type::Dyn()});
    values.push_back(value);
  }
};

const Bindings& TheBindings() {
  static const Bindings* bindings = new Bindings();
  return *bindings;
}

// Program's errors start with the position; CelProgram's name the
// expression first.
void CheckCompileError(const Status& status, bool starts_with_position) {
  FUZZ_CHECK(status.code() == ErrorCode::kConfigValidation);
  if (starts_with_position) {
    FUZZ_CHECK(status.message().starts_with("line "));
  } else {
    FUZZ_CHECK(status.message().find(": line ") != std::string::npos);
  }
}

// Whether a value of `kind` may have the checked type `type`.
bool KindFits(ValueKind kind, const Type& type) {
  switch (type.kind) {
    case TypeKind::kDyn:
    case TypeKind::kTypeParam:
    case TypeKind::kError:
      return true;
    case TypeKind::kNull:
      return kind == ValueKind::kNull;
    case TypeKind::kBool:
      return kind == ValueKind::kBool;
    case TypeKind::kInt:
      return kind == ValueKind::kInt;
    case TypeKind::kUint:
      return kind == ValueKind::kUint;
    case TypeKind::kDouble:
      return kind == ValueKind::kDouble;
    case TypeKind::kString:
      return kind == ValueKind::kString;
    case TypeKind::kBytes:
      return kind == ValueKind::kBytes;
    case TypeKind::kList:
      return kind == ValueKind::kList;
    case TypeKind::kMap:
      return kind == ValueKind::kMap;
    case TypeKind::kType:
      return kind == ValueKind::kType;
  }
  return false;
}

void RunProgram(std::string_view expr, const std::vector<Declaration>& decls, bool check) {
  CompileOptions options;
  options.check = check;
  Result<std::unique_ptr<Program>> program = Program::Compile(expr, decls, options);
  if (!program.ok()) {
    CheckCompileError(program.status(), /*starts_with_position=*/true);
    return;
  }
  const std::span<const Value> values(TheBindings().values);
  Arena first_arena, second_arena;
  const Value first = (*program)->Evaluate(values, &first_arena);
  const Value second = (*program)->Evaluate(values, &second_arena);
  FUZZ_CHECK(ValueDebugString(first) == ValueDebugString(second));
  if (check && !first.is_error()) FUZZ_CHECK(KindFits(first.kind, (*program)->result_type()));
  // Reuse after Reset, as a steady-state caller does.
  first_arena.Reset();
  const Value third = (*program)->Evaluate(values, &first_arena);
  FUZZ_CHECK(ValueDebugString(third) == ValueDebugString(second));
}

void RunPublicProgram(std::string_view expr) {
  static const std::vector<CelColumn> kColumns = {{"i", CelType::kInt},    {"u", CelType::kUint},
                                                  {"d", CelType::kDouble}, {"s", CelType::kString},
                                                  {"b", CelType::kBytes},  {"t", CelType::kBool}};
  auto program = CelProgram::Compile(expr, kColumns);
  if (!program.ok()) {
    CheckCompileError(program.status(), /*starts_with_position=*/false);
    return;
  }
  const std::vector<CelValue> values = {CelValue::Int(-7),           CelValue::Uint(3),
                                        CelValue::Double(-0.5),      CelValue::String("k\xc3\xa9y"),
                                        CelValue::Bytes("\x01\x80"), CelValue::Bool(false)};
  Result<CelValue> v = (*program)->Evaluate(values);
  if (v.ok()) (void)v->DebugString();
}

void Run(std::string_view expr) {
  const Bindings& bindings = TheBindings();
  RunProgram(expr, bindings.typed, /*check=*/true);
  RunProgram(expr, bindings.typed, /*check=*/false);
  RunProgram(expr, bindings.dyn, /*check=*/true);
  RunPublicProgram(expr);
}

}  // namespace
}  // namespace shardyfusion::cel

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::cel::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
