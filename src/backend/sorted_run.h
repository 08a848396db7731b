// Sorted runs: the bounded-memory external sort shared by the shard writers
// (SQLite inserts the merged rows in key order, SlateDB builds SSTs from them).
//
// A run is a sequence of key/value records in strictly increasing key order
// (bytewise, as SQLite compares BLOBs and SlateDB compares keys), each framed as
//   u32 key_len (little-endian) | u32 value_len (little-endian) | key | value
// with no header or trailer. A run lives either in memory (while a shared
// RunMemoryBudget has room) or in a local spool file: the bytes are the same.
// WriteSortedRun turns one batch into a run; RunMerger streams the union of
// several runs in key order with one record per distinct key, the record of
// the LATEST run (highest index) winning. MergeRunsInPasses bounds how many
// runs are open at once.
//
// Memory: in-memory runs are charged to their budget until consumed or
// destroyed, so their total never exceeds the budget's limit. A RunWriter
// holds one write buffer, a file RunReader one read buffer (grown only to
// fit a single record larger than it).
//
// Thread-safety: RunMemoryBudget is thread-safe and shared by the shard
// writers of one factory. The other types are not thread-safe; each is used
// by the one thread that owns the shard writer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/shard_backend.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

// The first 8 bytes of `key` as a big-endian integer, zero-padded. Keys are
// mostly compared through it: for the common 8-byte u64be keys a compare
// becomes one integer comparison instead of a call to memcmp.
inline uint64_t KeyPrefix(std::string_view key) {
  uint64_t v = 0;
  size_t n = key.size() < 8 ? key.size() : 8;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(key[i])} << (56 - 8 * i);
  return v;
}

// Bytewise three-way comparison (SQLite's BLOB order, SlateDB's key order)
// given both prefixes.
inline int CompareKeys(std::string_view a, uint64_t a_prefix, std::string_view b,
                       uint64_t b_prefix) {
  if (a_prefix != b_prefix) return a_prefix < b_prefix ? -1 : 1;
  // Equal prefixes and both keys within 8 bytes: the shorter is a prefix of
  // the longer (padded with zero bytes), so the lengths decide.
  if (a.size() <= 8 && b.size() <= 8) {
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
  }
  return a.compare(b);
}

inline constexpr size_t kRunWriteBufferBytes = 1 << 20;
inline constexpr size_t kRunReadBufferBytes = 256 << 10;

// A byte allowance for in-memory runs, shared by several writers.
class RunMemoryBudget {
 public:
  explicit RunMemoryBudget(uint64_t limit) : limit_(limit) {}
  // Reserves `n` bytes if they fit under the limit.
  bool TryReserve(uint64_t n);
  void Release(uint64_t n) { used_.fetch_sub(n); }
  uint64_t used() const { return used_.load(); }
  uint64_t limit() const { return limit_; }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

// The bytes of an in-memory run, charged to a budget until destroyed.
class MemoryRun {
 public:
  // REQUIRES: `size` bytes were reserved from `budget` (which may be null).
  MemoryRun(size_t size, std::shared_ptr<RunMemoryBudget> budget);
  ~MemoryRun();
  MemoryRun(const MemoryRun&) = delete;
  MemoryRun& operator=(const MemoryRun&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  char* data_;
  size_t size_;
  std::shared_ptr<RunMemoryBudget> budget_;
};

// One sorted run: in memory when `memory` is set, else the spool file `path`.
struct SortedRun {
  std::string path;
  std::unique_ptr<MemoryRun> memory;
  uint64_t records = 0;  // distinct keys in the run, when known
  // A checkpoint's durable copy of the run (a hard link to the spool file,
  // or the memory run written out), which consuming the run leaves alone;
  // empty until a checkpoint (run_shard_writer.h).
  std::string durable_path;
  uint64_t durable_bytes = 0;
  uint64_t durable_xxh3 = 0;  // of its bytes: a resume checks them
};

// Appends records to a new run file through one large buffer.
class RunWriter {
 public:
  RunWriter() = default;
  ~RunWriter();
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  // Creates (truncates) `path`.
  Status Open(const std::string& path);
  // REQUIRES: keys are added in strictly increasing order.
  Status Add(std::string_view key, std::string_view value);
  // Flushes and closes the file; the run is complete only after this.
  Status Finish();

