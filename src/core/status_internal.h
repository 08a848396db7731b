// Internal conveniences for building and propagating Status values, used by
// the library's .cc files (never by the public headers).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>

#include "shardyfusion/status.h"

namespace shardyfusion {

// A kConfigValidation error: a setting is wrong; the message names it and
// says what to change.
inline Status ConfigError(std::string message) {
  return Status(ErrorCode::kConfigValidation, std::move(message));
}

}  // namespace shardyfusion

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define SHARDY_RETURN_IF_ERROR(expr)     \
  do {                                   \
    ::shardyfusion::Status _st = (expr); \
    if (!_st.ok()) return _st;           \
  } while (0)

#define SHARDY_CONCAT_INNER(a, b) a##b
#define SHARDY_CONCAT(a, b) SHARDY_CONCAT_INNER(a, b)
#define SHARDY_ASSIGN_OR_RETURN(lhs, expr) \
  SHARDY_ASSIGN_OR_RETURN_IMPL(SHARDY_CONCAT(_res_, __LINE__), lhs, expr)
#define SHARDY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
