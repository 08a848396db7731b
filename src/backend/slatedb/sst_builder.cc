#include "backend/slatedb/sst_builder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "backend/slatedb/coding.h"
#include "backend/slatedb/separator.h"
#include "core/status_internal.h"

namespace shardyfusion::slatedb {

namespace {

constexpr size_t kWriteBufferBytes = 1 << 20;
constexpr uint16_t kSstFormatVersion = 2;

}  // namespace

Status ValidateSstBuilderOptions(const SstBuilderOptions& options) {
  if (options.block_size < 1024 || options.block_size > 65536) {
    return Status(ErrorCode::kConfigValidation,
                  fmt::format("SlateDB block size {} is out of range; use 1024 to 65536 bytes",
                              options.block_size));
  }
  if (options.bloom_bits_per_key > 64) {
    return Status(ErrorCode::kConfigValidation,
                  fmt::format("SlateDB bloom filter bits per key {} is out of range; use 0 (no "
                              "filter) to 64",
                              options.bloom_bits_per_key));
  }
  return CompressionCodecFromByte(static_cast<int>(options.compression)).status();
}

SstBuilder::SstBuilder(std::string path, const SstBuilderOptions& options, ScopedFd fd)
    : path_(std::move(path)),
      options_(options),
      fd_(std::move(fd)),
      block_(options.block_size),
      bloom_(options.bloom_bits_per_key) {
  buffer_.reserve(kWriteBufferBytes);
}

SstBuilder::~SstBuilder() {
  if (!finished_) Abandon();
}

Result<std::unique_ptr<SstBuilder>> SstBuilder::Create(const std::string& path,
                                                       const SstBuilderOptions& options) {
  ScopedFd fd(OpenRetrying(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoStatus(errno, "cannot create SlateDB SST", path);
  return std::unique_ptr<SstBuilder>(new SstBuilder(path, options, std::move(fd)));
}

Status SstBuilder::Add(std::string_view key, uint64_t seq, uint8_t flags, std::string_view value) {
  if (!block_.Add(key, seq, flags, value)) {
    SHARDY_RETURN_IF_ERROR(FlushBlock());
    block_.Add(key, seq, flags, value);  // an empty block takes any row
  }
  if (block_.num_rows() == 1) {
    // The block's index entry: block 0 has the empty key; later blocks the
    // shortest key above the previous block's last key.
    std::string first;
    if (!index_.empty()) {
      first = block_last_key_ < key ? ShortestSeparator(block_last_key_, key) : std::string(key);
    }
    index_.push_back(BlockMeta{offset_, std::move(first)});
  }
  if (num_rows_ == 0) {
    first_key_.assign(key);
    if (options_.bloom_bits_per_key > 0) bloom_.AddKey(key);
  } else if (key != std::string_view(last_key_)) {
    if (options_.bloom_bits_per_key > 0) bloom_.AddKey(key);
  }
  last_key_.assign(key);
  ++num_rows_;
  return Status::OK();
}

Status SstBuilder::FlushBlock() {
  if (block_.empty()) return Status::OK();
  block_last_key_ = last_key_;
  const std::string block = block_.Finish();
  return AppendSection(block, /*compress=*/true);
}

Status SstBuilder::AppendSection(std::string_view raw, bool compress) {
  std::string compressed;
  std::string_view stored = raw;
  if (compress && options_.compression != CompressionCodec::kNone) {
    SHARDY_ASSIGN_OR_RETURN(compressed, Compress(options_.compression, raw));
    stored = compressed;
  }
  SHARDY_RETURN_IF_ERROR(Write(stored));
  std::string crc;
  PutU32(&crc, Crc32(stored));
  return Write(crc);
}

Status SstBuilder::Write(std::string_view bytes) {
  offset_ += bytes.size();
  if (buffer_.size() + bytes.size() > kWriteBufferBytes) {
    SHARDY_RETURN_IF_ERROR(FlushBuffer());
    if (bytes.size() >= kWriteBufferBytes) return WriteAll(fd_.get(), bytes, path_);
  }
  buffer_.append(bytes);
  return Status::OK();
}

Status SstBuilder::FlushBuffer() {
  if (buffer_.empty()) return Status::OK();
  Status st = WriteAll(fd_.get(), buffer_, path_);
  buffer_.clear();
  return st;
}

Result<SstSummary> SstBuilder::Finish() {
  SHARDY_RETURN_IF_ERROR(FlushBlock());
  SstSummary summary;
  SstInfo& info = summary.info;
  info.first_entry = first_key_;
  info.last_entry = last_key_;
  info.compression = static_cast<Compression>(options_.compression);
  info.sst_type = SstType::kCompacted;
  info.filter_format = FilterFormat::kLegacy;

  info.filter_offset = offset_;
  if (options_.bloom_bits_per_key > 0 && bloom_.num_keys() >= options_.min_filter_keys) {
    SHARDY_RETURN_IF_ERROR(AppendSection(bloom_.Finish(), /*compress=*/true));
    info.filter_len = offset_ - info.filter_offset;
  }
  info.index_offset = offset_;
  SHARDY_RETURN_IF_ERROR(AppendSection(EncodeSstIndex(index_), /*compress=*/true));
  info.index_len = offset_ - info.index_offset;

  const uint64_t info_offset = offset_;
  SHARDY_RETURN_IF_ERROR(AppendSection(EncodeSstInfo(info), /*compress=*/false));
  std::string footer;
  PutU64(&footer, info_offset);
  PutU16(&footer, kSstFormatVersion);
  SHARDY_RETURN_IF_ERROR(Write(footer));
  SHARDY_RETURN_IF_ERROR(FlushBuffer());
  if (::close(fd_.release()) != 0) return ErrnoStatus(errno, "cannot close SlateDB SST", path_);
  finished_ = true;
  summary.file_size = offset_;
  summary.num_rows = num_rows_;
  return summary;
}

void SstBuilder::Abandon() {
  fd_.reset();
  if (!finished_) ::unlink(path_.c_str());
  finished_ = true;
}

}  // namespace shardyfusion::slatedb
