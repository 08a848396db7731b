// Numeric rules of CEL shared by equality, ordering and conversions:
// numbers of different types compare by their exact mathematical value
// (never through a lossy conversion), and conversions between them fail
// rather than wrap or saturate.
//
// Thread-safety: pure functions.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>

#include "cel/value.h"

namespace shardyfusion::cel {

inline bool IsNumber(const Value& v) {
  return v.kind == ValueKind::kInt || v.kind == ValueKind::kUint || v.kind == ValueKind::kDouble;
}

enum class NumberOrder { kLess, kEqual, kGreater, kUnordered };

template <typename T>
NumberOrder Order(T a, T b) {
  if (a < b) return NumberOrder::kLess;
  if (b < a) return NumberOrder::kGreater;
  return NumberOrder::kEqual;
}

// 2^63 and 2^64 as doubles (exact).
inline constexpr double kTwo63 = 9223372036854775808.0;
inline constexpr double kTwo64 = 18446744073709551616.0;

inline NumberOrder CompareIntDouble(int64_t a, double b) {
  if (std::isnan(b)) return NumberOrder::kUnordered;
  if (b >= kTwo63) return NumberOrder::kLess;
  if (b < -kTwo63) return NumberOrder::kGreater;
  // b is within int64's range: compare integer parts exactly, then the
  // fraction breaks a tie.
  double t = std::trunc(b);
  int64_t bi = static_cast<int64_t>(t);
  if (a != bi) return Order(a, bi);
  return Order(0.0, b - t);
}

inline NumberOrder CompareUintDouble(uint64_t a, double b) {
  if (std::isnan(b)) return NumberOrder::kUnordered;
  if (b >= kTwo64) return NumberOrder::kLess;
  if (b < 0) return NumberOrder::kGreater;
  double t = std::trunc(b);
  uint64_t bu = static_cast<uint64_t>(t);
  if (a != bu) return Order(a, bu);
  return Order(0.0, b - t);
}

inline NumberOrder Flip(NumberOrder o) {
  if (o == NumberOrder::kLess) return NumberOrder::kGreater;
  if (o == NumberOrder::kGreater) return NumberOrder::kLess;
  return o;
}

// REQUIRES: IsNumber(a) && IsNumber(b)
inline NumberOrder CompareNumbers(const Value& a, const Value& b) {
  switch (a.kind) {
    case ValueKind::kInt:
      if (b.kind == ValueKind::kInt) return Order(a.i, b.i);
      if (b.kind == ValueKind::kUint) {
        return a.i < 0 ? NumberOrder::kLess : Order(static_cast<uint64_t>(a.i), b.u);
      }
      return CompareIntDouble(a.i, b.d);
    case ValueKind::kUint:
      if (b.kind == ValueKind::kUint) return Order(a.u, b.u);
      if (b.kind == ValueKind::kInt) {
        return b.i < 0 ? NumberOrder::kGreater : Order(a.u, static_cast<uint64_t>(b.i));
      }
      return CompareUintDouble(a.u, b.d);
    default:
      if (b.kind == ValueKind::kDouble) {
        if (std::isnan(a.d) || std::isnan(b.d)) return NumberOrder::kUnordered;
        return Order(a.d, b.d);
      }
      if (b.kind == ValueKind::kInt) return Flip(CompareIntDouble(b.i, a.d));
      return Flip(CompareUintDouble(b.u, a.d));
  }
}

// Truncates toward zero; nullopt when the result is not representable
// (NaN, infinities, and anything at or beyond +-2^63, as in cel-go).
inline std::optional<int64_t> DoubleToInt(double d) {
  if (!(d > -kTwo63 && d < kTwo63)) return std::nullopt;
  return static_cast<int64_t>(d);
}

inline std::optional<uint64_t> DoubleToUint(double d) {
  if (!(d > -1.0 && d < kTwo64)) return std::nullopt;
  return static_cast<uint64_t>(d);
}

}  // namespace shardyfusion::cel
