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

// REQUIRES: p points at 2/4/8 readable bytes.
uint16_t DecodeU16(const char* p);
uint32_t DecodeU32(const char* p);
uint64_t DecodeU64(const char* p);

bool GetU16(std::string_view* in, uint16_t* v);
bool GetU32(std::string_view* in, uint32_t* v);
bool GetU64(std::string_view* in, uint64_t* v);
bool GetI64(std::string_view* in, int64_t* v);
bool GetVarint32(std::string_view* in, uint32_t* v);
// Takes `n` bytes from the front of `*in` into `*out`.
bool GetBytes(std::string_view* in, size_t n, std::string_view* out);

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of `data`.
uint32_t Crc32(std::string_view data);

}  // namespace shardyfusion::slatedb
