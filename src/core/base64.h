// Base64 (RFC 4648 section 4: the standard alphabet, '=' padding), the text
// form of byte strings wherever this project writes bytes as text: keys and
// values on the shardy command line, CEL bytes columns and results, and the
// SlateDB fixture files.
//
// Decoding is strict so that a byte string has exactly one text form: no
// URL-safe alphabet, no whitespace, no missing or extra padding.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shardyfusion {

// Standard alphabet, with '=' padding.
std::string Base64Encode(std::string_view bytes);

// Strict decoding: the standard alphabet only, length a multiple of 4, '='
// padding required and only at the end. No whitespace. nullopt if malformed.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace shardyfusion
