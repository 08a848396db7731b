// Text encodings of byte strings for the shardy command line: base64 (from
// core/base64.h) for keys in input files and for values on output, hex, and
// UTF-8 with replacement characters for invalid sequences.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shardyfusion::cli {

// Lower-case hex, two digits per byte.
std::string HexEncode(std::string_view bytes);

// `bytes` as UTF-8, each maximal invalid subsequence replaced by U+FFFD (the
// Unicode "substitution of maximal subparts" practice, which Python's
// errors="replace" also follows).
std::string Utf8WithReplacement(std::string_view bytes);

enum class ValueEncoding { kBase64, kHex, kUtf8 };

// "base64", "hex", "utf8".
std::optional<ValueEncoding> ParseValueEncoding(std::string_view name);
std::string EncodeValue(ValueEncoding encoding, std::string_view bytes);

}  // namespace shardyfusion::cli
