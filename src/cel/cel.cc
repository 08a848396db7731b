// The public CEL API (shardyfusion/cel.h) over cel::Program.
#include "shardyfusion/cel.h"

#include <new>
#include <utility>

#include "cel/lexer.h"
#include "cel/program.h"
#include "cel/value.h"

namespace shardyfusion {

const char* CelTypeName(CelType type) {
  switch (type) {
    case CelType::kInt:
      return "int";
    case CelType::kUint:
      return "uint";
    case CelType::kDouble:
      return "double";
    case CelType::kString:
      return "string";
    case CelType::kBytes:
      return "bytes";
    case CelType::kBool:
      return "bool";
  }
  return "int";
}

std::optional<CelType> ParseCelType(std::string_view name) {
  for (CelType t : {CelType::kInt, CelType::kUint, CelType::kDouble, CelType::kString,
                    CelType::kBytes, CelType::kBool}) {
    if (name == CelTypeName(t)) return t;
  }
  return std::nullopt;
}

CelValue CelValue::Bool(bool v) {
  CelValue x;
  x.kind_ = Kind::kBool;
  x.bool_ = v;
  return x;
}
CelValue CelValue::Int(int64_t v) {
  CelValue x;
  x.kind_ = Kind::kInt;
  x.int_ = v;
  return x;
}
CelValue CelValue::Uint(uint64_t v) {
  CelValue x;
  x.kind_ = Kind::kUint;
  x.uint_ = v;
  return x;
}
CelValue CelValue::Double(double v) {
  CelValue x;
  x.kind_ = Kind::kDouble;
  x.double_ = v;
  return x;
}
CelValue CelValue::String(std::string utf8) {
  CelValue x;
  x.kind_ = Kind::kString;
  x.bytes_ = std::move(utf8);
  return x;
}
CelValue CelValue::Bytes(std::string bytes) {
  CelValue x;
  x.kind_ = Kind::kBytes;
  x.bytes_ = std::move(bytes);
  return x;
}

namespace {

cel::Value ToInternal(const CelValue& v) {
  switch (v.kind()) {
    case CelValue::Kind::kNull:
      return cel::Value::Null();
    case CelValue::Kind::kBool:
      return cel::Value::Bool(v.bool_value());
    case CelValue::Kind::kInt:
      return cel::Value::Int(v.int_value());
    case CelValue::Kind::kUint:
      return cel::Value::Uint(v.uint_value());
    case CelValue::Kind::kDouble:
      return cel::Value::Double(v.double_value());
    case CelValue::Kind::kString:
      return cel::Value::String(v.bytes());
    case CelValue::Kind::kBytes:
      return cel::Value::Bytes(v.bytes());
  }
  return cel::Value::Null();
}

bool KindFits(CelValue::Kind kind, CelType type) {
  switch (type) {
    case CelType::kInt:
      return kind == CelValue::Kind::kInt;
    case CelType::kUint:
      return kind == CelValue::Kind::kUint;
    case CelType::kDouble:
      return kind == CelValue::Kind::kDouble;
    case CelType::kString:
      return kind == CelValue::Kind::kString;
    case CelType::kBytes:
      return kind == CelValue::Kind::kBytes;
    case CelType::kBool:
      return kind == CelValue::Kind::kBool;
  }
  return false;
}

cel::Type ToType(CelType t) {
  switch (t) {
    case CelType::kInt:
      return cel::Type::Of(cel::TypeKind::kInt);
    case CelType::kUint:
      return cel::Type::Of(cel::TypeKind::kUint);
    case CelType::kDouble:
      return cel::Type::Of(cel::TypeKind::kDouble);
    case CelType::kString:
      return cel::Type::Of(cel::TypeKind::kString);
    case CelType::kBytes:
      return cel::Type::Of(cel::TypeKind::kBytes);
    case CelType::kBool:
      return cel::Type::Of(cel::TypeKind::kBool);
  }
  return cel::Type::Dyn();
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

cel::Arena& ThreadArena() {
  thread_local cel::Arena arena;
  return arena;
}

Result<CelValue> ToPublic(const cel::Value& v) {
  switch (v.kind) {
    case cel::ValueKind::kNull:
      return CelValue();
    case cel::ValueKind::kBool:
      return CelValue::Bool(v.b);
    case cel::ValueKind::kInt:
      return CelValue::Int(v.i);
    case cel::ValueKind::kUint:
      return CelValue::Uint(v.u);
    case cel::ValueKind::kDouble:
      return CelValue::Double(v.d);
    case cel::ValueKind::kString:
      return CelValue::String(std::string(v.str));
    case cel::ValueKind::kBytes:
      return CelValue::Bytes(std::string(v.str));
    case cel::ValueKind::kError:
      return Status(ErrorCode::kShardAssignment, "CEL evaluation failed: " + std::string(v.str));
    default:
      return Status(ErrorCode::kShardAssignment,
                    "CEL expression gave a " + std::string(cel::TypeNameOf(v)) +
                        " value; only scalar results (int, uint, double, string, bytes, bool, "
                        "null) can be used");
  }
}

}  // namespace

const char* CelKindName(CelValue::Kind kind) {
  switch (kind) {
    case CelValue::Kind::kNull:
      return "null_type";
    case CelValue::Kind::kBool:
      return "bool";
    case CelValue::Kind::kInt:
      return "int";
    case CelValue::Kind::kUint:
      return "uint";
    case CelValue::Kind::kDouble:
      return "double";
    case CelValue::Kind::kString:
      return "string";
    case CelValue::Kind::kBytes:
      return "bytes";
  }
  return "null_type";
}

std::string CelValue::DebugString() const { return cel::ValueDebugString(ToInternal(*this)); }

bool operator==(const CelValue& a, const CelValue& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case CelValue::Kind::kNull:
      return true;
    case CelValue::Kind::kBool:
      return a.bool_ == b.bool_;
    case CelValue::Kind::kInt:
      return a.int_ == b.int_;
    case CelValue::Kind::kUint:
      return a.uint_ == b.uint_;
    case CelValue::Kind::kDouble:
      return a.double_ == b.double_;
    default:
      return a.bytes_ == b.bytes_;
  }
}

struct CelProgram::Rep {
  std::string expr;
  std::vector<CelColumn> columns;
  std::string result_type;
  std::unique_ptr<cel::Program> program;
};

CelProgram::CelProgram(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
CelProgram::~CelProgram() = default;

Result<std::shared_ptr<const CelProgram>> CelProgram::Compile(std::string_view expr,
                                                              std::vector<CelColumn> columns) {
  std::vector<cel::Declaration> decls;
  for (const CelColumn& c : columns) {
    bool keyword = c.name == "true" || c.name == "false" || c.name == "null" || c.name == "in";
    if (!IsIdentifier(c.name) || keyword || cel::IsReservedWord(c.name)) {
      return Status(ErrorCode::kConfigValidation,
                    "CEL column name '" + c.name +
                        "' is not a valid identifier (letters, digits and '_', not starting with "
                        "a digit, and not a reserved word)");
    }
    decls.push_back(cel::Declaration{c.name, ToType(c.type)});
  }
  auto program = cel::Program::Compile(expr, std::move(decls));
  if (!program.ok()) {
    return Status(ErrorCode::kConfigValidation,
                  "CEL expression '" + std::string(expr) + "': " + program.status().message());
  }
  auto rep = std::make_unique<Rep>();
  rep->expr = std::string(expr);
  rep->columns = std::move(columns);
  rep->program = std::move(program).value();
  rep->result_type = cel::TypeName(rep->program->result_type());
  return std::shared_ptr<const CelProgram>(new CelProgram(std::move(rep)));
}

const std::string& CelProgram::expr() const { return rep_->expr; }
const std::vector<CelColumn>& CelProgram::columns() const { return rep_->columns; }
const std::string& CelProgram::result_type() const { return rep_->result_type; }

std::optional<size_t> CelProgram::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < rep_->columns.size(); ++i) {
    if (rep_->columns[i].name == name) return i;
  }
  return std::nullopt;
}

