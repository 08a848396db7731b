// BlockCache: a bounded LRU cache of decompressed SlateDB data blocks, shared
// by every SstReader a reader factory opens, so the memory blocks take stays
// under one byte budget however many shards and SSTs are open (RocksDB's
// shared block cache, in miniature).
//
// An entry is keyed by (reader id, block index). Each SstReader takes a fresh
// id from NewId() when it opens, so blocks of different SSTs never collide,
// and the blocks of a reader that was closed are never hit again: they age
// out under LRU rather than being erased. An entry is charged its block size
// plus kEntryOverhead; Insert() evicts least recently used entries until the
// new one fits, so bytes_used never exceeds capacity(). A block larger than a
// shard's capacity is not cached. Capacity 0 disables caching: Insert()
// stores nothing and Lookup() always misses.
//
// The cache is split by key hash into up to 16 shards (fewer for small
// caches, so each shard can hold at least kMinShardBytes), each an LRU list
// under its own mutex, so concurrent lookups rarely wait on one another. LRU
// order, and the capacity bound, hold per shard.
//
// Values are shared: a block evicted while a reader still uses it stays
// alive until the reader drops its shared_ptr (it is then no longer charged).
//
// Thread-safety: every method may be called by many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace shardyfusion::slatedb {

class BlockCache {
 public:
  // Charged per entry on top of the block bytes: the bookkeeping (list and
  // hash nodes, the shared_ptr control block, the string header).
  static constexpr uint64_t kEntryOverhead = 128;
  static constexpr int kMaxShardBits = 4;
  static constexpr uint64_t kMinShardBytes = 512 << 10;

  // Counters since construction, summed over the shards (each shard is read
  // under its lock, so the sum may straddle concurrent operations).
  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t inserts = 0;    // entries stored
    uint64_t evictions = 0;  // entries dropped to make room
    uint64_t bytes_used = 0;
    uint64_t entries = 0;
  };

  // `num_shard_bits` < 0 picks the shard count from the capacity (see
  // above); otherwise the cache has 2^num_shard_bits shards.
  // REQUIRES: num_shard_bits <= kMaxShardBits.
  explicit BlockCache(uint64_t capacity_bytes, int num_shard_bits = -1);
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // A new reader id, never returned before by this cache.
  uint64_t NewId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  // The cached block, made most recently used, or nullptr.
  std::shared_ptr<const std::string> Lookup(uint64_t id, uint64_t block);

  // Caches `value` under (id, block), evicting as needed, and returns the
  // block now cached there: `value`, or the one another thread inserted
  // first (so both share one copy). Returns `value` uncached when it cannot
  // fit. REQUIRES: value != nullptr.
  std::shared_ptr<const std::string> Insert(uint64_t id, uint64_t block,
                                            std::shared_ptr<const std::string> value);

  uint64_t capacity() const { return capacity_; }
  int num_shards() const { return 1 << shard_bits_; }
  Stats stats() const;

 private:
  class Shard;
  Shard& ShardFor(uint64_t hash);

  const uint64_t capacity_;
  const int shard_bits_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> next_id_{1};
};

}  // namespace shardyfusion::slatedb
