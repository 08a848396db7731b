#include "cel/stdlib.h"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "cel/numeric.h"
#include "core/xxh3.h"

namespace shardyfusion::cel {

namespace {

// Static error messages: no allocation on the error path of hot functions.
constexpr std::string_view kOverflow = "integer overflow";
constexpr std::string_view kDivideByZero = "division by zero";
constexpr std::string_view kModulusByZero = "modulus by zero";
constexpr std::string_view kRange = "range error: the value does not fit the target type";

// --- arithmetic -------------------------------------------------------------

Value AddInt(const Value* a, Arena*) {
  int64_t r;
  if (__builtin_add_overflow(a[0].i, a[1].i, &r)) return Value::Error(kOverflow);
  return Value::Int(r);
}
Value SubInt(const Value* a, Arena*) {
  int64_t r;
  if (__builtin_sub_overflow(a[0].i, a[1].i, &r)) return Value::Error(kOverflow);
  return Value::Int(r);
}
Value MulInt(const Value* a, Arena*) {
  int64_t r;
  if (__builtin_mul_overflow(a[0].i, a[1].i, &r)) return Value::Error(kOverflow);
  return Value::Int(r);
}
Value DivInt(const Value* a, Arena*) {
  if (a[1].i == 0) return Value::Error(kDivideByZero);
  if (a[1].i == -1 && a[0].i == INT64_MIN) return Value::Error(kOverflow);
  return Value::Int(a[0].i / a[1].i);
}
Value ModInt(const Value* a, Arena*) {
  if (a[1].i == 0) return Value::Error(kModulusByZero);
  if (a[1].i == -1) return Value::Int(0);  // INT64_MIN % -1 traps in C++
  return Value::Int(a[0].i % a[1].i);
}
Value NegInt(const Value* a, Arena*) {
  if (a[0].i == INT64_MIN) return Value::Error(kOverflow);
  return Value::Int(-a[0].i);
}
Value AddUint(const Value* a, Arena*) {
  uint64_t r;
  if (__builtin_add_overflow(a[0].u, a[1].u, &r)) return Value::Error(kOverflow);
  return Value::Uint(r);
}
Value SubUint(const Value* a, Arena*) {
  uint64_t r;
  if (__builtin_sub_overflow(a[0].u, a[1].u, &r)) return Value::Error(kOverflow);
  return Value::Uint(r);
}
Value MulUint(const Value* a, Arena*) {
  uint64_t r;
  if (__builtin_mul_overflow(a[0].u, a[1].u, &r)) return Value::Error(kOverflow);
  return Value::Uint(r);
}
Value DivUint(const Value* a, Arena*) {
  if (a[1].u == 0) return Value::Error(kDivideByZero);
  return Value::Uint(a[0].u / a[1].u);
}
Value ModUint(const Value* a, Arena*) {
  if (a[1].u == 0) return Value::Error(kModulusByZero);
  return Value::Uint(a[0].u % a[1].u);
}
Value AddDouble(const Value* a, Arena*) { return Value::Double(a[0].d + a[1].d); }
Value SubDouble(const Value* a, Arena*) { return Value::Double(a[0].d - a[1].d); }
Value MulDouble(const Value* a, Arena*) { return Value::Double(a[0].d * a[1].d); }
Value DivDouble(const Value* a, Arena*) { return Value::Double(a[0].d / a[1].d); }
Value NegDouble(const Value* a, Arena*) { return Value::Double(-a[0].d); }

constexpr std::string_view kBudget =
    "evaluation budget exceeded (too many loop iterations or too large a value)";

Value Concat(const Value* a, Arena* arena, ValueKind kind) {
  if (a[0].str.empty()) return a[1];
  if (a[1].str.empty()) return a[0];
  if (!arena->Spend((a[0].str.size() + a[1].str.size()) / 16)) return Value::Error(kBudget);
  std::string* s = arena->NewString();
  s->reserve(a[0].str.size() + a[1].str.size());
  s->append(a[0].str);
  s->append(a[1].str);
  Value v = kind == ValueKind::kString ? Value::String(*s) : Value::Bytes(*s);
  return v;
}
Value AddString(const Value* a, Arena* arena) { return Concat(a, arena, ValueKind::kString); }
Value AddBytes(const Value* a, Arena* arena) { return Concat(a, arena, ValueKind::kBytes); }
Value AddList(const Value* a, Arena* arena) {
  if (a[0].list->elems.empty()) return a[1];
  if (a[1].list->elems.empty()) return a[0];
  if (!arena->Spend(a[0].list->elems.size() + a[1].list->elems.size())) {
    return Value::Error(kBudget);
  }
  ListRep* l = arena->NewList();
  l->elems.reserve(a[0].list->elems.size() + a[1].list->elems.size());
  l->elems.insert(l->elems.end(), a[0].list->elems.begin(), a[0].list->elems.end());
  l->elems.insert(l->elems.end(), a[1].list->elems.begin(), a[1].list->elems.end());
  return Value::List(l);
}

Value Not(const Value* a, Arena*) { return Value::Bool(!a[0].b); }

// --- equality, ordering, membership ------------------------------------------

Value Equals(const Value* a, Arena*) { return Value::Bool(ValuesEqual(a[0], a[1])); }
Value NotEquals(const Value* a, Arena*) { return Value::Bool(!ValuesEqual(a[0], a[1])); }

// The order of two values of one comparable kind, or of two numbers.
NumberOrder OrderOf(const Value& x, const Value& y) {
  if (IsNumber(x) && IsNumber(y)) return CompareNumbers(x, y);
  switch (x.kind) {
    case ValueKind::kBool:
      return Order(x.b, y.b);
    case ValueKind::kString:
    case ValueKind::kBytes: {
      int c = x.str.compare(y.str);
      return c < 0 ? NumberOrder::kLess : c > 0 ? NumberOrder::kGreater : NumberOrder::kEqual;
    }
    default:
      return NumberOrder::kUnordered;
  }
}
Value Less(const Value* a, Arena*) {
  return Value::Bool(OrderOf(a[0], a[1]) == NumberOrder::kLess);
}
Value LessEq(const Value* a, Arena*) {
  NumberOrder o = OrderOf(a[0], a[1]);
  return Value::Bool(o == NumberOrder::kLess || o == NumberOrder::kEqual);
}
Value Greater(const Value* a, Arena*) {
  return Value::Bool(OrderOf(a[0], a[1]) == NumberOrder::kGreater);
}
Value GreaterEq(const Value* a, Arena*) {
  NumberOrder o = OrderOf(a[0], a[1]);
  return Value::Bool(o == NumberOrder::kGreater || o == NumberOrder::kEqual);
}

Value InList(const Value* a, Arena*) {
  for (const Value& e : a[1].list->elems) {
    if (ValuesEqual(e, a[0])) return Value::Bool(true);
  }
  return Value::Bool(false);
}
Value InMap(const Value* a, Arena*) {
  return Value::Bool(FindMapValue(*a[1].map, a[0]) != nullptr);
}

// --- indexing and size -------------------------------------------------------

// A list index: an int, or a uint or an integral double (heterogeneous
// numbers, as in cel-go); nullopt for anything else.
std::optional<int64_t> ListIndex(const Value& v) {
  switch (v.kind) {
    case ValueKind::kInt:
      return v.i;
    case ValueKind::kUint:
      if (v.u > static_cast<uint64_t>(INT64_MAX)) return -1;
      return static_cast<int64_t>(v.u);
    case ValueKind::kDouble: {
      auto i = DoubleToInt(v.d);
      if (!i || static_cast<double>(*i) != v.d) return std::nullopt;
      return i;
    }
    default:
      return std::nullopt;
  }
}
Value IndexList(const Value* a, Arena* arena) {
  auto i = ListIndex(a[1]);
  if (!i) return Value::Error("unsupported index type: a list index must be an integer");
  const auto& elems = a[0].list->elems;
  if (*i < 0 || static_cast<uint64_t>(*i) >= elems.size()) {
    return arena->NewError("index out of bounds: " + std::to_string(*i) + " (list size " +
                           std::to_string(elems.size()) + ")");
  }
  return elems[static_cast<size_t>(*i)];
}
Value IndexMap(const Value* a, Arena* arena) {
  const Value* v = FindMapValue(*a[0].map, a[1]);
  if (v == nullptr) return arena->NewError("no such key: " + ValueDebugString(a[1]));
  return *v;
}

// Code points of valid UTF-8 (strings are valid by construction).
int64_t CodePoints(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}
Value SizeString(const Value* a, Arena*) { return Value::Int(CodePoints(a[0].str)); }
Value SizeBytes(const Value* a, Arena*) {
  return Value::Int(static_cast<int64_t>(a[0].str.size()));
}
Value SizeList(const Value* a, Arena*) {
  return Value::Int(static_cast<int64_t>(a[0].list->elems.size()));
}
Value SizeMap(const Value* a, Arena*) {
  return Value::Int(static_cast<int64_t>(a[0].map->keys.size()));
}

// --- conversions ---------------------------------------------------------------

Value Identity(const Value* a, Arena*) { return a[0]; }

Value IntFromUint(const Value* a, Arena*) {
  if (a[0].u > static_cast<uint64_t>(INT64_MAX)) return Value::Error(kRange);
  return Value::Int(static_cast<int64_t>(a[0].u));
}
Value IntFromDouble(const Value* a, Arena*) {
  auto i = DoubleToInt(a[0].d);
  return i ? Value::Int(*i) : Value::Error(kRange);
}
template <typename T>
std::optional<T> ParseInteger(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
Value IntFromString(const Value* a, Arena* arena) {
  std::string_view s = a[0].str;
  auto v = ParseInteger<int64_t>(s.size() > 1 && s[0] == '+' ? s.substr(1) : s);
  if (!v) return arena->NewError("cannot convert \"" + std::string(s) + "\" to int");
  return Value::Int(*v);
}
Value UintFromInt(const Value* a, Arena*) {
  if (a[0].i < 0) return Value::Error(kRange);
  return Value::Uint(static_cast<uint64_t>(a[0].i));
}
Value UintFromDouble(const Value* a, Arena*) {
  auto u = DoubleToUint(a[0].d);
  return u ? Value::Uint(*u) : Value::Error(kRange);
}
Value UintFromString(const Value* a, Arena* arena) {
  std::string_view s = a[0].str;
  auto v = ParseInteger<uint64_t>(s.size() > 1 && s[0] == '+' ? s.substr(1) : s);
  if (!v) return arena->NewError("cannot convert \"" + std::string(s) + "\" to uint");
  return Value::Uint(*v);
}
Value DoubleFromInt(const Value* a, Arena*) { return Value::Double(static_cast<double>(a[0].i)); }
Value DoubleFromUint(const Value* a, Arena*) { return Value::Double(static_cast<double>(a[0].u)); }
Value DoubleFromString(const Value* a, Arena* arena) {
  std::string_view s = a[0].str;
  auto d = ParseDecimalDouble(s.size() > 1 && s[0] == '+' ? s.substr(1) : s);
  if (!d) return arena->NewError("cannot convert \"" + std::string(s) + "\" to double");
  return Value::Double(*d);
}
Value StringFromInt(const Value* a, Arena* arena) {
  std::string* s = arena->NewString();
  *s = std::to_string(a[0].i);
  return Value::String(*s);
}
Value StringFromUint(const Value* a, Arena* arena) {
  std::string* s = arena->NewString();
  *s = std::to_string(a[0].u);
  return Value::String(*s);
}
Value StringFromDouble(const Value* a, Arena* arena) {
  std::string* s = arena->NewString();
  AppendDouble(a[0].d, s);
  return Value::String(*s);
}
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are invalid.
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}
Value StringFromBytes(const Value* a, Arena*) {
  if (!IsValidUtf8(a[0].str)) return Value::Error("invalid UTF-8 in bytes converted to string");
  return Value::String(a[0].str);
}
Value StringFromBool(const Value* a, Arena*) { return Value::String(a[0].b ? "true" : "false"); }
Value BytesFromString(const Value* a, Arena*) { return Value::Bytes(a[0].str); }
Value BoolFromString(const Value* a, Arena* arena) {
  std::string_view s = a[0].str;
  for (std::string_view t : {"1", "t", "true", "TRUE", "True"}) {
    if (s == t) return Value::Bool(true);
  }
  for (std::string_view f : {"0", "f", "false", "FALSE", "False"}) {
    if (s == f) return Value::Bool(false);
  }
  return arena->NewError("type conversion error: cannot convert \"" + std::string(s) +
                         "\" to bool");
}
Value TypeOfValue(const Value* a, Arena*) { return Value::Type(TypeNameOf(a[0])); }

// --- strings -------------------------------------------------------------------

Value Contains(const Value* a, Arena*) {
  return Value::Bool(a[0].str.find(a[1].str) != std::string_view::npos);
}
Value StartsWith(const Value* a, Arena*) { return Value::Bool(a[0].str.starts_with(a[1].str)); }
Value EndsWith(const Value* a, Arena*) { return Value::Bool(a[0].str.ends_with(a[1].str)); }

// Compiled patterns, per thread: routing expressions reuse one pattern for
// every record, so compiling it per call would dominate.
class PatternCache {
 public:
  const RE2* Get(std::string_view pattern) {
    auto it = by_pattern_.find(pattern);
    if (it != by_pattern_.end()) return it->second.get();
    if (by_pattern_.size() >= kCapacity) {
      by_pattern_.erase(std::string_view(order_.front()));
      order_.pop_front();
    }
    order_.emplace_back(pattern);
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(order_.back(), options);
    const RE2* raw = re.get();
    by_pattern_.emplace(std::string_view(order_.back()), std::move(re));
    return raw;
  }

