#include "shardyfusion/key.h"

#include <cstring>

namespace shardyfusion {
namespace {

void AppendBigEndian(uint64_t v, int width, std::string* out) {
  for (int i = width - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

Status DomainError(KeyEncoding e, const Key& key, const char* rule) {
  return Status(ErrorCode::kConfigValidation, std::string(KeyEncodingName(e)) +
                                                  " encoding requires " + rule + "; got key " +
                                                  key.DebugString());
}

}  // namespace

std::string Key::DebugString() const {
  switch (kind_) {
    case Kind::kInt:
      return std::to_string(int_);
    case Kind::kStr: {
      std::string s = "\"";
      for (char c : bytes_) {
        if (c == '"' || c == '\\') s.push_back('\\');
        s.push_back(c);
      }
      return s + "\"";
    }
    case Kind::kBytes: {
      static const char* kHex = "0123456789abcdef";
      std::string s = "b'";
      for (unsigned char c : bytes_) {
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
          s.push_back(static_cast<char>(c));
        } else {
          s += "\\x";
          s.push_back(kHex[c >> 4]);
          s.push_back(kHex[c & 15]);
        }
      }
      return s + "'";
    }
  }
  return "?";
}

bool operator<(const Key& a, const Key& b) {
  if (a.kind_ != b.kind_) return a.kind_ < b.kind_;
  if (a.kind_ == Key::Kind::kInt) return a.int_ < b.int_;
  return a.bytes_ < b.bytes_;  // std::string compares as unsigned char
}

bool operator==(const Key& a, const Key& b) {
  if (a.kind_ != b.kind_) return false;
  if (a.kind_ == Key::Kind::kInt) return a.int_ == b.int_;
  return a.bytes_ == b.bytes_;
}

std::string_view CanonicalBytes(const Key& key, std::string* scratch) {
  if (!key.is_int()) return key.bytes();
  const uint64_t v = static_cast<uint64_t>(key.int_value());
  scratch->resize(8);
  for (int i = 0; i < 8; ++i) (*scratch)[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return *scratch;
}

const char* KeyEncodingName(KeyEncoding e) {
  switch (e) {
    case KeyEncoding::kU64BE:
      return "u64be";
    case KeyEncoding::kU32BE:
      return "u32be";
    case KeyEncoding::kUtf8:
      return "utf8";
    case KeyEncoding::kRaw:
      return "raw";
  }
  return "?";
}

std::optional<KeyEncoding> ParseKeyEncoding(std::string_view name) {
  if (name == "u64be") return KeyEncoding::kU64BE;
  if (name == "u32be") return KeyEncoding::kU32BE;
  if (name == "utf8") return KeyEncoding::kUtf8;
  if (name == "raw") return KeyEncoding::kRaw;
  return std::nullopt;
}

Status EncodeKey(KeyEncoding encoding, const Key& key, std::string* out) {
  switch (encoding) {
    case KeyEncoding::kU64BE:
      if (!key.is_int()) return DomainError(encoding, key, "an integer key");
      // Keys >= 2^63 cannot be routed (canonical bytes are signed), so the
      // usable domain is [0, 2^63-1]; int64 covers it exactly.
      if (key.int_value() < 0) return DomainError(encoding, key, "value in [0, 2^63-1]");
      AppendBigEndian(static_cast<uint64_t>(key.int_value()), 8, out);
      return Status::OK();
    case KeyEncoding::kU32BE:
      if (!key.is_int()) return DomainError(encoding, key, "an integer key");
      if (key.int_value() < 0 || key.int_value() > 0xffffffffll) {
        return DomainError(encoding, key, "value in [0, 2^32-1]");
      }
      AppendBigEndian(static_cast<uint64_t>(key.int_value()), 4, out);
      return Status::OK();
    case KeyEncoding::kUtf8:
    case KeyEncoding::kRaw:
      if (key.is_int()) return DomainError(encoding, key, "a string or bytes key, not an integer");
      out->append(key.bytes());
      return Status::OK();
  }
  return Status(ErrorCode::kInternal, "unknown key encoding");
}

Status EncodeLookupKey(KeyEncoding encoding, const Key& key, std::string* out) {
  if (key.kind() == Key::Kind::kBytes) {
    const size_t width = encoding == KeyEncoding::kU64BE   ? 8
                         : encoding == KeyEncoding::kU32BE ? 4
                                                           : 0;
    if (width != 0) {
      if (key.bytes().size() != width) {
        return DomainError(encoding, key,
                           width == 8 ? "an integer or 8 bytes" : "an integer or 4 bytes");
      }
      out->append(key.bytes());
      return Status::OK();
    }
  }
  return EncodeKey(encoding, key, out);
}

}  // namespace shardyfusion
