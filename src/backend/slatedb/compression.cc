#include "backend/slatedb/compression.h"

#include <fmt/format.h>
#include <lz4.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace shardyfusion::slatedb {

namespace {

constexpr int kZstdLevel = 3;
constexpr uint64_t kLz4MaxRatio = 255;

Status CodecError(CompressionCodec codec, std::string message) {
  return Status(ErrorCode::kDbAdapter,
                fmt::format("slatedb {} block: {}", CompressionCodecName(codec), message));
}

Status TooLarge(CompressionCodec codec, size_t max_output) {
  return CodecError(codec, fmt::format("decompressed size exceeds the {}-byte limit", max_output));
}

Result<std::string> ZlibCompress(std::string_view in) {
  if (in.size() > ULONG_MAX / 2) return CodecError(CompressionCodec::kZlib, "input too large");
  uLongf out_len = compressBound(static_cast<uLong>(in.size()));
  std::string out(out_len, '\0');
  const int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &out_len,
                           reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()),
                           Z_DEFAULT_COMPRESSION);
  if (rc != Z_OK)
    return CodecError(CompressionCodec::kZlib, fmt::format("compress2 failed ({})", rc));
  out.resize(out_len);
  return out;
}

Result<std::string> ZlibDecompress(std::string_view in, size_t max_output) {
  constexpr CompressionCodec kCodec = CompressionCodec::kZlib;
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return CodecError(kCodec, "inflateInit failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  size_t in_left = in.size();
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0) {
      const uInt chunk = static_cast<uInt>(std::min<size_t>(in_left, 1u << 30));
      zs.avail_in = chunk;
      in_left -= chunk;
    }
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      if (rc == Z_BUF_ERROR) return CodecError(kCodec, "stream truncated");
      return CodecError(kCodec, fmt::format("corrupt stream ({})", zs.msg ? zs.msg : "no detail"));
    }
    const size_t produced = sizeof(buf) - zs.avail_out;
    if (out.size() + produced > max_output) return TooLarge(kCodec, max_output);
    out.append(buf, produced);
    if (rc == Z_OK && produced == 0 && zs.avail_in == 0 && in_left == 0) {
      return CodecError(kCodec, "stream truncated");
    }
  }
  if (zs.avail_in != 0 || in_left != 0)
    return CodecError(kCodec, "trailing bytes after the stream");
  return out;
}

Result<std::string> SnappyDecompress(std::string_view in, size_t max_output) {
  constexpr CompressionCodec kCodec = CompressionCodec::kSnappy;
  size_t len = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &len)) {
    return CodecError(kCodec, "bad length header");
  }
  if (len > max_output) return TooLarge(kCodec, max_output);
  if (!snappy::IsValidCompressedBuffer(in.data(), in.size())) {
    return CodecError(kCodec, "corrupt data");
  }
  std::string out(len, '\0');
  if (!snappy::RawUncompress(in.data(), in.size(), out.data())) {
    return CodecError(kCodec, "corrupt data");
  }
  return out;
}

Result<std::string> Lz4Compress(std::string_view in) {
  constexpr CompressionCodec kCodec = CompressionCodec::kLz4;
  if (in.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE))
    return CodecError(kCodec, "input too large");
  const int bound = LZ4_compressBound(static_cast<int>(in.size()));
  std::string out(4 + static_cast<size_t>(bound), '\0');
  const auto size = static_cast<uint32_t>(in.size());
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  const int n = LZ4_compress_default(in.data(), out.data() + 4, static_cast<int>(in.size()), bound);
  if (n <= 0) return CodecError(kCodec, "LZ4_compress_default failed");
  out.resize(4 + static_cast<size_t>(n));
  return out;
}

