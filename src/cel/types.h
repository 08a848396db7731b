// Static types of the CEL checker.
//
// A Type is a kind plus, for list and map, its parameters: list(int),
// map(string, dyn). `dyn` is the type of anything not known statically (it
// unifies with every type); `error` marks an expression the checker already
// reported. kTypeParam is a placeholder bound during overload resolution.
//
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

namespace shardyfusion::cel {

enum class TypeKind {
  kDyn,
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kList,  // params[0]: element type
  kMap,   // params[0]: key type, params[1]: value type
  kType,  // the type of type values (params[0], when known, the type denoted)
  kTypeParam,
  kError,
};

struct Type {
  TypeKind kind = TypeKind::kDyn;
  std::vector<Type> params;
  std::string param_name;  // kTypeParam only

  static Type Dyn() { return Type{TypeKind::kDyn, {}, {}}; }
  static Type Of(TypeKind k) { return Type{k, {}, {}}; }
  static Type List(Type elem) { return Type{TypeKind::kList, {std::move(elem)}, {}}; }
  static Type Map(Type key, Type value) {
    return Type{TypeKind::kMap, {std::move(key), std::move(value)}, {}};
  }
  static Type TypeOf(Type t) { return Type{TypeKind::kType, {std::move(t)}, {}}; }
  static Type Param(std::string name) { return Type{TypeKind::kTypeParam, {}, std::move(name)}; }

  friend bool operator==(const Type& a, const Type& b) = default;
};

// CEL notation: "int", "list(int)", "map(string, dyn)", "type(int)", "dyn".
std::string TypeName(const Type& t);

}  // namespace shardyfusion::cel
