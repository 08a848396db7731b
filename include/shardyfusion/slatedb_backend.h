// The SlateDB shard backend (docs/format/slatedb.md): each shard attempt is a
// SlateDB database rooted at its db_url, in the format SlateDB 0.12 and 0.13
// write.
//
// The reader is native and strictly read-only. It finds the latest manifest,
// replays the WAL objects the manifest has not flushed (shards written by
// SlateDB 0.12 keep all their data there), then serves point lookups from L0
// SSTs and sorted runs, fetching only the blocks it needs by ranged reads and
// keeping them in memory. Every section is CRC-checked; all of SlateDB's
// codecs (Snappy, zlib, LZ4, zstd) are read.
//
// Thread-safety: the factory is thread-safe; see shard_backend.h.
#pragma once

#include <memory>

#include "shardyfusion/shard_backend.h"

namespace shardyfusion {

std::shared_ptr<ShardReaderFactory> NewSlateDbReaderFactory();

}  // namespace shardyfusion
