#include <algorithm>
#include <utility>

#include "core/large_buffer.h"
#include "shardyfusion/kv_batch.h"

namespace shardyfusion {
namespace {
// One huge page: see core/large_buffer.h. The largest block a batch grows.
constexpr size_t kBlockSize = size_t{2} << 20;
// A batch's first block. Blocks double from here up to kBlockSize, so a
// shard that only ever receives a few records costs kilobytes, not a huge
// page (a build may have tens of thousands of such shards).
constexpr size_t kFirstBlockSize = size_t{8} << 10;
}  // namespace

void KvBatch::BlockDeleter::operator()(char* data) const noexcept { FreeLargeBuffer(data, size); }

KvBatch::Block KvBatch::NewBlock(size_t size) {
  return Block{std::unique_ptr<char[], BlockDeleter>(AllocateLargeBuffer(size), BlockDeleter{size}),
               size};
}

void KvBatch::NextBlock(size_t n) {
  // Reuse the following block when it is large enough (after Clear()),
  // otherwise put a fresh one right after the current block.
  size_t next = cursor_ == nullptr ? 0 : block_ + 1;
  if (next >= blocks_.size() || blocks_[next].size < n) {
    // Double what the batch holds so far (kFirstBlockSize .. kBlockSize).
    size_t held = 0;
    for (const Block& b : blocks_) held += b.size;
    const size_t size = std::max(std::clamp(held, kFirstBlockSize, kBlockSize), n);
    blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(std::min(next, blocks_.size())),
                   NewBlock(size));
    next = std::min(next, blocks_.size() - 1);
  }
  block_ = next;
  cursor_ = blocks_[next].data.get();
  avail_ = blocks_[next].size;
}

void KvBatch::Reserve(size_t entries, size_t bytes) {
  entries_.reserve(entries);
  size_t have = 0;
  for (const Block& b : blocks_) have += b.size;
  while (have < bytes) {
    blocks_.push_back(NewBlock(kBlockSize));
    have += kBlockSize;
  }
}

void KvBatch::Clear() {
  entries_.clear();
  payload_ = 0;
  block_ = 0;
  cursor_ = nullptr;
  avail_ = 0;
}

void KvBatch::Release() {
  Clear();
  std::vector<Entry>().swap(entries_);
  std::vector<Block>().swap(blocks_);
}

uint64_t KvBatch::memory_bytes() const {
  uint64_t total = entries_.capacity() * sizeof(Entry);
  for (const Block& b : blocks_) total += b.size;
  return total;
}

void KvBatch::Swap(KvBatch& other) noexcept {
  std::swap(blocks_, other.blocks_);
  std::swap(block_, other.block_);
  std::swap(cursor_, other.cursor_);
  std::swap(avail_, other.avail_);
  std::swap(payload_, other.payload_);
  std::swap(entries_, other.entries_);
}

}  // namespace shardyfusion
