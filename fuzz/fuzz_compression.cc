// Fuzz target: Decompress for every codec. Input: a codec byte (taken mod
// 5: 0 None, 1 Snappy, 2 Zlib, 3 Lz4, 4 Zstd), then the stored bytes.
//
// Invariants: the output never exceeds max_output, and the limit is exact
// (the same input decompresses under a limit of its output size and fails
// under one byte less); what decompresses recompresses and round-trips.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "backend/slatedb/compression.h"
#include "fuzz/fuzz_check.h"

namespace shardyfusion::slatedb {
namespace {

// Small enough that a hostile stream cannot make a run slow.
constexpr size_t kMaxOutput = size_t{1} << 20;

void Run(std::string_view input) {
  if (input.empty()) return;
  const auto codec = static_cast<CompressionCodec>(static_cast<uint8_t>(input[0]) % 5);
  const std::string_view stored = input.substr(1);
  const std::string error_prefix = std::string("slatedb ") + CompressionCodecName(codec);

  Result<std::string> out = Decompress(codec, stored, kMaxOutput);
  if (!out.ok()) {
    fuzz::CheckDecodeError(out.status(), error_prefix);
    return;
  }
  FUZZ_CHECK(out->size() <= kMaxOutput);

  Result<std::string> exact = Decompress(codec, stored, out->size());
  FUZZ_CHECK(exact.ok() && *exact == *out);
  if (!out->empty()) {
    Result<std::string> short_by_one = Decompress(codec, stored, out->size() - 1);
    FUZZ_CHECK(!short_by_one.ok());
    fuzz::CheckDecodeError(short_by_one.status(), error_prefix);
  }

  Result<std::string> packed = Compress(codec, *out);
  FUZZ_CHECK(packed.ok());
  Result<std::string> back = Decompress(codec, *packed, kMaxOutput);
  FUZZ_CHECK(back.ok() && *back == *out);
}

}  // namespace
}  // namespace shardyfusion::slatedb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::slatedb::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
