// Fuzz target: the input as a Legacy bloom payload (BloomReader::Open and
// probes) and as a Composite filter section (FindCompositeBloom, then the
// "_bf" payload it finds).
//
// Invariants: Open accepts exactly the payloads of 2 bytes up to 2^32 bits; the
// reader has 8 bits per payload byte after the header; a bloom without bits
// holds nothing; the "_bf" payload found lies inside the section.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "backend/slatedb/bloom.h"
#include "fuzz/fuzz_check.h"

namespace shardyfusion::slatedb {
namespace {

constexpr std::string_view kFilterError = "slatedb filter";

void ProbeLegacy(std::string_view payload) {
  Result<BloomReader> bloom = BloomReader::Open(payload);
  if (!bloom.ok()) {
    fuzz::CheckDecodeError(bloom.status(), kFilterError);
    FUZZ_CHECK(payload.size() < 2 || uint64_t{payload.size() - 2} * 8 > UINT32_MAX);
    return;
  }
  FUZZ_CHECK(payload.size() >= 2);
  FUZZ_CHECK(bloom->num_bits() == uint64_t{payload.size() - 2} * 8);
  for (std::string_view key : {std::string_view(), std::string_view("key0"),
                               std::string_view("key123"), payload.substr(0, 16)}) {
    const bool may = bloom->MayContain(key);
    if (bloom->num_bits() == 0) FUZZ_CHECK(!may);
    if (bloom->num_probes() == 0 && bloom->num_bits() > 0) FUZZ_CHECK(may);
  }
}

void Run(std::string_view input) {
  ProbeLegacy(input);
  Result<std::optional<std::string_view>> bf = FindCompositeBloom(input);
  if (!bf.ok()) {
    fuzz::CheckDecodeError(bf.status(), kFilterError);
    return;
  }
  if (!bf->has_value()) return;
  const std::string_view payload = **bf;
  FUZZ_CHECK(payload.data() >= input.data());
  FUZZ_CHECK(payload.data() + payload.size() <= input.data() + input.size());
  ProbeLegacy(payload);
}

}  // namespace
}  // namespace shardyfusion::slatedb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::slatedb::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
