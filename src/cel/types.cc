#include "cel/types.h"

namespace shardyfusion::cel {

std::string TypeName(const Type& t) {
  switch (t.kind) {
    case TypeKind::kDyn:
      return "dyn";
    case TypeKind::kNull:
      return "null_type";
    case TypeKind::kBool:
      return "bool";
    case TypeKind::kInt:
      return "int";
    case TypeKind::kUint:
      return "uint";
    case TypeKind::kDouble:
      return "double";
    case TypeKind::kString:
      return "string";
    case TypeKind::kBytes:
      return "bytes";
    case TypeKind::kList:
      return "list(" + (t.params.empty() ? std::string("dyn") : TypeName(t.params[0])) + ")";
    case TypeKind::kMap:
      if (t.params.size() != 2) return "map(dyn, dyn)";
      return "map(" + TypeName(t.params[0]) + ", " + TypeName(t.params[1]) + ")";
    case TypeKind::kType:
      return t.params.empty() ? "type" : "type(" + TypeName(t.params[0]) + ")";
    case TypeKind::kTypeParam:
      return t.param_name;
    case TypeKind::kError:
      return "*error*";
  }
  return "dyn";
}

}  // namespace shardyfusion::cel
