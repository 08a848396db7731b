#include "backend/slatedb/coding.h"

#include <zlib.h>

#include <algorithm>

namespace shardyfusion::slatedb {

namespace {

template <typename T>
void PutBigEndian(std::string* dst, T v) {
  char buf[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) {
    buf[sizeof(T) - 1 - i] = static_cast<char>(v & 0xff);
    v = static_cast<T>(v >> 8);
  }
  dst->append(buf, sizeof(T));
}

template <typename T>
T DecodeBigEndian(const char* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v = static_cast<T>((v << 8) | static_cast<uint8_t>(p[i]));
  }
  return v;
}

template <typename T>
bool GetBigEndian(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  *v = DecodeBigEndian<T>(in->data());
  in->remove_prefix(sizeof(T));
  return true;
}

}  // namespace

void PutU16(std::string* dst, uint16_t v) { PutBigEndian(dst, v); }
void PutU32(std::string* dst, uint32_t v) { PutBigEndian(dst, v); }
void PutU64(std::string* dst, uint64_t v) { PutBigEndian(dst, v); }
void PutI64(std::string* dst, int64_t v) { PutBigEndian(dst, static_cast<uint64_t>(v)); }

void PutVarint32(std::string* dst, uint32_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

int Varint32Length(uint32_t v) {
  int len = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++len;
  }
  return len;
}

uint16_t DecodeU16(const char* p) { return DecodeBigEndian<uint16_t>(p); }
uint32_t DecodeU32(const char* p) { return DecodeBigEndian<uint32_t>(p); }
uint64_t DecodeU64(const char* p) { return DecodeBigEndian<uint64_t>(p); }

bool GetU16(std::string_view* in, uint16_t* v) { return GetBigEndian(in, v); }
bool GetU32(std::string_view* in, uint32_t* v) { return GetBigEndian(in, v); }
bool GetU64(std::string_view* in, uint64_t* v) { return GetBigEndian(in, v); }

bool GetI64(std::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetBigEndian(in, &u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

bool GetVarint32(std::string_view* in, uint32_t* v) {
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

bool GetBytes(std::string_view* in, size_t n, std::string_view* out) {
  if (in->size() < n) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

uint32_t Crc32(std::string_view data) {
  // zlib takes a uInt length, so feed inputs larger than 4 GiB in pieces.
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  size_t left = data.size();
  while (left > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    crc = crc32(crc, p, chunk);
    p += chunk;
    left -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace shardyfusion::slatedb
