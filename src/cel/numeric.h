// Numeric rules of CEL shared by equality, ordering and conversions:
// int and uint compare exactly; an integer against a double compares as two
// doubles (the rule the CEL conformance suite fixes); conversions between
// the types fail rather than wrap or saturate.
//
// Thread-safety: pure functions.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

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

// 2^63 and 2^64 as doubles (exact): the conversion bounds.
inline constexpr double kTwo63 = 9223372036854775808.0;
inline constexpr double kTwo64 = 18446744073709551616.0;

// An integer against a double compares as two doubles, as the CEL spec's
// conformance tests require (2^63-1 is not less than 2^63.0: both are the
// same double). Int against uint, by contrast, is exact.
inline NumberOrder CompareIntDouble(int64_t a, double b) {
  if (std::isnan(b)) return NumberOrder::kUnordered;
  return Order(static_cast<double>(a), b);
}

inline NumberOrder CompareUintDouble(uint64_t a, double b) {
  if (std::isnan(b)) return NumberOrder::kUnordered;
  return Order(static_cast<double>(a), b);
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

// A decimal floating-point text ([sign] digits [.digits] [e[sign]digits],
// as std::from_chars reads it): its nearest double, with underflow to zero
// or a subnormal allowed; nullopt for anything else, or when the value
// overflows the double range.
inline std::optional<double> ParseDecimalDouble(std::string_view text) {
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (text.empty() || end != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    d = std::strtod(std::string(text).c_str(), nullptr);  // the rounded value
    if (std::isinf(d)) return std::nullopt;
    return d;
  }
  if (ec != std::errc()) return std::nullopt;
  return d;
}

// Truncates toward zero; nullopt when the result is not representable
// (NaN, infinities, and anything at or beyond +-2^63, as in cel-go).
inline std::optional<int64_t> DoubleToInt(double d) {
  if (!(d > -kTwo63 && d < kTwo63)) return std::nullopt;
  return static_cast<int64_t>(d);
}

// Negative values (other than -0.0) are out of range, as in cel-go.
inline std::optional<uint64_t> DoubleToUint(double d) {
  if (!(d >= 0 && d < kTwo64)) return std::nullopt;
  return static_cast<uint64_t>(d);
}

}  // namespace shardyfusion::cel
