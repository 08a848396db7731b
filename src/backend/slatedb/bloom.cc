#include "backend/slatedb/bloom.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "backend/slatedb/coding.h"

namespace shardyfusion::slatedb {

namespace {

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline uint64_t LoadLittleEndian64(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

struct SipState {
  uint64_t v0 = 0x736f6d6570736575ULL;  // the key (0, 0) XORs in nothing
  uint64_t v1 = 0x646f72616e646f6dULL;
  uint64_t v2 = 0x6c7967656e657261ULL;
  uint64_t v3 = 0x7465646279746573ULL;

  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
  void Compress(uint64_t m) {
    v3 ^= m;
    Round();  // one compression round: the "1" of SipHash-1-3
    v0 ^= m;
  }
};

// Calls emit(position) for each probe; SlateDB's enhanced double hashing.
template <typename Emit>
void ForEachProbe(uint64_t hash, uint32_t num_probes, uint64_t num_bits, Emit&& emit) {
  uint64_t h = (hash & 0xffffffffULL) % num_bits;
  uint64_t delta = (hash >> 32) % num_bits;
  for (uint32_t i = 0; i < num_probes; ++i) {
    delta = (delta + i) % num_bits;
    if (!emit(h)) return;
    h = (h + delta) % num_bits;
  }
}

Status BadFilter(std::string message) {
  return Status(ErrorCode::kDbAdapter, "slatedb filter: " + std::move(message));
}

}  // namespace

uint64_t SipHash13(std::string_view data) {
  SipState s;
  const size_t full = data.size() - data.size() % 8;
  for (size_t i = 0; i < full; i += 8) s.Compress(LoadLittleEndian64(data.data() + i, 8));
  const uint64_t last = (uint64_t{data.size() & 0xff} << 56) |
                        LoadLittleEndian64(data.data() + full, data.size() - full);
  s.Compress(last);
  s.v2 ^= 0xff;
  s.Round();
  s.Round();
  s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::vector<uint32_t> BloomProbes(uint64_t hash, uint32_t num_probes, uint32_t num_bits) {
  std::vector<uint32_t> probes;
  probes.reserve(num_probes);
  ForEachProbe(hash, num_probes, num_bits, [&](uint64_t p) {
    probes.push_back(static_cast<uint32_t>(p));
    return true;
  });
  return probes;
}

BloomBuilder::BloomBuilder(uint32_t bits_per_key) : bits_per_key_(bits_per_key) {}

std::string BloomBuilder::Finish() {
  const uint64_t num_bytes = (uint64_t{hashes_.size()} * bits_per_key_ + 7) / 8;
  const uint64_t num_bits = num_bytes * 8;
  const auto num_probes = static_cast<uint16_t>(std::floor(bits_per_key_ * 0.69));
  std::string payload;
  payload.reserve(2 + num_bytes);
  PutU16(&payload, num_probes);
  payload.append(num_bytes, '\0');
  char* bits = payload.data() + 2;
  if (num_bits > 0) {
    for (uint64_t hash : hashes_) {
      ForEachProbe(hash, num_probes, num_bits, [&](uint64_t p) {
        bits[p / 8] = static_cast<char>(bits[p / 8] | (1 << (p % 8)));
        return true;
      });
    }
  }
  hashes_.clear();
  return payload;
}

Result<BloomReader> BloomReader::Open(std::string_view payload) {
  std::string_view in = payload;
  uint16_t num_probes;
  if (!GetU16(&in, &num_probes)) {
    return BadFilter(
        fmt::format("bloom payload of {} bytes is shorter than its 2-byte header", payload.size()));
  }
  if (uint64_t{in.size()} * 8 > std::numeric_limits<uint32_t>::max()) {
    return BadFilter(fmt::format("bloom of {} bytes exceeds 2^32 bits", in.size()));
  }
  BloomReader reader;
  reader.num_probes_ = num_probes;
  reader.bits_.assign(in);
  return reader;
}

bool BloomReader::MayContainHash(uint64_t hash) const {
  // A filter built over no keys has no bits and holds nothing.
  if (bits_.empty()) return false;
  bool all_set = true;
  ForEachProbe(hash, num_probes_, num_bits(), [&](uint64_t p) {
    all_set = (static_cast<uint8_t>(bits_[p / 8]) >> (p % 8)) & 1;
    return all_set;
  });
  return all_set;
}

Result<std::optional<std::string_view>> FindCompositeBloom(std::string_view section) {
  std::string_view in = section;
  uint16_t count;
  if (!GetU16(&in, &count)) return BadFilter("composite filter section shorter than its count");
  std::optional<std::string_view> found;
  for (uint16_t i = 0; i < count; ++i) {
    uint16_t name_len;
    uint64_t data_len;
    std::string_view name, data;
    if (!GetU16(&in, &name_len) || !GetBytes(&in, name_len, &name) || !GetU64(&in, &data_len) ||
        data_len > in.size() || !GetBytes(&in, static_cast<size_t>(data_len), &data)) {
      return BadFilter(
          fmt::format("composite filter section truncated in entry {} of {}", i, count));
    }
    // Unknown names (prefix blooms, blooms without whole keys) are skipped.
    if (name == "_bf" && !found) found = data;
  }
  return found;
}

}  // namespace shardyfusion::slatedb
