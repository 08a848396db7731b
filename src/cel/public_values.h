// Conversions between the public CEL types (shardyfusion/cel.h) and the
// engine's (cel/value.h, cel/types.h), for the public API and the tools.
//
// Thread-safety: pure functions.
#pragma once

#include "cel/types.h"
#include "cel/value.h"
#include "shardyfusion/cel.h"

namespace shardyfusion::cel {

// The engine value of `v`; strings and bytes view v's storage, so `v` must
// outlive the result.
Value ToEngineValue(const CelValue& v);

// The engine type of a column type.
Type ToEngineType(CelType t);

}  // namespace shardyfusion::cel
