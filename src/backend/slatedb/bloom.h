// SlateDB's bloom filter (spec section 3.4): SipHash-1-3 with key (0, 0) over
// the raw key bytes, enhanced double hashing for the probe positions, and the
// "Legacy" payload `[u16 BE num_probes][bit array]` (bit p is
// byte[p / 8] & (1 << (p % 8))). Every SlateDB reader from 0.12.0 on
// understands Legacy payloads, so that is what BloomBuilder writes. Readers
// may also meet the "Composite" filter section written by 0.12.1+;
// FindCompositeBloom extracts its whole-key bloom ("_bf").
//
// Thread-safety: BloomBuilder is single-threaded. A BloomReader is immutable
// after Open() and may be shared by threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/status.h"

namespace shardyfusion::slatedb {

inline constexpr uint32_t kDefaultBloomBitsPerKey = 10;

// SipHash-1-3 of `data` with the all-zero key, as Rust's
// SipHasher13::new_with_keys(0, 0) writing the bytes alone.
uint64_t SipHash13(std::string_view data);

// The `num_probes` bit positions probed for `hash` in a filter of `num_bits`
// bits. REQUIRES: num_bits > 0.
std::vector<uint32_t> BloomProbes(uint64_t hash, uint32_t num_probes, uint32_t num_bits);

class BloomBuilder {
 public:
  explicit BloomBuilder(uint32_t bits_per_key = kDefaultBloomBitsPerKey);

  void AddKey(std::string_view key) { hashes_.push_back(SipHash13(key)); }
  size_t num_keys() const { return hashes_.size(); }

  // The Legacy payload: u16 BE floor(bits_per_key * 0.69) probes, then
  // ceil(num_keys * bits_per_key / 8) bytes of bits. Clears the builder.
  // REQUIRES: num_keys * bits_per_key < 2^32 (the probe arithmetic is on u32
  // bit positions, as SlateDB's).
  std::string Finish();

 private:
  uint32_t bits_per_key_;
  std::vector<uint64_t> hashes_;
};

class BloomReader {
 public:
  // Parses a Legacy payload (copied into the reader).
  static Result<BloomReader> Open(std::string_view payload);

  // False means the key is certainly absent.
  bool MayContain(std::string_view key) const { return MayContainHash(SipHash13(key)); }
  bool MayContainHash(uint64_t hash) const;

  uint32_t num_probes() const { return num_probes_; }
  uint64_t num_bits() const { return uint64_t{bits_.size()} * 8; }

 private:
  BloomReader() = default;
  uint32_t num_probes_ = 0;
  std::string bits_;
};

// Returns the payload of the "_bf" (whole-key bloom) entry of a Composite
// filter section `[u16 BE count]([u16 BE name_len][name][u64 BE data_len]
// [data])*`, or nullopt if it has none (then the SST has no usable filter).
// The view points into `section`.
Result<std::optional<std::string_view>> FindCompositeBloom(std::string_view section);

}  // namespace shardyfusion::slatedb
