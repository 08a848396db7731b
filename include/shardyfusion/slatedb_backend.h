// The SlateDB shard backend (docs/format/slatedb.md): each shard attempt is a
// SlateDB database rooted at its db_url, in the format SlateDB 0.12 and 0.13
// write.
//
// The reader is native and strictly read-only. It finds the latest manifest,
// replays the WAL objects the manifest has not flushed (shards written by
// SlateDB 0.12 keep all their data there), then serves point lookups from L0
// SSTs and sorted runs, fetching only the blocks it needs by ranged reads.
// Every section is CRC-checked; all of SlateDB's codecs (Snappy, zlib, LZ4,
// zstd) are read.
//
// Decompressed data blocks are kept in one LRU block cache per factory,
// shared by every shard (and every snapshot) the factory opens, so their
// memory stays within SlateDbReaderOptions::block_cache_bytes however many
// shards are open. Each open SST also keeps its index and bloom filter in
// memory, outside that budget, for as long as its shard reader lives.
//
// Thread-safety: the factory is thread-safe; see shard_backend.h.
#pragma once

#include <cstdint>
#include <memory>

#include "shardyfusion/shard_backend.h"

namespace shardyfusion {

struct SlateDbReaderOptions {
  // Capacity of the shared block cache, in bytes of decompressed blocks plus
  // a small fixed charge per block. 0 disables caching: every lookup then
  // fetches its blocks from the object store again (one ranged GET each).
  uint64_t block_cache_bytes = 256ull << 20;
};

std::shared_ptr<ShardReaderFactory> NewSlateDbReaderFactory(SlateDbReaderOptions options = {});

}  // namespace shardyfusion
