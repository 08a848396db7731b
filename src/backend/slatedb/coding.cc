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
