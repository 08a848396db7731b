// SstBuilder: writes one compacted SlateDB SST (spec sections 3 to 3.6) to a
// local file, streaming: rows go through one V2 data block at a time, so
// memory is the current block, the index (one separator key per block) and
// 8 bytes of bloom hash per key, whatever the SST's size.
//
// The file is, in order: the data blocks (each compressed with the SST's
// codec and followed by a u32 big-endian CRC-32 of its stored bytes), the
// Legacy bloom filter when the SST has at least `min_filter_keys` keys, the
// SsTableIndex, the SsTableInfo (never compressed) and the 10-byte footer
// (u64 offset of the SsTableInfo, u16 SST format version 2). No stats block
// is written (readers do not need one). `filter_offset` is always the end of
// the data, as every SlateDB reader from 0.12 on expects.
//
// Thread-safety: an SstBuilder is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/slatedb/block.h"
#include "backend/slatedb/bloom.h"
#include "backend/slatedb/compression.h"
#include "backend/slatedb/manifest.h"
#include "shardyfusion/status.h"
#include "storage/local_file.h"

namespace shardyfusion::slatedb {

// SlateDB's limits on a key (its write API rejects others).
inline constexpr size_t kMaxKeyBytes = 65535;

struct SstBuilderOptions {
  size_t block_size = kDefaultBlockSize;  // 1 KiB to 64 KiB, as SlateDB allows
  CompressionCodec compression = CompressionCodec::kNone;
  uint32_t bloom_bits_per_key = kDefaultBloomBitsPerKey;  // 0 = never write a filter
  uint64_t min_filter_keys = 1000;                        // SlateDB's default
};

// kConfigValidation unless the options are in SlateDB's ranges.
Status ValidateSstBuilderOptions(const SstBuilderOptions& options);

// What a finished SST holds.
struct SstSummary {
  SstInfo info;
  uint64_t file_size = 0;
  uint64_t num_rows = 0;
};

class SstBuilder {
 public:
  // Creates (truncates) the local file `path`.
  // REQUIRES: ValidateSstBuilderOptions(options).ok()
  static Result<std::unique_ptr<SstBuilder>> Create(const std::string& path,
                                                    const SstBuilderOptions& options);
  ~SstBuilder();
  SstBuilder(const SstBuilder&) = delete;
  SstBuilder& operator=(const SstBuilder&) = delete;

  // Appends a row. Rows must come in SST order: key ascending, and for an
  // equal key seq descending (not checked). Only kRowTombstone and
  // kRowMergeOperand of `flags` are taken.
  // REQUIRES: 1 <= key.size() <= kMaxKeyBytes, value.size() <= UINT32_MAX.
  Status Add(std::string_view key, uint64_t seq, uint8_t flags, std::string_view value);
  Status Add(std::string_view key, uint64_t seq, std::string_view value) {
    return Add(key, seq, 0, value);
  }

  // Bytes the file would have if the data ended now (metadata excluded);
  // used to split output into SSTs of a target size.
  uint64_t EstimatedSize() const { return offset_ + block_.CurrentSize(); }
  uint64_t num_rows() const { return num_rows_; }
  bool empty() const { return num_rows_ == 0; }

  // Writes the filter, index, SsTableInfo and footer and closes the file.
  // REQUIRES: !empty() (SlateDB never writes an SST without rows here).
  Result<SstSummary> Finish();
  // Closes and deletes the file. Safe to call at any time.
  void Abandon();

  const std::string& path() const { return path_; }

 private:
  SstBuilder(std::string path, const SstBuilderOptions& options, ScopedFd fd);
  // Compresses `raw`, appends it and its CRC at the current offset.
  Status AppendSection(std::string_view raw, bool compress);
  Status FlushBlock();
  Status Write(std::string_view bytes);
  Status FlushBuffer();

  const std::string path_;
  const SstBuilderOptions options_;
  ScopedFd fd_;
  std::string buffer_;   // bytes not yet written to fd_
  uint64_t offset_ = 0;  // bytes appended so far (written or buffered)
  BlockBuilder block_;
  std::vector<BlockMeta> index_;
  BloomBuilder bloom_;
  std::string first_key_;
  std::string last_key_;        // the last key added
  std::string block_last_key_;  // the last key of the previous block
  uint64_t num_rows_ = 0;
  bool finished_ = false;
};

}  // namespace shardyfusion::slatedb
