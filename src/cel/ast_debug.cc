#include "cel/ast_debug.h"

#include <string>
#include <string_view>

#include "cel/value.h"

namespace shardyfusion::cel {

namespace {

// A double constant, always marked as one ("1.0", not "1").
void AppendDoubleConstant(double d, std::string* out) {
  size_t start = out->size();
  AppendDouble(d, out);
  if (out->find_first_of(".eIN", start) == std::string::npos) *out += ".0";
}

void AppendConstant(const Constant& c, std::string* out) {
  switch (c.kind) {
    case ConstKind::kNull:
      *out += "null";
      break;
    case ConstKind::kBool:
      *out += c.bool_value ? "true" : "false";
      break;
    case ConstKind::kInt:
      *out += std::to_string(c.int_value);
      break;
    case ConstKind::kUint:
      *out += std::to_string(c.uint_value) + "u";
      break;
    case ConstKind::kDouble:
      AppendDoubleConstant(c.double_value, out);
      break;
    case ConstKind::kString:
      AppendCelQuoted(c.string_value, false, out);
      break;
    case ConstKind::kBytes:
      AppendCelQuoted(c.string_value, true, out);
      break;
  }
}

void Append(const Expr& e, std::string* out) {
  switch (e.kind) {
    case ExprKind::kConst:
      AppendConstant(e.constant, out);
      return;
    case ExprKind::kIdent:
      *out += e.name;
      return;
    case ExprKind::kSelect:
      Append(*e.target, out);
      *out += "." + e.name;
      if (e.test_only) *out += "~test-only";
      return;
    case ExprKind::kCall:
      if (e.target != nullptr) {
        Append(*e.target, out);
        out->push_back('.');
      }
      *out += e.name + "(";
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) *out += ", ";
        Append(e.args[i], out);
      }
      out->push_back(')');
      return;
    case ExprKind::kList:
      out->push_back('[');
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i > 0) *out += ", ";
        Append(e.args[i], out);
      }
      out->push_back(']');
      return;
    case ExprKind::kMap:
      out->push_back('{');
      for (size_t i = 0; i < e.entries.size(); ++i) {
        if (i > 0) *out += ", ";
        Append(e.entries[i].key, out);
        *out += ": ";
        Append(e.entries[i].value, out);
      }
      out->push_back('}');
      return;
    case ExprKind::kComprehension: {
      const Comprehension& c = *e.comprehension;
      *out += "__comprehension__(" + c.iter_var + ", ";
      Append(c.iter_range, out);
      *out += ", " + c.accu_var + ", ";
      Append(c.accu_init, out);
      *out += ", ";
      Append(c.loop_condition, out);
      *out += ", ";
      Append(c.loop_step, out);
      *out += ", ";
      Append(c.result, out);
      out->push_back(')');
      return;
    }
  }
}

}  // namespace

std::string DebugString(const Expr& expr) {
  std::string out;
  Append(expr, &out);
  return out;
}

}  // namespace shardyfusion::cel
