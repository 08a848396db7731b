#include "backend/slatedb/block.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "backend/slatedb/coding.h"

namespace shardyfusion::slatedb {

namespace {

Status Corrupt(std::string message) {
  return Status(ErrorCode::kDbAdapter, "slatedb block: " + std::move(message));
}

size_t SharedPrefixLength(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

Status CheckRowFlags(uint8_t flags) {
  constexpr uint8_t kKnown = kRowTombstone | kRowHasExpireTs | kRowHasCreateTs | kRowMergeOperand;
  if ((flags & ~kKnown) != 0) {
    return Corrupt(fmt::format("bad flags 0x{:02x}: unknown bits 0x{:02x}", flags,
                               static_cast<uint8_t>(flags & ~kKnown)));
  }
  if ((flags & kRowTombstone) && (flags & kRowMergeOperand)) {
    return Corrupt(fmt::format("bad flags 0x{:02x}: tombstone and merge operand together", flags));
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// BlockBuilder

BlockBuilder::BlockBuilder(size_t block_size) : block_size_(block_size) {}

size_t BlockBuilder::EntrySize(std::string_view key, uint8_t flags, std::string_view value,
                               bool has_expire_ts, bool has_create_ts, bool* opens_restart) const {
  *opens_restart = num_rows_ % kRestartInterval == 0;
  const size_t shared = *opens_restart ? 0 : SharedPrefixLength(last_key_, key);
  const size_t unshared = key.size() - shared;
  const size_t value_len = (flags & kRowTombstone) ? 0 : value.size();
  return Varint32Length(static_cast<uint32_t>(shared)) +
         Varint32Length(static_cast<uint32_t>(unshared)) +
         Varint32Length(static_cast<uint32_t>(value_len)) + unshared + value_len +
         /*seq*/ 8 + /*flags*/ 1 + (has_expire_ts ? 8 : 0) + (has_create_ts ? 8 : 0);
}

size_t BlockBuilder::EstimateSizeAfter(std::string_view key, uint8_t flags, std::string_view value,
                                       bool has_expire_ts, bool has_create_ts) const {
  bool opens_restart;
  const size_t entry = EntrySize(key, flags, value, has_expire_ts, has_create_ts, &opens_restart);
  return CurrentSize() + entry + (opens_restart ? 2 : 0);
}

bool BlockBuilder::WouldFit(std::string_view key, uint8_t flags, std::string_view value,
                            bool has_expire_ts, bool has_create_ts) const {
  return empty() ||
         EstimateSizeAfter(key, flags, value, has_expire_ts, has_create_ts) <= block_size_;
}

bool BlockBuilder::Add(std::string_view key, uint64_t seq, uint8_t flags, std::string_view value,
                       std::optional<int64_t> expire_ts, std::optional<int64_t> create_ts) {
  uint8_t stored_flags = flags & (kRowTombstone | kRowMergeOperand);
  if (expire_ts) stored_flags |= kRowHasExpireTs;
  if (create_ts) stored_flags |= kRowHasCreateTs;
  if (!WouldFit(key, stored_flags, value, expire_ts.has_value(), create_ts.has_value())) {
    return false;
  }
  const bool opens_restart = num_rows_ % kRestartInterval == 0;
  const size_t shared = opens_restart ? 0 : SharedPrefixLength(last_key_, key);
  if (stored_flags & kRowTombstone) value = {};
  if (opens_restart) restarts_.push_back(static_cast<uint16_t>(buffer_.size()));

  PutVarint32(&buffer_, static_cast<uint32_t>(shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(key.size() - shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(value.size()));
  buffer_.append(key.substr(shared));
  buffer_.append(value);
  PutU64(&buffer_, seq);
  buffer_.push_back(static_cast<char>(stored_flags));
  if (expire_ts) PutI64(&buffer_, *expire_ts);
  if (create_ts) PutI64(&buffer_, *create_ts);

  last_key_.assign(key);
  ++num_rows_;
  return true;
}

std::string BlockBuilder::Finish() {
  std::string block = std::move(buffer_);
  for (uint16_t offset : restarts_) PutU16(&block, offset);
  PutU16(&block, static_cast<uint16_t>(restarts_.size()));
  buffer_.clear();
  restarts_.clear();
  last_key_.clear();
  num_rows_ = 0;
  return block;
}

// ---------------------------------------------------------------------------
// BlockReader

Result<BlockReader> BlockReader::Open(std::string_view contents, int format_version) {
  if (format_version != 1 && format_version != 2) {
    return Corrupt(
        fmt::format("unsupported SST format version {} (expected 1 or 2)", format_version));
  }
  if (contents.size() < 2) {
    return Corrupt(
        fmt::format("block truncated: {} bytes, too short for its row count", contents.size()));
  }
  const size_t count = DecodeU16(contents.data() + contents.size() - 2);
  if (count == 0) return Corrupt("block has no offsets (SlateDB never writes an empty block)");
  const size_t trailer = 2 + 2 * count;
  if (trailer > contents.size()) {
    return Corrupt(
        fmt::format("block truncated: {} offsets need {} trailer bytes but the block "
                    "has {}",
                    count, trailer, contents.size()));
  }
  BlockReader reader;
  reader.format_version_ = format_version;
  reader.data_ = contents.substr(0, contents.size() - trailer);
  reader.offsets_ = contents.data() + reader.data_.size();
  reader.num_offsets_ = count;
  for (size_t i = 0; i < count; ++i) {
    const size_t offset = reader.Offset(i);
    if (offset >= reader.data_.size()) {
      return Corrupt(fmt::format("offset {} is {}, past the {}-byte row region", i, offset,
                                 reader.data_.size()));
    }
    if (i == 0 && offset != 0) {
      return Corrupt(fmt::format("first offset is {}, expected 0", offset));
    }
    if (i > 0 && offset <= reader.Offset(i - 1)) {
      return Corrupt(fmt::format("offsets not increasing: offset {} is {} after {}", i, offset,
                                 reader.Offset(i - 1)));
    }
  }
  if (format_version == 1) {
    // Decoding row 0 against an empty first key also checks that it stores
    // its whole key.
    BlockIterator it(&reader);
    if (!it.ParseV1Entry(0)) return it.status();
    reader.v1_first_key_ = std::move(it.key_);
  }
  return reader;
}

size_t BlockReader::Offset(size_t index) const { return DecodeU16(offsets_ + 2 * index); }

Result<std::vector<Row>> BlockReader::ReadAll() const {
  std::vector<Row> rows;
  BlockIterator it = NewIterator();
  for (it.SeekToFirst(); it.Valid(); it.Next()) rows.push_back(it.row());
  if (!it.status().ok()) return it.status();
  return rows;
}

// ---------------------------------------------------------------------------
// BlockIterator

void BlockIterator::Fail(Status status) {
  valid_ = false;
  status_ = std::move(status);
}

Row BlockIterator::row() const {
  return Row{std::string(key_), seq_, flags_, std::string(value_), expire_ts_, create_ts_};
}

bool BlockIterator::ParseTail(std::string_view* in, size_t offset) {
  uint8_t flags;
  if (!GetU64(in, &seq_) || in->empty()) {
    Fail(Corrupt(fmt::format("block truncated: seq and flags of row at offset {}", offset)));
    return false;
  }
  flags = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  // Plain values and tombstones without timestamps skip the full check.
  if ((flags & ~kRowTombstone) != 0) {
    if (Status st = CheckRowFlags(flags); !st.ok()) {
      Fail(st.annotate(fmt::format("row at offset {}", offset)));
      return false;
    }
  }
  flags_ = flags;
  expire_ts_.reset();
  create_ts_.reset();
  int64_t ts;
  if (flags & kRowHasExpireTs) {
    if (!GetI64(in, &ts)) {
      Fail(Corrupt(fmt::format("block truncated: expire_ts of row at offset {}", offset)));
      return false;
    }
    expire_ts_ = ts;
  }
  if (flags & kRowHasCreateTs) {
    if (!GetI64(in, &ts)) {
      Fail(Corrupt(fmt::format("block truncated: create_ts of row at offset {}", offset)));
      return false;
    }
    create_ts_ = ts;
  }
  return true;
}

bool BlockIterator::ParseV2At(size_t offset) {
  const std::string_view data = block_->data_;
  const size_t num_restarts = block_->num_offsets_;
  if (offset >= data.size()) {
    valid_ = false;
    if (next_restart_ < num_restarts) {
      Fail(
          Corrupt(fmt::format("restart offset {} is inside a row", block_->Offset(next_restart_))));
    }
    return false;
  }
  bool is_restart = false;
  if (next_restart_ < num_restarts) {
    const size_t restart = block_->Offset(next_restart_);
    if (restart < offset) {
      Fail(Corrupt(fmt::format("restart offset {} is inside a row", restart)));
      return false;
    }
    is_restart = restart == offset;
  }
  std::string_view in = data.substr(offset);
  uint32_t shared, unshared, value_len;
  if (!GetVarint32(&in, &shared) || !GetVarint32(&in, &unshared) || !GetVarint32(&in, &value_len)) {
    Fail(Corrupt(fmt::format("block truncated: header of row at offset {}", offset)));
    return false;
  }
  if (is_restart && shared != 0) {
    Fail(Corrupt(
        fmt::format("restart row at offset {} shares {} key bytes (must be 0)", offset, shared)));
    return false;
  }
  if (shared > key_.size()) {
    Fail(Corrupt(fmt::format("row at offset {} shares {} bytes of a {}-byte previous key", offset,
                             shared, key_.size())));
    return false;
  }
  std::string_view suffix, value;
  if (!GetBytes(&in, unshared, &suffix) || !GetBytes(&in, value_len, &value)) {
    Fail(Corrupt(fmt::format("block truncated: key or value of row at offset {}", offset)));
    return false;
  }
  key_.resize(shared);
  key_.append(suffix);
  if (!ParseTail(&in, offset)) return false;
  value_ = (flags_ & kRowTombstone) ? std::string_view() : value;
  next_ = data.size() - in.size();
  if (is_restart) ++next_restart_;
  valid_ = true;
  return true;
}

bool BlockIterator::ParseV1Entry(size_t index) {
  const size_t offset = block_->Offset(index);
  std::string_view in = block_->data_.substr(offset);
  uint16_t prefix_len, suffix_len;
  std::string_view suffix;
  if (!GetU16(&in, &prefix_len) || !GetU16(&in, &suffix_len) ||
      !GetBytes(&in, suffix_len, &suffix)) {
    Fail(Corrupt(fmt::format("block truncated: key of row at offset {}", offset)));
    return false;
  }
  const std::string& first_key = block_->v1_first_key_;
  if (prefix_len > first_key.size()) {
    Fail(Corrupt(fmt::format("row at offset {} shares {} bytes of a {}-byte first key", offset,
                             prefix_len, first_key.size())));
    return false;
  }
  key_.assign(first_key, 0, prefix_len);
  key_.append(suffix);
  if (!ParseTail(&in, offset)) return false;
  value_ = {};
  if (!(flags_ & kRowTombstone)) {
    uint32_t value_len;
    if (!GetU32(&in, &value_len) || !GetBytes(&in, value_len, &value_)) {
      Fail(Corrupt(fmt::format("block truncated: value of row at offset {}", offset)));
      return false;
    }
  }
  entry_index_ = index;
  valid_ = true;
  return true;
}

bool BlockIterator::RestartKey(size_t index, std::string_view* key) {
  const size_t offset = block_->Offset(index);
  std::string_view in = block_->data_.substr(offset);
  uint32_t shared, unshared, value_len;
  std::string_view suffix;
  if (!GetVarint32(&in, &shared) || !GetVarint32(&in, &unshared) || !GetVarint32(&in, &value_len) ||
      !GetBytes(&in, unshared, &suffix)) {
    Fail(Corrupt(fmt::format("block truncated: restart row at offset {}", offset)));
    return false;
  }
  if (shared != 0) {
    Fail(Corrupt(
        fmt::format("restart row at offset {} shares {} key bytes (must be 0)", offset, shared)));
    return false;
  }
  *key = suffix;
  return true;
}

void BlockIterator::SeekToFirst() {
  status_ = Status::OK();
  key_.clear();
  if (block_->format_version_ == 1) {
    ParseV1Entry(0);
    return;
  }
  next_restart_ = 0;
  ParseV2At(0);
}

void BlockIterator::Next() {
  if (block_->format_version_ == 1) {
    if (entry_index_ + 1 >= block_->num_offsets_) {
      valid_ = false;
      return;
    }
    ParseV1Entry(entry_index_ + 1);
    return;
  }
  ParseV2At(next_);
}

void BlockIterator::Seek(std::string_view target) {
  status_ = Status::OK();
  if (block_->format_version_ == 1) {
    SeekV1(target);
  } else {
    SeekV2(target);
  }
}

void BlockIterator::SeekV2(std::string_view target) {
  // Find the last restart whose key is < target; the first row >= target
  // (the newest version of a key whose versions may straddle a restart) is at
  // or after it.
  size_t left = 0;
  size_t right = block_->num_offsets_ - 1;
  std::string_view restart_key;
  while (left < right) {
    const size_t mid = left + (right - left + 1) / 2;
    if (!RestartKey(mid, &restart_key)) return;
    if (restart_key < target) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  key_.clear();
  next_restart_ = left;
  if (!ParseV2At(block_->Offset(left))) return;
  while (valid_ && key_ < target) Next();
}

void BlockIterator::SeekV1(std::string_view target) {
  size_t left = 0;
  size_t right = block_->num_offsets_;
  while (left < right) {
    const size_t mid = left + (right - left) / 2;
    if (!ParseV1Entry(mid)) return;
    if (key_ < target) {
      left = mid + 1;
    } else {
      right = mid;
    }
  }
  if (left == block_->num_offsets_) {
    valid_ = false;
    return;
  }
  ParseV1Entry(left);
}

}  // namespace shardyfusion::slatedb
