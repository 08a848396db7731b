#include "cel/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "cel/numeric.h"

namespace shardyfusion::cel {

std::string_view Arena::Intern(std::string_view s) {
  std::string* buf = NewString();
  buf->assign(s);
  return *buf;
}

std::string* Arena::NewString() {
  if (strings_used_ == strings_.size()) strings_.emplace_back();
  std::string* s = &strings_[strings_used_++];
  s->clear();
  return s;
}

ListRep* Arena::NewList() {
  if (lists_used_ == lists_.size()) lists_.emplace_back();
  ListRep* l = &lists_[lists_used_++];
  l->elems.clear();
  return l;
}

MapRep* Arena::NewMap() {
  if (maps_used_ == maps_.size()) maps_.emplace_back();
  MapRep* m = &maps_[maps_used_++];
  m->keys.clear();
  m->values.clear();
  return m;
}

Value Arena::NewError(std::string message) {
  std::string* buf = NewString();
  *buf = std::move(message);
  return Value::Error(*buf);
}

void Arena::Reset() {
  strings_used_ = 0;
  lists_used_ = 0;
  maps_used_ = 0;
}

bool ValuesEqual(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b) == NumberOrder::kEqual;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValueKind::kNull:
      return true;
    case ValueKind::kBool:
      return a.b == b.b;
    case ValueKind::kString:
    case ValueKind::kBytes:
    case ValueKind::kType:
    case ValueKind::kError:
      return a.str == b.str;
    case ValueKind::kList: {
      const auto& x = a.list->elems;
      const auto& y = b.list->elems;
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!ValuesEqual(x[i], y[i])) return false;
      }
      return true;
    }
    case ValueKind::kMap: {
      const MapRep& x = *a.map;
      const MapRep& y = *b.map;
      if (x.keys.size() != y.keys.size()) return false;
      for (size_t i = 0; i < x.keys.size(); ++i) {
        const Value* other = FindMapValue(y, x.keys[i]);
        if (other == nullptr || !ValuesEqual(x.values[i], *other)) return false;
      }
      return true;
    }
    default:
      return false;  // numbers were handled above
  }
}

const Value* FindMapValue(const MapRep& m, const Value& key) {
  for (size_t i = 0; i < m.keys.size(); ++i) {
    if (ValuesEqual(m.keys[i], key)) return &m.values[i];
  }
  return nullptr;
}

std::string_view TypeNameOf(const Value& v) {
  switch (v.kind) {
    case ValueKind::kNull:
      return "null_type";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kUint:
      return "uint";
    case ValueKind::kDouble:
      return "double";
    case ValueKind::kString:
      return "string";
    case ValueKind::kBytes:
      return "bytes";
    case ValueKind::kList:
      return "list";
    case ValueKind::kMap:
      return "map";
    case ValueKind::kType:
      return "type";
    case ValueKind::kError:
      return "error";
  }
  return "error";
}

namespace {

void Append(const Value& v, std::string* out) {
  switch (v.kind) {
    case ValueKind::kNull:
      *out += "null";
      return;
    case ValueKind::kBool:
      *out += v.b ? "true" : "false";
      return;
    case ValueKind::kInt:
      *out += std::to_string(v.i);
      return;
    case ValueKind::kUint:
      *out += std::to_string(v.u) + "u";
      return;
    case ValueKind::kDouble:
      AppendDouble(v.d, out);
      return;
    case ValueKind::kString:
      AppendCelQuoted(v.str, false, out);
      return;
    case ValueKind::kBytes:
      AppendCelQuoted(v.str, true, out);
      return;
    case ValueKind::kType:
      *out += v.str;
      return;
    case ValueKind::kError:
      *out += "error(";
      AppendCelQuoted(v.str, false, out);
      *out += ")";
      return;
    case ValueKind::kList:
      out->push_back('[');
      for (size_t i = 0; i < v.list->elems.size(); ++i) {
        if (i > 0) *out += ", ";
        Append(v.list->elems[i], out);
      }
      out->push_back(']');
      return;
    case ValueKind::kMap:
      out->push_back('{');
      for (size_t i = 0; i < v.map->keys.size(); ++i) {
        if (i > 0) *out += ", ";
        Append(v.map->keys[i], out);
        *out += ": ";
        Append(v.map->values[i], out);
      }
      out->push_back('}');
      return;
  }
}

}  // namespace

void AppendCelQuoted(std::string_view s, bool bytes, std::string* out) {
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
  if (std::isnan(d)) {
    *out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    *out += d > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  out->append(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
}

std::string ValueDebugString(const Value& v) {
  std::string out;
  Append(v, &out);
  return out;
}

}  // namespace shardyfusion::cel
