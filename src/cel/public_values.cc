#include "cel/public_values.h"

namespace shardyfusion::cel {

Value ToEngineValue(const CelValue& v) {
  switch (v.kind()) {
    case CelValue::Kind::kNull:
      return Value::Null();
    case CelValue::Kind::kBool:
      return Value::Bool(v.bool_value());
    case CelValue::Kind::kInt:
      return Value::Int(v.int_value());
    case CelValue::Kind::kUint:
      return Value::Uint(v.uint_value());
    case CelValue::Kind::kDouble:
      return Value::Double(v.double_value());
    case CelValue::Kind::kString:
      return Value::String(v.bytes());
    case CelValue::Kind::kBytes:
      return Value::Bytes(v.bytes());
  }
  return Value::Null();
}

Type ToEngineType(CelType t) {
  switch (t) {
    case CelType::kInt:
      return Type::Of(TypeKind::kInt);
    case CelType::kUint:
      return Type::Of(TypeKind::kUint);
    case CelType::kDouble:
      return Type::Of(TypeKind::kDouble);
    case CelType::kString:
      return Type::Of(TypeKind::kString);
    case CelType::kBytes:
      return Type::Of(TypeKind::kBytes);
    case CelType::kBool:
      return Type::Of(TypeKind::kBool);
  }
  return Type::Dyn();
}

}  // namespace shardyfusion::cel
