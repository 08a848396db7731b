#include "cel/ast_debug.h"

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

namespace shardyfusion::cel {

namespace {

void AppendQuoted(std::string_view s, bool bytes, std::string* out) {
  if (bytes) out->push_back('b');
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        // Non-ASCII bytes of a string are UTF-8 text and print as is.
        if (c < 0x20 || c == 0x7F || (bytes && c >= 0x80)) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          *out += buf;
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendDouble(double d, std::string* out) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view s(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
  *out += s;
  if (s.find_first_of(".eni") == std::string_view::npos) *out += ".0";
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
      AppendDouble(c.double_value, out);
      break;
    case ConstKind::kString:
      AppendQuoted(c.string_value, false, out);
      break;
    case ConstKind::kBytes:
      AppendQuoted(c.string_value, true, out);
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
