// Shard backends: how one shard's key/value pairs become a database in the
// object store, and how a published shard is read back.
//
// Writer side: the engine asks a ShardWriterFactory for one ShardWriter per
// shard attempt, hands it batches, then calls Seal() once. Seal() makes the
// attempt's objects complete under `db_url` (the attempt prefix) and reports
// what was written. A writer never publishes anything: only the manifest
// makes an attempt visible. Abandon() (or destroying an unsealed writer)
// releases local files and uploads nothing further.
//
// Reader side: a ShardReaderFactory opens a ShardReader for one published
// shard (its db_url and checkpoint_id from the manifest).
//
// Thread-safety: a ShardWriter is used by one thread at a time. Factories are
// thread-safe. A ShardReader's Get() may be called by many threads at once.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/object_store.h"
#include "shardyfusion/status.h"

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

struct SealResult {
  uint64_t db_bytes = 0;  // the backend's reported size (SQLite: the .db file size)
};

class ShardWriter {
 public:
  virtual ~ShardWriter() = default;
  // Takes the pairs of `batch`; the batch may be cleared by the caller after.
  virtual Status WriteBatch(const KvBatch& batch) = 0;
  // Finishes the database and uploads whatever is still local. After a
  // successful Seal the attempt's objects are complete.
  virtual Result<SealResult> Seal() = 0;
  // Drops local state; uploads nothing further. Safe to call at any time.
  virtual void Abandon() = 0;
};

struct ShardWriterContext {
  std::shared_ptr<ObjectStore> store;
  std::string db_key;     // the attempt prefix inside `store` (db_url's key)
  std::string local_dir;  // a fresh local directory owned by this attempt
};

// The sizes of encoded key a backend can store.
struct KeyLimits {
  size_t min_bytes = 0;
  size_t max_bytes = UINT32_MAX;
};

class ShardWriterFactory {
 public:
  virtual ~ShardWriterFactory() = default;
  // "sqlite", "slatedb", ...
  virtual std::string name() const = 0;
  // The writer engine refuses a key outside these limits when its record is
  // added (so the error names the record), before it reaches a shard.
  virtual KeyLimits key_limits() const { return {}; }
  virtual Result<std::unique_ptr<ShardWriter>> Open(const ShardWriterContext& ctx) = 0;
};

class ShardReader {
 public:
  virtual ~ShardReader() = default;
  // The value stored under the encoded key, or nullopt.
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
};

struct ShardReaderContext {
  std::shared_ptr<ObjectStore> store;
  std::string db_key;         // the shard's db_url, as a key inside `store`
  std::string db_url;         // the db_url exactly as in the manifest
  std::string checkpoint_id;  // cache identity, may be empty
  std::string local_dir;      // a local directory this shard may cache into
  // The manifest's db_bytes (0 = not recorded). A backend whose db_bytes is
  // the size of what it downloads (SQLite's shard.db) checks it, so a cut or
  // damaged copy is refused instead of serving wrong values.
  uint64_t db_bytes = 0;
};

class ShardReaderFactory {
 public:
  virtual ~ShardReaderFactory() = default;
  virtual std::string name() const = 0;
  virtual Result<std::unique_ptr<ShardReader>> Open(const ShardReaderContext& ctx) = 0;
};

}  // namespace shardyfusion
