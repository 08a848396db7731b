#include "cli/value_codec.h"

#include "core/base64.h"

namespace shardyfusion::cli {

namespace {

// Length of the valid UTF-8 sequence starting at `s[i]`, or 0 if invalid; for
// an invalid sequence `*maximal_invalid` is the length of the maximal subpart
// to replace with one U+FFFD.
size_t ValidUtf8SequenceAt(std::string_view s, size_t i, size_t* maximal_invalid) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  *maximal_invalid = 1;
  if (b0 < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (size_t k = 1; k < need; ++k) {
    if (i + k >= s.size()) {
      *maximal_invalid = k;
      return 0;
    }
    const auto b = static_cast<unsigned char>(s[i + k]);
    const bool ok = (k == 1) ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *maximal_invalid = k;
      return 0;
    }
  }
  return need;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string Utf8WithReplacement(std::string_view bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    size_t invalid = 0;
    const size_t n = ValidUtf8SequenceAt(bytes, i, &invalid);
    if (n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out.append(kReplacement);
      i += invalid;
    }
  }
  return out;
}

std::optional<ValueEncoding> ParseValueEncoding(std::string_view name) {
  if (name == "base64") return ValueEncoding::kBase64;
  if (name == "hex") return ValueEncoding::kHex;
  if (name == "utf8") return ValueEncoding::kUtf8;
  return std::nullopt;
}

std::string EncodeValue(ValueEncoding encoding, std::string_view bytes) {
  switch (encoding) {
    case ValueEncoding::kBase64:
      return Base64Encode(bytes);
    case ValueEncoding::kHex:
      return HexEncode(bytes);
    case ValueEncoding::kUtf8:
      return Utf8WithReplacement(bytes);
  }
  return Base64Encode(bytes);
}

}  // namespace shardyfusion::cli
