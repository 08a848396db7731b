#include "core/py_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/utf8.h"

namespace shardyfusion {
namespace {

constexpr int kMaxDepth = 256;

struct Separators {
  const char* item;
  const char* key;
};

void AppendUnicodeEscape(uint32_t unit, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(unit >> shift) & 0xf]);
}

void AppendCodePoint(uint32_t cp, std::string* out) {
  switch (cp) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    default:
      break;
  }
  if (cp >= 0x20 && cp < 0x7f) {
    out->push_back(static_cast<char>(cp));
  } else if (cp >= 0x10000) {
    const uint32_t v = cp - 0x10000;
    AppendUnicodeEscape(0xd800 | (v >> 10), out);
    AppendUnicodeEscape(0xdc00 | (v & 0x3ff), out);
  } else {
    AppendUnicodeEscape(cp, out);
  }
}

void AppendQuoted(std::string_view bytes, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  while (i < bytes.size()) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(bytes, i, &cp);
    if (n == 0) {
      // surrogateescape: the undecodable byte b becomes U+DC00+b.
      AppendUnicodeEscape(0xdc00 | static_cast<uint8_t>(bytes[i]), out);
      ++i;
    } else {
      AppendCodePoint(cp, out);
      i += n;
    }
  }
  out->push_back('"');
}

// Python's float repr: shortest round-trip digits, fixed notation when the
// decimal exponent is in [-4, 16), scientific ("1e+20", "1.5e-07") otherwise.
void AppendFloat(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(d)) {
    out->append(d > 0 ? "Infinity" : "-Infinity");
    return;
  }
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  std::string digits;
  bool negative = false;
  size_t i = 0;
  if (sci[i] == '-') {
    negative = true;
    ++i;
  }
  for (; i < sci.size() && sci[i] != 'e'; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  const int exp10 = std::atoi(std::string(sci.substr(i + 1)).c_str());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int decpt = exp10 + 1;  // value = 0.DIGITS * 10^decpt
  if (negative) out->push_back('-');
  if (decpt <= -4 || decpt > 16) {
    out->push_back(digits[0]);
    if (digits.size() > 1) {
      out->push_back('.');
      out->append(digits, 1, std::string::npos);
    }
    char ebuf[16];
    std::snprintf(ebuf, sizeof(ebuf), "e%+03d", exp10);
    out->append(ebuf);
  } else if (decpt <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-decpt), '0');
    out->append(digits);
  } else if (static_cast<size_t>(decpt) >= digits.size()) {
    out->append(digits);
    out->append(static_cast<size_t>(decpt) - digits.size(), '0');
    out->append(".0");
  } else {
    out->append(digits, 0, decpt);
    out->push_back('.');
    out->append(digits, decpt, std::string::npos);
  }
}

void Encode(const nlohmann::json& v, const Separators& sep, std::string* out) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::null:
    case T::discarded:
      out->append("null");
      return;
    case T::boolean:
      out->append(v.get<bool>() ? "true" : "false");
      return;
    case T::number_integer:
      out->append(std::to_string(v.get<int64_t>()));
      return;
    case T::number_unsigned:
      out->append(std::to_string(v.get<uint64_t>()));
      return;
    case T::number_float:
      AppendFloat(v.get<double>(), out);
      return;
    case T::string:
      AppendQuoted(v.get_ref<const std::string&>(), out);
      return;
    case T::binary:
      AppendQuoted(std::string_view(reinterpret_cast<const char*>(v.get_binary().data()),
                                    v.get_binary().size()),
                   out);
      return;
    case T::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out->append(sep.item);
        first = false;
        Encode(e, sep, out);
      }
      out->push_back(']');
      return;
    }
    case T::object: {
      // nlohmann's object_t is a std::map<std::string, ...>, already in
      // bytewise key order.
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : v.items()) {
        if (!first) out->append(sep.item);
        first = false;
        AppendQuoted(key, out);
        out->append(sep.key);
        Encode(value, sep, out);
      }
      out->push_back('}');
      return;
    }
  }
}