 private:
  static constexpr size_t kCapacity = 32;
  std::list<std::string> order_;  // insertion order; owns the keys' text
  std::map<std::string_view, std::unique_ptr<RE2>> by_pattern_;
};

Value Matches(const Value* a, Arena* arena) {
  thread_local PatternCache cache;
  const RE2* re = cache.Get(a[1].str);
  if (!re->ok()) return arena->NewError("invalid regular expression: " + re->error());
  return Value::Bool(RE2::PartialMatch(re2::StringPiece(a[0].str.data(), a[0].str.size()), *re));
}

// --- routing -------------------------------------------------------------------

Value ShardHashBytes(const Value* a, Arena*) { return Value::Uint(Xxh3Digest(a[0].str)); }
Value ShardHashInt(const Value* a, Arena*) {
  char le[8];
  uint64_t u = static_cast<uint64_t>(a[0].i);
  for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(u >> (8 * i));
  return Value::Uint(Xxh3Digest(std::string_view(le, 8)));
}
Value ShardHashUint(const Value* a, Arena*) {
  // The reference hashes uints through the signed path, which rejects them
  // beyond INT64_MAX.
  if (a[0].u > static_cast<uint64_t>(INT64_MAX)) {
    return Value::Error("shard_hash: uint argument out of range (must be < 2^63)");
  }
  Value as_int = Value::Int(static_cast<int64_t>(a[0].u));
  return ShardHashInt(&as_int, nullptr);
}

// --- the table -----------------------------------------------------------------

Type T(TypeKind k) { return Type::Of(k); }
Type A() { return Type::Param("A"); }
Type B() { return Type::Param("B"); }

struct Table {
  std::vector<Overload> all;
  // (function, receiver) -> overloads, pointing into `all`.
  std::map<std::pair<std::string, bool>, std::vector<const Overload*>, std::less<>> index;
};

Table BuildTable() {
  Table t;
  auto add = [&](const char* id, const char* fn, bool recv, std::vector<Type> params, Type result,
                 OverloadImpl impl) {
    t.all.push_back(Overload{id, fn, recv, std::move(params), std::move(result), impl});
  };
  const Type kInt = T(TypeKind::kInt), kUint = T(TypeKind::kUint), kDouble = T(TypeKind::kDouble),
             kString = T(TypeKind::kString), kBytes = T(TypeKind::kBytes),
             kBool = T(TypeKind::kBool), kDyn = Type::Dyn();

  add("add_int64", "_+_", false, {kInt, kInt}, kInt, AddInt);
  add("add_uint64", "_+_", false, {kUint, kUint}, kUint, AddUint);
  add("add_double", "_+_", false, {kDouble, kDouble}, kDouble, AddDouble);
  add("add_string", "_+_", false, {kString, kString}, kString, AddString);
  add("add_bytes", "_+_", false, {kBytes, kBytes}, kBytes, AddBytes);
  add("add_list", "_+_", false, {Type::List(A()), Type::List(A())}, Type::List(A()), AddList);
  add("subtract_int64", "_-_", false, {kInt, kInt}, kInt, SubInt);
  add("subtract_uint64", "_-_", false, {kUint, kUint}, kUint, SubUint);
  add("subtract_double", "_-_", false, {kDouble, kDouble}, kDouble, SubDouble);
  add("multiply_int64", "_*_", false, {kInt, kInt}, kInt, MulInt);
  add("multiply_uint64", "_*_", false, {kUint, kUint}, kUint, MulUint);
  add("multiply_double", "_*_", false, {kDouble, kDouble}, kDouble, MulDouble);
  add("divide_int64", "_/_", false, {kInt, kInt}, kInt, DivInt);
  add("divide_uint64", "_/_", false, {kUint, kUint}, kUint, DivUint);
  add("divide_double", "_/_", false, {kDouble, kDouble}, kDouble, DivDouble);
  add("modulo_int64", "_%_", false, {kInt, kInt}, kInt, ModInt);
  add("modulo_uint64", "_%_", false, {kUint, kUint}, kUint, ModUint);
  add("negate_int64", "-_", false, {kInt}, kInt, NegInt);
  add("negate_double", "-_", false, {kDouble}, kDouble, NegDouble);
  add("logical_not", "!_", false, {kBool}, kBool, Not);

  add("equals", "_==_", false, {A(), A()}, kBool, Equals);
  add("not_equals", "_!=_", false, {A(), A()}, kBool, NotEquals);
  struct Cmp {
    const char* fn;
    const char* id;
    OverloadImpl impl;
  };
  const Cmp cmps[] = {{"_<_", "less", Less},
                      {"_<=_", "less_equals", LessEq},
                      {"_>_", "greater", Greater},
                      {"_>=_", "greater_equals", GreaterEq}};
  struct Pair {
    const char* suffix;
    Type a, b;
  };
  const Pair pairs[] = {{"_bool", kBool, kBool},          {"_int64", kInt, kInt},
                        {"_uint64", kUint, kUint},        {"_double", kDouble, kDouble},
                        {"_string", kString, kString},    {"_bytes", kBytes, kBytes},
                        {"_int64_uint64", kInt, kUint},   {"_int64_double", kInt, kDouble},
                        {"_uint64_int64", kUint, kInt},   {"_uint64_double", kUint, kDouble},
                        {"_double_int64", kDouble, kInt}, {"_double_uint64", kDouble, kUint}};
  // Overload ids must outlive the table; keep their text in a static pool.
  static std::list<std::string> ids;
  for (const Cmp& c : cmps) {
    for (const Pair& p : pairs) {
      ids.push_back(std::string(c.id) + p.suffix);
      add(ids.back().c_str(), c.fn, false, {p.a, p.b}, kBool, c.impl);
    }
  }

  add("in_list", "@in", false, {A(), Type::List(A())}, kBool, InList);
  add("in_map", "@in", false, {A(), Type::Map(A(), B())}, kBool, InMap);
  add("index_list", "_[_]", false, {Type::List(A()), kInt}, A(), IndexList);
  // Heterogeneous indexes: a uint, or a double with an integral value.
  add("index_list_uint", "_[_]", false, {Type::List(A()), kUint}, A(), IndexList);
  add("index_list_double", "_[_]", false, {Type::List(A()), kDouble}, A(), IndexList);
  add("index_map", "_[_]", false, {Type::Map(A(), B()), A()}, B(), IndexMap);

  for (bool recv : {false, true}) {
    add("size_string", "size", recv, {kString}, kInt, SizeString);
    add("size_bytes", "size", recv, {kBytes}, kInt, SizeBytes);
    add("size_list", "size", recv, {Type::List(A())}, kInt, SizeList);
    add("size_map", "size", recv, {Type::Map(A(), B())}, kInt, SizeMap);
  }

  add("int64_to_int64", "int", false, {kInt}, kInt, Identity);
  add("uint64_to_int64", "int", false, {kUint}, kInt, IntFromUint);
  add("double_to_int64", "int", false, {kDouble}, kInt, IntFromDouble);
  add("string_to_int64", "int", false, {kString}, kInt, IntFromString);
  add("int64_to_uint64", "uint", false, {kInt}, kUint, UintFromInt);
  add("uint64_to_uint64", "uint", false, {kUint}, kUint, Identity);
  add("double_to_uint64", "uint", false, {kDouble}, kUint, UintFromDouble);
  add("string_to_uint64", "uint", false, {kString}, kUint, UintFromString);
  add("int64_to_double", "double", false, {kInt}, kDouble, DoubleFromInt);
  add("uint64_to_double", "double", false, {kUint}, kDouble, DoubleFromUint);
  add("double_to_double", "double", false, {kDouble}, kDouble, Identity);
  add("string_to_double", "double", false, {kString}, kDouble, DoubleFromString);
  add("int64_to_string", "string", false, {kInt}, kString, StringFromInt);
  add("uint64_to_string", "string", false, {kUint}, kString, StringFromUint);
  add("double_to_string", "string", false, {kDouble}, kString, StringFromDouble);
  add("string_to_string", "string", false, {kString}, kString, Identity);
  add("bytes_to_string", "string", false, {kBytes}, kString, StringFromBytes);
  add("bool_to_string", "string", false, {kBool}, kString, StringFromBool);
  add("bytes_to_bytes", "bytes", false, {kBytes}, kBytes, Identity);
  add("string_to_bytes", "bytes", false, {kString}, kBytes, BytesFromString);
  add("bool_to_bool", "bool", false, {kBool}, kBool, Identity);
  add("string_to_bool", "bool", false, {kString}, kBool, BoolFromString);
  add("to_dyn", "dyn", false, {A()}, kDyn, Identity);
  add("type", "type", false, {A()}, Type::TypeOf(A()), TypeOfValue);

  add("contains_string", "contains", true, {kString, kString}, kBool, Contains);
  add("starts_with_string", "startsWith", true, {kString, kString}, kBool, StartsWith);
  add("ends_with_string", "endsWith", true, {kString, kString}, kBool, EndsWith);
  add("matches_string", "matches", true, {kString, kString}, kBool, Matches);
  add("matches", "matches", false, {kString, kString}, kBool, Matches);

  add("shard_hash_int", "shard_hash", false, {kInt}, kUint, ShardHashInt);
  add("shard_hash_uint", "shard_hash", false, {kUint}, kUint, ShardHashUint);
  add("shard_hash_string", "shard_hash", false, {kString}, kUint, ShardHashBytes);
  add("shard_hash_bytes", "shard_hash", false, {kBytes}, kUint, ShardHashBytes);

  for (const Overload& o : t.all) t.index[{o.function, o.receiver}].push_back(&o);
  return t;
}

const Table& GetTable() {
  static const Table table = BuildTable();
  return table;
}

bool KindMatches(const Type& param, const Value& v) {
  switch (param.kind) {
    case TypeKind::kDyn:
    case TypeKind::kTypeParam:
      return true;
    case TypeKind::kNull:
      return v.kind == ValueKind::kNull;
    case TypeKind::kBool:
      return v.kind == ValueKind::kBool;
    case TypeKind::kInt:
      return v.kind == ValueKind::kInt;
    case TypeKind::kUint:
      return v.kind == ValueKind::kUint;
    case TypeKind::kDouble:
      return v.kind == ValueKind::kDouble;
    case TypeKind::kString:
      return v.kind == ValueKind::kString;
    case TypeKind::kBytes:
      return v.kind == ValueKind::kBytes;
    case TypeKind::kList:
      return v.kind == ValueKind::kList;
    case TypeKind::kMap:
      return v.kind == ValueKind::kMap;
    case TypeKind::kType:
      return v.kind == ValueKind::kType;
    case TypeKind::kError:
      return false;
  }
  return false;
}

}  // namespace

std::span<const Overload* const> FindOverloads(std::string_view function, bool receiver) {
  const Table& t = GetTable();
  auto it = t.index.find(std::pair<std::string, bool>(std::string(function), receiver));
  if (it == t.index.end()) return {};
  return it->second;
}

bool IsKnownFunction(std::string_view function) {
  return !FindOverloads(function, false).empty() || !FindOverloads(function, true).empty();
}

bool ArgsMatch(const Overload& overload, const Value* args, size_t n) {
  if (overload.params.size() != n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!KindMatches(overload.params[i], args[i])) return false;
  }
  return true;
}

Value NoMatchingOverload(std::string_view function, const Value* args, size_t n, Arena* arena) {
  std::string msg = "no matching overload for '" + std::string(function) + "' applied to (";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) msg += ", ";
    msg += TypeNameOf(args[i]);
  }
  msg += ")";
  return arena->NewError(std::move(msg));
}

}  // namespace shardyfusion::cel
