// Runtime values of the CEL evaluator, and the arena that owns them.
//
// A Value is a small trivially-copyable handle (32 bytes): scalars inline;
// strings, bytes, error messages and type names as a string_view; lists and
// maps as a pointer to arena-owned storage. Whatever a Value points at lives
// in an Arena (or in a CelProgram's constants, or in the caller's bound
// variables) and stays valid until that owner is reset or destroyed.
//
// An evaluation error is itself a Value of kind kError (CEL's errors are
// values: `false && (1/0 > 2)` is false), with the message in `str`.
//
// Thread-safety: an Arena is used by one thread at a time; Values are plain
// data and follow their owner's rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace shardyfusion::cel {

enum class ValueKind : uint8_t {
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kList,
  kMap,
  kType,   // a type value: str holds its name ("int", "list", "map", "type", ...)
  kError,  // str holds the message
};

struct ListRep;
struct MapRep;

struct Value {
  ValueKind kind = ValueKind::kNull;
  union {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    const ListRep* list;
    const MapRep* map;
  };
  std::string_view str;  // kString, kBytes, kType, kError

  Value() : i(0) {}
  static Value Null() { return Value(); }
  static Value Bool(bool v) {
    Value x;
    x.kind = ValueKind::kBool;
    x.b = v;
    return x;
  }
  static Value Int(int64_t v) {
    Value x;
    x.kind = ValueKind::kInt;
    x.i = v;
    return x;
  }
  static Value Uint(uint64_t v) {
    Value x;
    x.kind = ValueKind::kUint;
    x.u = v;
    return x;
  }
  static Value Double(double v) {
    Value x;
    x.kind = ValueKind::kDouble;
    x.d = v;
    return x;
  }
  // The view must outlive the value (intern it in an Arena if needed).
  static Value String(std::string_view v) { return WithStr(ValueKind::kString, v); }
  static Value Bytes(std::string_view v) { return WithStr(ValueKind::kBytes, v); }
  static Value Type(std::string_view name) { return WithStr(ValueKind::kType, name); }
  static Value Error(std::string_view message) { return WithStr(ValueKind::kError, message); }
  static Value List(const ListRep* l) {
    Value x;
    x.kind = ValueKind::kList;
    x.list = l;
    return x;
  }
  static Value Map(const MapRep* m) {
    Value x;
    x.kind = ValueKind::kMap;
    x.map = m;
    return x;
  }

  bool is_error() const { return kind == ValueKind::kError; }

 private:
  static Value WithStr(ValueKind k, std::string_view v) {
    Value x;
    x.kind = k;
    x.str = v;
    return x;
  }
};

static_assert(std::is_trivially_copyable_v<Value>);

struct ListRep {
  std::vector<Value> elems;
};

// Entries in insertion order; keys are unique under CEL equality (so 1, 1u
// and 1.0 are one key). Lookup is a linear scan: routing maps are small.
struct MapRep {
  std::vector<Value> keys;
  std::vector<Value> values;
};

// Owns the strings, lists and maps an evaluation creates. Reset() drops
// them all but keeps the memory for the next evaluation.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Copies `s` into the arena; the view stays valid until Reset().
  std::string_view Intern(std::string_view s);
  // A fresh string buffer to build into; valid until Reset().
  std::string* NewString();
  ListRep* NewList();
  MapRep* NewMap();
  // A message built at run time; returns Value::Error over arena storage.
  Value NewError(std::string message);
  // Scratch slots for the variables of the one evaluation using this arena
  // (contents unspecified); valid until the next call. Kept across Reset(),
  // so it is allocated once.
  Value* Frame(size_t n) {
    if (frame_.size() < n) frame_.resize(n);
    return frame_.data();
  }

  void Reset();

  // The evaluation's work budget: loop iterations and elements or bytes
  // created by concatenation each spend units, so a hostile expression
  // (nested macros over lists, repeated doubling) ends in an error instead
  // of running for hours or exhausting memory. Spend() returns false once
  // the budget is gone.
  void SetBudget(uint64_t units) { budget_ = units; }
  bool Spend(uint64_t units) {
    if (units > budget_) {
      budget_ = 0;
      return false;
    }
    budget_ -= units;
    return true;
  }

 private:
  uint64_t budget_ = UINT64_MAX;
  // Pools grow; Reset() rewinds the cursors and keeps the objects (and
  // their capacity), so a steady state allocates nothing.
  std::deque<std::string> strings_;
  size_t strings_used_ = 0;
  std::deque<ListRep> lists_;
  size_t lists_used_ = 0;
  std::deque<MapRep> maps_;
  size_t maps_used_ = 0;
  std::vector<Value> frame_;
};

// CEL equality (the `==` operator): numbers compare by value across int,
// uint and double (NaN equals nothing); lists elementwise; maps as sets of
// entries, order-free; values of different non-numeric kinds are unequal.
// Errors are not handled here (REQUIRES: neither side is an error).
bool ValuesEqual(const Value& a, const Value& b);

// The value stored under `key` in `m` (keys compare with ValuesEqual), or
// null when absent.
const Value* FindMapValue(const MapRep& m, const Value& key);

// The shortest decimal text that reads back as `d` ("1", "0.1", "1e+100"),
// or "NaN", "+Inf", "-Inf": CEL's string(double).
void AppendDouble(double d, std::string* out);

// `s` as a CEL string literal ("..." with C-style escapes; control
// characters as \xNN) or, with `bytes`, a bytes literal (b"...", every
// byte >= 0x80 as \xNN as well).
void AppendCelQuoted(std::string_view s, bool bytes, std::string* out);

// The CEL type name of a value's runtime type: "int", "uint", "double",
// "string", "bytes", "bool", "null_type", "list", "map", "type".
std::string_view TypeNameOf(const Value& v);

// A CEL-literal-like rendering for messages and tests: 1, 2u, 1.5, "s",
// b"\x00", [1, 2], {"k": v}, int, error("...").
std::string ValueDebugString(const Value& v);

}  // namespace shardyfusion::cel