// A recursive-descent parser following Python's json.scanner.
class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<nlohmann::json> ParseDocument() {
    SkipWhitespace();
    nlohmann::json v;
    if (!ParseValue(0, &v)) return Error();
    SkipWhitespace();
    if (pos_ != s_.size()) {
      Fail("extra data after the JSON value");
      return Error();
    }
    return v;
  }

 private:
  Status Error() const {
    return Status(ErrorCode::kInvalidInput,
                  "invalid JSON at byte " + std::to_string(error_pos_) + ": " + error_);
  }

  bool Fail(const std::string& what) {
    if (error_.empty()) {
      error_ = what;
      error_pos_ = pos_;
    }
    return false;
  }

  void SkipWhitespace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool ParseValue(int depth, nlohmann::json* out) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    if (pos_ >= s_.size()) return Fail("expecting value");
    const char c = s_[pos_];
    if (c == '"') {
      std::string str;
      if (!ParseString(&str)) return false;
      *out = std::move(str);
      return true;
    }
    if (c == '{') return ParseObject(depth, out);
    if (c == '[') return ParseArray(depth, out);
    if (Consume("null")) {
      *out = nullptr;
      return true;
    }
    if (Consume("true")) {
      *out = true;
      return true;
    }
    if (Consume("false")) {
      *out = false;
      return true;
    }
    if (Consume("NaN")) {
      *out = std::nan("");
      return true;
    }
    if (Consume("Infinity")) {
      *out = HUGE_VAL;
      return true;
    }
    if (Consume("-Infinity")) {
      *out = -HUGE_VAL;
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
    return Fail("expecting value");
  }

  bool ParseObject(int depth, nlohmann::json* out) {
    ++pos_;  // '{'
    *out = nlohmann::json::object();
    SkipWhitespace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWhitespace();
      if (pos_ >= s_.size() || s_[pos_] != '"') {
        return Fail("expecting property name enclosed in double quotes");
      }
      std::string key;
      if (!ParseString(&key)) return false;
      SkipWhitespace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expecting ':' delimiter");
      ++pos_;
      SkipWhitespace();
      nlohmann::json value;
      if (!ParseValue(depth + 1, &value)) return false;
      (*out)[key] = std::move(value);  // a repeated key: the last one wins
      SkipWhitespace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("expecting ',' delimiter");
    }
  }

  bool ParseArray(int depth, nlohmann::json* out) {
    ++pos_;  // '['
    *out = nlohmann::json::array();
    SkipWhitespace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWhitespace();
      nlohmann::json value;
      if (!ParseValue(depth + 1, &value)) return false;
      out->push_back(std::move(value));
      SkipWhitespace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("expecting ',' delimiter");
    }
  }

  // Python's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?
  bool ParseNumber(nlohmann::json* out) {
    const size_t start = pos_;
    const auto digit = [&](size_t k) { return k < s_.size() && s_[k] >= '0' && s_[k] <= '9'; };
    if (s_[pos_] == '-') ++pos_;
    if (!digit(pos_)) return Fail("expecting value");
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      while (digit(pos_)) ++pos_;
    }
    bool is_float = false;
    if (pos_ < s_.size() && s_[pos_] == '.' && digit(pos_ + 1)) {
      is_float = true;
      ++pos_;
      while (digit(pos_)) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      size_t k = pos_ + 1;
      if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
      if (digit(k)) {
        is_float = true;
        pos_ = k;
        while (digit(pos_)) ++pos_;
      }
    }
    const std::string_view text = s_.substr(start, pos_ - start);
    if (!is_float) {
      int64_t i = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), i);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) {
        *out = i;
        return true;
      }
      uint64_t u = 0;
      r = std::from_chars(text.data(), text.data() + text.size(), u);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) {
        *out = u;
        return true;
      }
    }
    // strtod gives +-inf for overflow, as Python's float() does.
    *out = std::strtod(std::string(text).c_str(), nullptr);
    return true;
  }

  bool ParseHex4(uint32_t* unit) {
    if (pos_ + 4 > s_.size()) return Fail("invalid \\uXXXX escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[pos_ + k];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        return Fail("invalid \\uXXXX escape");
      }
    }
    pos_ += 4;
    *unit = v;
    return true;
  }

  bool ParseEscape(std::string* out) {
    if (pos_ >= s_.size()) return Fail("unterminated string");
    const char c = s_[pos_++];
    switch (c) {
      case '"':
        out->push_back('"');
        return true;
      case '\\':
        out->push_back('\\');
        return true;
      case '/':
        out->push_back('/');
        return true;
      case 'b':
        out->push_back('\b');
        return true;
      case 'f':
        out->push_back('\f');
        return true;
      case 'n':
        out->push_back('\n');
        return true;
      case 'r':
        out->push_back('\r');
        return true;
      case 't':
        out->push_back('\t');
        return true;
      case 'u':
        break;
      default:
        --pos_;
        return Fail("invalid \\escape");
    }
    uint32_t unit = 0;
    if (!ParseHex4(&unit)) return false;
    if (unit >= 0xd800 && unit <= 0xdbff && s_.substr(pos_, 2) == "\\u") {
      const size_t save = pos_;
      pos_ += 2;
      uint32_t low = 0;
      if (!ParseHex4(&low)) return false;
      if (low >= 0xdc00 && low <= 0xdfff) {
        AppendUtf8(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), out);
        return true;
      }
      pos_ = save;  // a lone high surrogate; the next escape stands alone
    }
    if (unit >= 0xdc80 && unit <= 0xdcff) {
      out->push_back(static_cast<char>(unit & 0xff));  // surrogateescape inverse
    } else {
      AppendUtf8(unit, out);
    }
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return Fail("unterminated string");
      const char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (!ParseEscape(out)) return false;
        continue;
      }
      if (static_cast<uint8_t>(c) < 0x20) return Fail("invalid control character in string");
      out->push_back(c);
      ++pos_;
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
  size_t error_pos_ = 0;
};

}  // namespace

std::string PyJsonDumps(const nlohmann::json& value) {
  std::string out;
  Encode(value, Separators{", ", ": "}, &out);
  return out;
}

std::string PyJsonDumpsCompact(const nlohmann::json& value) {
  std::string out;
  Encode(value, Separators{",", ":"}, &out);
  return out;
}

std::string PyJsonQuoteBytes(std::string_view bytes) {
  std::string out;
  AppendQuoted(bytes, &out);
  return out;
}

Result<nlohmann::json> PyJsonLoads(std::string_view text) {
  try {
    return Parser(text).ParseDocument();
  } catch (const std::exception& e) {  // allocation failure inside nlohmann
    return Status(ErrorCode::kInvalidInput, std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace shardyfusion
