// JSON text exactly as Python's `json` module writes and reads it.
//
// The manifest's JSON columns and the `_CURRENT` pointer are compared byte
// for byte with what the reference writes, which is
// `json.dumps(obj, sort_keys=True)` (separators ", " and ": ") or, for
// `_CURRENT`, the compact variant (separators "," and ":"). Both use
// ensure_ascii: every character outside 0x20..0x7e is written as \uXXXX with
// lowercase hex (astral characters as surrogate pairs), except the short
// escapes \" \\ \n \r \t \b \f. Floats are written as Python's repr
// (shortest round trip; Infinity / NaN for non-finite values).
//
// Strings are byte strings throughout. The encoder decodes them as UTF-8 with
// Python's "surrogateescape" error handler: every byte that is not part of a
// valid UTF-8 sequence is written as \udcXX (XX = the byte). The parser does
// the inverse: a lone \udc80..\udcff becomes the byte 0x80..0xff again. So
// bytes -> JSON -> bytes is lossless for any input, and for valid UTF-8 the
// text is identical to Python's. Other lone surrogates (which Python accepts)
// are kept as their 3-byte generalised UTF-8 form.
//
// Object keys are sorted bytewise, which equals Python's code-point order for
// valid UTF-8. Integers are int64 or uint64 (nlohmann's integer kinds).
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "shardyfusion/status.h"

namespace shardyfusion {

// json.dumps(value, sort_keys=True).
std::string PyJsonDumps(const nlohmann::json& value);

// json.dumps(value, sort_keys=True, separators=(",", ":")).
std::string PyJsonDumpsCompact(const nlohmann::json& value);

// The JSON string literal (quotes included) of
// json.dumps(bytes.decode("utf-8", "surrogateescape")).
std::string PyJsonQuoteBytes(std::string_view bytes);

// json.loads(text), with strings decoded to bytes as described above
// (surrogateescape inverse). Accepts what Python accepts (NaN, Infinity,
// -Infinity, duplicate keys: last wins); integers beyond uint64 become
// doubles. Nesting deeper than 256 levels is rejected. Errors are
// kInvalidInput with the byte offset of the problem.
Result<nlohmann::json> PyJsonLoads(std::string_view text);

}  // namespace shardyfusion
