#include "backend/slatedb/block_cache.h"

#include <cassert>
#include <list>
#include <mutex>
#include <unordered_map>

namespace shardyfusion::slatedb {

namespace {

struct CacheKey {
  uint64_t id;
  uint64_t block;
  bool operator==(const CacheKey&) const = default;
};

// MurmurHash3's 64-bit finalizer over both words: the shard takes the top
// bits, the hash table the low ones.
uint64_t HashKey(uint64_t id, uint64_t block) {
  uint64_t h = id * 0x9e3779b97f4a7c15ull + block;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const { return HashKey(k.id, k.block); }
};

int ShardBitsFor(uint64_t capacity) {
  int bits = 0;
  while (bits < BlockCache::kMaxShardBits &&
         (capacity >> (bits + 1)) >= BlockCache::kMinShardBytes) {
    ++bits;
  }
  return bits;
}

}  // namespace

// One LRU list (front = most recently used) and its index, under one mutex.
// Aligned so that neighbouring shards' mutexes do not share a cache line.
class alignas(64) BlockCache::Shard {
 public:
  void set_capacity(uint64_t capacity) { capacity_ = capacity; }

  std::shared_ptr<const std::string> Lookup(const CacheKey& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      ++stats_.misses;
      return nullptr;
    }
    ++stats_.hits;
    if (it->second != lru_.begin()) lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->value;
  }

  std::shared_ptr<const std::string> Insert(const CacheKey& key,
                                            std::shared_ptr<const std::string> value) {
    const uint64_t charge = value->size() + kEntryOverhead;
    // Evicted entries are released after the lock, so freeing a block never
    // holds up the shard.
    std::list<Entry> victims;
    std::lock_guard<std::mutex> lock(mu_);
    if (charge > capacity_) return value;
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->value;
    }
    while (stats_.bytes_used + charge > capacity_) {
      auto last = std::prev(lru_.end());
      stats_.bytes_used -= last->charge;
      ++stats_.evictions;
      --stats_.entries;
      index_.erase(last->key);
      victims.splice(victims.end(), lru_, last);
    }
    lru_.push_front(Entry{key, value, charge});
    index_.emplace(key, lru_.begin());
    stats_.bytes_used += charge;
    ++stats_.inserts;
    ++stats_.entries;
    return value;
  }

  void AddTo(Stats* sum) const {
    std::lock_guard<std::mutex> lock(mu_);
    sum->hits += stats_.hits;
    sum->misses += stats_.misses;
    sum->inserts += stats_.inserts;
    sum->evictions += stats_.evictions;
    sum->bytes_used += stats_.bytes_used;
    sum->entries += stats_.entries;
  }

 private:
  struct Entry {
    CacheKey key;
    std::shared_ptr<const std::string> value;
    uint64_t charge;
  };

  mutable std::mutex mu_;
  uint64_t capacity_ = 0;
  std::list<Entry> lru_;
  std::unordered_map<CacheKey, std::list<Entry>::iterator, CacheKeyHash> index_;
  Stats stats_;
};

BlockCache::BlockCache(uint64_t capacity_bytes, int num_shard_bits)
    : capacity_(capacity_bytes),
      shard_bits_(num_shard_bits < 0 ? ShardBitsFor(capacity_bytes) : num_shard_bits),
      shards_(new Shard[size_t{1} << shard_bits_]) {
  assert(shard_bits_ <= kMaxShardBits);
  // The shards' capacities add up to the whole exactly.
  const uint64_t n = uint64_t{1} << shard_bits_;
  for (uint64_t i = 0; i < n; ++i) {
    shards_[i].set_capacity(capacity_ / n + (i < capacity_ % n ? 1 : 0));
  }
}

BlockCache::~BlockCache() = default;

BlockCache::Shard& BlockCache::ShardFor(uint64_t hash) {
  return shards_[shard_bits_ == 0 ? 0 : hash >> (64 - shard_bits_)];
}

std::shared_ptr<const std::string> BlockCache::Lookup(uint64_t id, uint64_t block) {
  return ShardFor(HashKey(id, block)).Lookup(CacheKey{id, block});
}

std::shared_ptr<const std::string> BlockCache::Insert(uint64_t id, uint64_t block,
                                                      std::shared_ptr<const std::string> value) {
  return ShardFor(HashKey(id, block)).Insert(CacheKey{id, block}, std::move(value));
}

BlockCache::Stats BlockCache::stats() const {
  Stats sum;
  for (int i = 0; i < num_shards(); ++i) shards_[i].AddTo(&sum);
  return sum;
}

}  // namespace shardyfusion::slatedb
