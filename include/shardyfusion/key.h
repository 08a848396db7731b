// Logical keys, their canonical hash bytes, and the stored key encodings.
//
// A logical key is a signed 64-bit integer, a text string (UTF-8) or a byte
// string. Routing hashes the key's *canonical bytes* (independent of the
// stored encoding); shards store the key's *encoded bytes* (KeyEncoding).
// Both definitions are part of the on-storage contract shared with the
// reference implementation (docs/format/routing.md).
//
// Thread-safety: values; all functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shardyfusion/status.h"

namespace shardyfusion {

class Key {
 public:
  enum class Kind { kInt, kStr, kBytes };

  Key() : kind_(Kind::kInt) {}
  static Key Int(int64_t v) {
    Key k;
    k.int_ = v;
    return k;
  }
  static Key Str(std::string s) { return Key(Kind::kStr, std::move(s)); }
  static Key Bytes(std::string b) { return Key(Kind::kBytes, std::move(b)); }

  Kind kind() const { return kind_; }
  bool is_int() const { return kind_ == Kind::kInt; }
  // REQUIRES: is_int()
  int64_t int_value() const { return int_; }
  // REQUIRES: !is_int(). The UTF-8 text or the raw bytes.
  const std::string& bytes() const { return bytes_; }

  // A short human rendering for error messages: 42, "text", b'\x00ab'.
  std::string DebugString() const;

  // Ordering within one kind, as the reference orders min/max keys: numeric
  // for ints, bytewise for strings and byte strings (UTF-8 byte order equals
  // code-point order). Keys of different kinds order by kind.
  friend bool operator<(const Key& a, const Key& b);
  friend bool operator==(const Key& a, const Key& b);

 private:
  Key(Kind kind, std::string b) : kind_(kind), bytes_(std::move(b)) {}
  Kind kind_;
  int64_t int_ = 0;
  std::string bytes_;
};

// The bytes that routing hashes: 8-byte little-endian two's complement for
// ints; the UTF-8 bytes for strings; the bytes themselves for byte strings.
// `scratch` provides storage for the int case; the result may point into the
// key or into `scratch`.
std::string_view CanonicalBytes(const Key& key, std::string* scratch);

enum class KeyEncoding { kU64BE, kU32BE, kUtf8, kRaw };

// "u64be", "u32be", "utf8", "raw".
const char* KeyEncodingName(KeyEncoding e);
std::optional<KeyEncoding> ParseKeyEncoding(std::string_view name);

// Appends the stored bytes of `key` under `encoding` to `out`.
//   u64be: int in [0, 2^63-1] -> 8 bytes big-endian (negative ints rejected)
//   u32be: int in [0, 2^32-1] -> 4 bytes big-endian
//   utf8 / raw: string or byte string -> its bytes; ints rejected
// A violation is a kConfigValidation error that names the key.
Status EncodeKey(KeyEncoding encoding, const Key& key, std::string* out);

// The lookup-side encoder of the reader: as EncodeKey, and additionally a byte
// string of exactly the encoded width (8 for u64be, 4 for u32be) passes
// through unchanged.
Status EncodeLookupKey(KeyEncoding encoding, const Key& key, std::string* out);

}  // namespace shardyfusion
