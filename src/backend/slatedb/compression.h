// Block compression codecs of SlateDB SSTs (spec section 3.5). The codec is
// per SST (SsTableInfo.compression_format) and applies to each data, filter,
// index and stats block; the CRC covers the compressed bytes. Stored forms:
//   None   the bytes as they are
//   Snappy a raw snappy block (no framing)
//   Zlib   a zlib stream with its header, default level
//   Lz4    u32 LITTLE-endian uncompressed size, then an LZ4 block
//   Zstd   zstd frame(s), level 3
// Decompress treats its input as untrusted: garbage gives a kDbAdapter error
// and the output never grows beyond `max_output` bytes.
//
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shardyfusion/status.h"

namespace shardyfusion::slatedb {

// Values as stored in SsTableInfo.compression_format.
enum class CompressionCodec : uint8_t {
  kNone = 0,
  kSnappy = 1,
  kZlib = 2,
  kLz4 = 3,
  kZstd = 4,
};

// Far above any real block (SlateDB blocks are 1-64 KiB; an index block of a
// 256 MiB SST is a few MiB) yet small enough that a hostile size prefix
// cannot exhaust memory.
inline constexpr size_t kMaxDecompressedSize = size_t{256} << 20;

// Maps a stored codec byte to a codec; unknown values are a kDbAdapter error.
Result<CompressionCodec> CompressionCodecFromByte(int value);
const char* CompressionCodecName(CompressionCodec codec);

Result<std::string> Compress(CompressionCodec codec, std::string_view in);
Result<std::string> Decompress(CompressionCodec codec, std::string_view in,
                               size_t max_output = kMaxDecompressedSize);

}  // namespace shardyfusion::slatedb
