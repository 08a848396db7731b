// Internal conveniences for building and propagating Status values, used by
// the library's .cc files (never by the public headers).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "shardyfusion/status.h"

namespace shardyfusion {

// A kConfigValidation error: a setting is wrong; the message names it and
// says what to change.
inline Status ConfigError(std::string message) {
  return Status(ErrorCode::kConfigValidation, std::move(message));
}

}  // namespace shardyfusion