Result<CelValue> CelProgram::Evaluate(std::span<const CelValue> values) const {
  const auto& columns = rep_->columns;
  if (values.size() != columns.size()) {
    return Status(ErrorCode::kInvalidArgument, "CEL evaluation got " +
                                                   std::to_string(values.size()) + " values for " +
                                                   std::to_string(columns.size()) + " columns");
  }
  cel::Arena& arena = ThreadArena();
  constexpr size_t kInline = 16;
  alignas(cel::Value) unsigned char inline_vars[kInline * sizeof(cel::Value)];
  std::vector<cel::Value> heap_vars;
  cel::Value* vars = reinterpret_cast<cel::Value*>(inline_vars);
  if (values.size() > kInline) {
    heap_vars.resize(values.size());
    vars = heap_vars.data();
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (!KindFits(values[i].kind(), columns[i].type)) {
      return Status(ErrorCode::kInvalidArgument, "CEL column '" + columns[i].name +
                                                     "' is declared " +
                                                     CelTypeName(columns[i].type) + " but got a " +
                                                     CelKindName(values[i].kind()) + " value");
    }
    new (&vars[i]) cel::Value(ToInternal(values[i]));
  }
  cel::Value v = rep_->program->Evaluate(std::span<const cel::Value>(vars, values.size()), &arena);
  Result<CelValue> out = ToPublic(v);
  arena.Reset();
  return out;
}

}  // namespace shardyfusion
