// Data blocks of a SlateDB SST: a builder for V2 blocks and a reader for V1
// and V2 blocks (spec: shared/spec/slatedb-format.md, sections 3.1 and 3.2).
//
// A block is `[rows][u16 BE offset]*count[u16 BE count]`. In V2 blocks (SST
// format version 2, what BlockBuilder writes) each row's key is
// prefix-compressed against the previous row's key and the offsets point at
// restart rows (every 16th row, stored with its full key). In V1 blocks (SST
// format version 1, read only) each key is prefix-compressed against the
// block's first key and the offsets point at every row.
//
// BlockReader treats its input as untrusted: any malformed block gives a
// kDbAdapter Status naming the defect, never a crash or an out-of-bounds read.
//
// Thread-safety: BlockBuilder and BlockIterator are single-threaded objects.
// A BlockReader is immutable after Open() and may be shared by threads, each
// using its own iterator. A BlockReader and its iterators view the caller's
// block bytes, which must outlive them; an iterator must not outlive (or see
// a move of) the BlockReader that made it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/status.h"

namespace shardyfusion::slatedb {

// Bits of a row's flags byte. Any other bit is invalid, and so is
// kTombstone together with kMergeOperand.
inline constexpr uint8_t kRowTombstone = 0x01;
inline constexpr uint8_t kRowHasExpireTs = 0x02;
inline constexpr uint8_t kRowHasCreateTs = 0x04;
inline constexpr uint8_t kRowMergeOperand = 0x08;

inline constexpr size_t kDefaultBlockSize = 4096;
inline constexpr size_t kRestartInterval = 16;

// One decoded row. `flags` is the stored byte; its kRowHas* bits always agree
// with the presence of expire_ts / create_ts. A tombstone's value is empty.
struct Row {
  std::string key;
  uint64_t seq = 0;
  uint8_t flags = 0;
  std::string value;
  std::optional<int64_t> expire_ts;
  std::optional<int64_t> create_ts;

  bool operator==(const Row&) const = default;
};

// Returns OK if `flags` is a valid flags byte, else a kDbAdapter error.
Status CheckRowFlags(uint8_t flags);

// Builds one V2 block. Rows must be added in the SST's order (key ascending,
// seq descending for equal keys); the builder does not check it.
class BlockBuilder {
 public:
  // REQUIRES: 1 <= block_size <= 65536, so every restart offset fits a u16.
  explicit BlockBuilder(size_t block_size = kDefaultBlockSize);

  // Appends a row if it fits (see WouldFit) and returns true; otherwise
  // returns false and leaves the block unchanged. Only the kRowTombstone and
  // kRowMergeOperand bits of `flags` are taken; the kRowHas* bits follow the
  // optionals. A tombstone is written with no value, whatever `value` is.
  // REQUIRES: !key.empty(), key.size() <= 65535, value.size() <= UINT32_MAX.
  bool Add(std::string_view key, uint64_t seq, uint8_t flags, std::string_view value,
           std::optional<int64_t> expire_ts = std::nullopt,
           std::optional<int64_t> create_ts = std::nullopt);
  bool Add(const Row& row) {
    return Add(row.key, row.seq, row.flags, row.value, row.expire_ts, row.create_ts);
  }

  // The size Finish() would return if the row were added next (whether or
  // not it fits).
  size_t EstimateSizeAfter(std::string_view key, uint8_t flags, std::string_view value,
                           bool has_expire_ts, bool has_create_ts) const;

  // SlateDB's acceptance rule: an empty block takes any row; otherwise the
  // row fits while EstimateSizeAfter(...) <= block_size.
  bool WouldFit(std::string_view key, uint8_t flags, std::string_view value, bool has_expire_ts,
                bool has_create_ts) const;

  // Size of the block Finish() would return now.
  size_t CurrentSize() const { return buffer_.size() + 2 * restarts_.size() + 2; }
  bool empty() const { return num_rows_ == 0; }
  size_t num_rows() const { return num_rows_; }

  // Returns the block bytes and resets the builder for the next block.
  // REQUIRES: !empty() (SlateDB never writes an empty block).
  std::string Finish();

 private:
  size_t EntrySize(std::string_view key, uint8_t flags, std::string_view value, bool has_expire_ts,
                   bool has_create_ts, bool* opens_restart) const;

  size_t block_size_;
  std::string buffer_;
  std::vector<uint16_t> restarts_;
  std::string last_key_;
  size_t num_rows_ = 0;
};

class BlockReader;

// Walks the rows of a block in order. After any decode error Valid() is
// false and status() says what is wrong.
class BlockIterator {
 public:
  bool Valid() const { return valid_; }
  const Status& status() const { return status_; }

  void SeekToFirst();
  // Positions at the first row whose key is >= target.
  void Seek(std::string_view target);
  // REQUIRES: Valid()
  void Next();

  // REQUIRES: Valid(). Views stay good until the iterator moves.
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  uint64_t seq() const { return seq_; }
  uint8_t flags() const { return flags_; }
  std::optional<int64_t> expire_ts() const { return expire_ts_; }
  std::optional<int64_t> create_ts() const { return create_ts_; }
  Row row() const;

 private:
  friend class BlockReader;
  explicit BlockIterator(const BlockReader* block) : block_(block) {}

  // Decodes the row starting at `offset` into the current row.
  bool ParseV2At(size_t offset);
  bool ParseV1Entry(size_t index);
  bool ParseTail(std::string_view* in, size_t offset);
  // Reads the full key of restart `index` (V2) without moving the iterator.
  bool RestartKey(size_t index, std::string_view* key);
  void SeekV2(std::string_view target);
  void SeekV1(std::string_view target);
  void Fail(Status status);

  const BlockReader* block_;
  bool valid_ = false;
  Status status_;
  size_t next_ = 0;          // offset just past it (V2)
  size_t next_restart_ = 0;  // V2: index of the first restart not yet passed
  size_t entry_index_ = 0;   // V1: index of the current row
  std::string key_;
  std::string_view value_;
  uint64_t seq_ = 0;
  uint8_t flags_ = 0;
  std::optional<int64_t> expire_ts_;
  std::optional<int64_t> create_ts_;
};

class BlockReader {
 public:
  // Checks the block's trailer. `format_version` is the SST footer's format
  // version: 1 (V1 blocks) or 2 (V2 blocks).
  static Result<BlockReader> Open(std::string_view contents, int format_version);

  BlockIterator NewIterator() const { return BlockIterator(this); }

  // Decodes every row, or the first error.
  Result<std::vector<Row>> ReadAll() const;

  int format_version() const { return format_version_; }
  // Number of offsets in the trailer: restart points (V2) or rows (V1).
  size_t num_offsets() const { return num_offsets_; }

 private:
  friend class BlockIterator;
  BlockReader() = default;
  size_t Offset(size_t index) const;

  std::string_view data_;  // the rows, without the trailer
  const char* offsets_ = nullptr;
  size_t num_offsets_ = 0;
  int format_version_ = 2;
  std::string v1_first_key_;  // V1 keys are compressed against it
};

}  // namespace shardyfusion::slatedb