Result<std::string> Lz4Decompress(std::string_view in, size_t max_output) {
  constexpr CompressionCodec kCodec = CompressionCodec::kLz4;
  if (in.size() < 4) return CodecError(kCodec, "shorter than its 4-byte size prefix");
  uint32_t size = 0;
  for (int i = 0; i < 4; ++i) size |= uint32_t{static_cast<uint8_t>(in[i])} << (8 * i);
  if (size > max_output || size > static_cast<uint32_t>(INT_MAX))
    return TooLarge(kCodec, max_output);
  if (in.size() - 4 > static_cast<size_t>(INT_MAX)) return CodecError(kCodec, "input too large");
  // An LZ4 block yields at most 255 bytes per input byte (one match-length
  // byte), so a larger prefix is corrupt. Checked before allocating, or a
  // few hostile bytes would cost a max_output-sized buffer.
  if (uint64_t{size} > uint64_t{in.size() - 4} * kLz4MaxRatio) {
    return CodecError(kCodec, fmt::format("size prefix says {} bytes but {} bytes of LZ4 data "
                                          "hold at most {}",
                                          size, in.size() - 4, (in.size() - 4) * kLz4MaxRatio));
  }
  std::string out(size, '\0');
  const int n = LZ4_decompress_safe(in.data() + 4, out.data(), static_cast<int>(in.size() - 4),
                                    static_cast<int>(size));
  if (n < 0) return CodecError(kCodec, "corrupt data");
  if (static_cast<uint32_t>(n) != size) {
    return CodecError(kCodec,
                      fmt::format("size prefix says {} bytes but the data holds {}", size, n));
  }
  return out;
}

Result<std::string> ZstdCompress(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), kZstdLevel);
  if (ZSTD_isError(n)) return CodecError(CompressionCodec::kZstd, ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Result<std::string> ZstdDecompress(std::string_view in, size_t max_output) {
  constexpr CompressionCodec kCodec = CompressionCodec::kZstd;
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return CodecError(kCodec, "ZSTD_createDCtx failed");
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::string out;
  char buf[16384];
  size_t last = 1;  // nonzero: a frame is still open
  if (in.empty()) return CodecError(kCodec, "empty input");
  while (input.pos < input.size) {
    ZSTD_outBuffer output{buf, sizeof(buf), 0};
    last = ZSTD_decompressStream(ctx.get(), &output, &input);
    if (ZSTD_isError(last)) return CodecError(kCodec, ZSTD_getErrorName(last));
    if (out.size() + output.pos > max_output) return TooLarge(kCodec, max_output);
    out.append(buf, output.pos);
  }
  // Drain output that a finished input still holds back.
  while (last != 0) {
    ZSTD_outBuffer output{buf, sizeof(buf), 0};
    last = ZSTD_decompressStream(ctx.get(), &output, &input);
    if (ZSTD_isError(last)) return CodecError(kCodec, ZSTD_getErrorName(last));
    if (output.pos == 0 && last != 0) return CodecError(kCodec, "frame truncated");
    if (out.size() + output.pos > max_output) return TooLarge(kCodec, max_output);
    out.append(buf, output.pos);
  }
  return out;
}

}  // namespace

Result<CompressionCodec> CompressionCodecFromByte(int value) {
  if (value < 0 || value > 4) {
    return Status(ErrorCode::kDbAdapter,
                  fmt::format("slatedb: unknown compression codec {} (known: 0 None, 1 Snappy, "
                              "2 Zlib, 3 Lz4, 4 Zstd)",
                              value));
  }
  return static_cast<CompressionCodec>(value);
}

const char* CompressionCodecName(CompressionCodec codec) {
  switch (codec) {
    case CompressionCodec::kNone:
      return "None";
    case CompressionCodec::kSnappy:
      return "Snappy";
    case CompressionCodec::kZlib:
      return "Zlib";
    case CompressionCodec::kLz4:
      return "Lz4";
    case CompressionCodec::kZstd:
      return "Zstd";
  }
  return "Unknown";
}

Result<std::string> Compress(CompressionCodec codec, std::string_view in) {
  switch (codec) {
    case CompressionCodec::kNone:
      return std::string(in);
    case CompressionCodec::kSnappy: {
      std::string out;
      snappy::Compress(in.data(), in.size(), &out);
      return out;
    }
    case CompressionCodec::kZlib:
      return ZlibCompress(in);
    case CompressionCodec::kLz4:
      return Lz4Compress(in);
    case CompressionCodec::kZstd:
      return ZstdCompress(in);
  }
  return CodecError(codec, "unknown codec");
}

Result<std::string> Decompress(CompressionCodec codec, std::string_view in, size_t max_output) {
  switch (codec) {
    case CompressionCodec::kNone:
      if (in.size() > max_output) return TooLarge(codec, max_output);
      return std::string(in);
    case CompressionCodec::kSnappy:
      return SnappyDecompress(in, max_output);
    case CompressionCodec::kZlib:
      return ZlibDecompress(in, max_output);
    case CompressionCodec::kLz4:
      return Lz4Decompress(in, max_output);
    case CompressionCodec::kZstd:
      return ZstdDecompress(in, max_output);
  }
  return CodecError(codec, "unknown codec");
}

}  // namespace shardyfusion::slatedb
