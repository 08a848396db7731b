// KvBatch: the batch of encoded key/value pairs the write engine hands to a
// shard writer (shard_backend.h). Pairs live in memory blocks that start at
// 8 KiB and double up to 2 MiB, so adding a pair never copies earlier ones,
// a batch holding a few pairs costs a few KiB, and a cleared batch reuses
// its blocks.
//
// Thread-safety: a KvBatch is a value owned by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace shardyfusion {

// A batch of encoded key/value pairs stored in fixed-size memory blocks, so
// adding a pair never copies earlier ones and a cleared batch reuses its
// blocks. Order of Add() calls is preserved; for a duplicate key the later
// pair wins when the batch is written. Movable (a moved-from batch is
// empty), not copyable.
class KvBatch {
 public:
  KvBatch() = default;
  KvBatch(KvBatch&& other) noexcept { Swap(other); }
  KvBatch& operator=(KvBatch&& other) noexcept {
    KvBatch tmp(std::move(other));
    Swap(tmp);
    return *this;
  }
  KvBatch(const KvBatch&) = delete;
  KvBatch& operator=(const KvBatch&) = delete;

  void Add(std::string_view key, std::string_view value) {
    const size_t n = key.size() + value.size();
    if (n > avail_) NextBlock(n);
    char* p = cursor_;
    if (!key.empty()) std::memcpy(p, key.data(), key.size());
    if (!value.empty()) std::memcpy(p + key.size(), value.data(), value.size());
    cursor_ += n;
    avail_ -= n;
    payload_ += n;
    entries_.push_back(
        Entry{p, static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size())});
  }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Sum of key and value lengths (the reference's pair size).
  uint64_t payload_bytes() const { return payload_; }
  std::string_view key(size_t i) const {
    const Entry& e = entries_[i];
    return std::string_view(e.data, e.key_len);
  }
  std::string_view value(size_t i) const {
    const Entry& e = entries_[i];
    return std::string_view(e.data + e.key_len, e.value_len);
  }
  // Preallocates room for `entries` pairs of `bytes` total payload.
  void Reserve(size_t entries, size_t bytes);
  // Empties the batch, keeping its memory for reuse.
  void Clear();
  // Empties the batch and frees its memory.
  void Release();
  // Bytes held, including bookkeeping.
  uint64_t memory_bytes() const;

 private:
  struct Entry {
    const char* data;
    uint32_t key_len;
    uint32_t value_len;
  };
  // Frees a block's memory (blocks are large, page-aligned allocations).
  struct BlockDeleter {
    size_t size = 0;
    void operator()(char* data) const noexcept;
  };
  struct Block {
    std::unique_ptr<char[], BlockDeleter> data;
    size_t size;
  };
  static Block NewBlock(size_t size);
  // Moves the cursor to a block with at least `n` free bytes.
  void NextBlock(size_t n);
  void Swap(KvBatch& other) noexcept;

  std::vector<Block> blocks_;
  size_t block_ = 0;  // index of the block the cursor is in
  char* cursor_ = nullptr;
  size_t avail_ = 0;
  uint64_t payload_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace shardyfusion