 private:
  Status Flush();

  std::string path_;
  int fd_ = -1;
  std::string buffer_;
};

// Reads a run record by record. The views returned by key() and value()
// stay valid until the next call to Next(). The run is released as soon as
// its last record has been consumed (a file is closed and unlinked, memory
// returned to its budget), so space is freed during the merge rather than
// after it.
class RunReader {
 public:
  RunReader() = default;
  ~RunReader();
  RunReader(const RunReader&) = delete;
  RunReader& operator=(const RunReader&) = delete;

  // Takes `run` and positions on its first record (if any).
  Status Open(SortedRun run);
  bool Valid() const { return valid_; }
  // REQUIRES: Valid()
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  uint64_t key_prefix() const { return key_prefix_; }  // KeyPrefix(key())
  // Moves to the next record; at the end, Valid() becomes false.
  Status Next();

 private:
  // Makes at least `n` unread bytes available unless the file ends first.
  Status Fill(size_t n);
  void CloseAndUnlink();

  std::string path_;
  int fd_ = -1;
  std::unique_ptr<MemoryRun> memory_;
  bool eof_ = false;
  bool valid_ = false;
  std::vector<char> buffer_;    // a file run's read buffer
  const char* base_ = nullptr;  // buffer_.data() or the memory run's bytes
  size_t begin_ = 0;            // first unread byte at base_
  size_t end_ = 0;              // one past the last available byte
  std::string_view key_;
  std::string_view value_;
  uint64_t key_prefix_ = 0;
};

// Merges runs in key order, one record per distinct key. For a key present in
// several runs, the record from the run with the highest index wins (runs are
// passed oldest first, so the last write wins).
class RunMerger {
 public:
  RunMerger() = default;
  RunMerger(const RunMerger&) = delete;
  RunMerger& operator=(const RunMerger&) = delete;

  // Takes every run in `runs` (oldest first) and positions on the smallest key.
  Status Open(std::vector<SortedRun> runs);
  bool Valid() const { return !heap_.empty(); }
  // REQUIRES: Valid(). Views valid until the next call to Next().
  std::string_view key() const { return readers_[heap_[0]]->key(); }
  std::string_view value() const { return readers_[heap_[0]]->value(); }
  // Moves to the next distinct key, skipping the older records of this one.
  Status Next();

 private:
  // True if reader `a`'s record must come out before reader `b`'s.
  bool Before(size_t a, size_t b) const;
  void SiftDown(size_t pos);
  // Advances the reader at the heap top and restores the heap.
  Status AdvanceTop();

  std::vector<std::unique_ptr<RunReader>> readers_;
  std::vector<size_t> heap_;  // indices into readers_; a binary min-heap
  std::string last_key_;
};

// Sorts `batch` by key (a later Add wins over an earlier one for the same
// key) and drops the shadowed pairs. The rest becomes an in-memory run when
// `budget` (may be null) has room for it, otherwise a spool file at
// `spill_path`.
Result<SortedRun> WriteSortedRun(const KvBatch& batch,
                                 const std::shared_ptr<RunMemoryBudget>& budget,
                                 const std::string& spill_path);

// Merges consecutive groups of at most `fan_in` runs into single spool-file
// runs until at most `fan_in` remain, preserving run order so that
// last-write-wins still holds for the final merge. `*runs` is updated in
// place; consumed runs are released. New files are named by `next_path()`.
// REQUIRES: fan_in >= 2.
Status MergeRunsInPasses(std::vector<SortedRun>* runs, size_t fan_in,
                         const std::function<std::string()>& next_path);

}  // namespace shardyfusion
