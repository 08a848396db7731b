// Byte-level encoding helpers for SlateDB's on-disk format: big-endian
// fixed-width integers (every hand-written integer in an SST is big-endian),
// LEB128 varint32 (row headers of V2 blocks) and CRC-32 (IEEE, as zlib's
// crc32()), which guards every SST section.
//
// The Get* functions read from the front of `*in` and advance it; they return
// false, leaving `*in` unspecified, when the input is truncated or a varint
// overflows 32 bits. They never read past the end of `*in`.
//
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shardyfusion::slatedb {

void PutU16(std::string* dst, uint16_t v);
void PutU32(std::string* dst, uint32_t v);
void PutU64(std::string* dst, uint64_t v);
void PutI64(std::string* dst, int64_t v);
void PutVarint32(std::string* dst, uint32_t v);

// Number of bytes PutVarint32 writes for `v` (1..5).
int Varint32Length(uint32_t v);

// The decoders are inline: they run for every row of every lookup and merge.

namespace coding_internal {
template <typename T>
inline T DecodeBigEndian(const char* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | static_cast<uint8_t>(p[i]));
  return v;
}
template <typename T>
inline bool GetBigEndian(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  *v = DecodeBigEndian<T>(in->data());
  in->remove_prefix(sizeof(T));
  return true;
}
}  // namespace coding_internal

// REQUIRES: p points at 2/4/8 readable bytes.
inline uint16_t DecodeU16(const char* p) { return coding_internal::DecodeBigEndian<uint16_t>(p); }
inline uint32_t DecodeU32(const char* p) { return coding_internal::DecodeBigEndian<uint32_t>(p); }
inline uint64_t DecodeU64(const char* p) { return coding_internal::DecodeBigEndian<uint64_t>(p); }

inline bool GetU16(std::string_view* in, uint16_t* v) {
  return coding_internal::GetBigEndian(in, v);
}
inline bool GetU32(std::string_view* in, uint32_t* v) {
  return coding_internal::GetBigEndian(in, v);
}
inline bool GetU64(std::string_view* in, uint64_t* v) {
  return coding_internal::GetBigEndian(in, v);
}
inline bool GetI64(std::string_view* in, int64_t* v) {
  uint64_t u;
  if (!coding_internal::GetBigEndian(in, &u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

inline bool GetVarint32(std::string_view* in, uint32_t* v) {
  // One byte is by far the most common case (lengths below 128).
  if (!in->empty() && (static_cast<uint8_t>((*in)[0]) & 0x80) == 0) {
    *v = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    return true;
  }
  uint32_t result = 0;
  for (size_t i = 0; i < 5; ++i) {
    if (i >= in->size()) return false;
    const uint8_t byte = static_cast<uint8_t>((*in)[i]);
    // The fifth byte carries bits 28..31 only; anything above overflows u32.
    if (i == 4 && byte > 0x0f) return false;
    result |= static_cast<uint32_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *v = result;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

// Takes `n` bytes from the front of `*in` into `*out`.
inline bool GetBytes(std::string_view* in, size_t n, std::string_view* out) {
  if (in->size() < n) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of `data`.
uint32_t Crc32(std::string_view data);

}  // namespace shardyfusion::slatedb
