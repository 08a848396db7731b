// The SlateDB shard backend (docs/format/slatedb.md): each shard attempt is a
// SlateDB database rooted at its db_url, in the format SlateDB 0.12 and 0.13
// write and read. It is the default backend.
//
// The writer is native. Each batch is sorted into a run (last write wins for
// a duplicate key), kept in memory while the factory's sort budget has room
// and spooled to the attempt's local directory beyond it, so memory stays
// bounded at any input size. SSTs (V2 blocks, a Legacy bloom filter once an
// SST has min_filter_keys keys, optional compression) go under compacted/,
// and the manifest (V1, manifest/00000000000000000001.manifest, created only
// if absent) is written last: it is the commit point, so a database without
// it holds nothing. Two modes:
//   kDirect  Whenever a shard's buffered runs reach l0_sst_size_bytes they are
//            merged into one L0 SST and uploaded at once, so the object store
//            receives data as the build goes. Later L0s carry higher sequence
//            numbers and come first in the manifest: last write wins across
//            the whole shard. Each L0 is one more SST a lookup may consult.
//   kLocal   The SSTs are built in `<local_dir>/_slatedb_store` through a
//            file:// store, as one sorted run (SSTs split at
//            max_sst_size_bytes, one SST per lookup), then uploaded at
//            Seal(), and the manifest is created after them. Writing is
//            decoupled from object-store latency.
// Both layouts open in SlateDB 0.12 and 0.13 (DbReader and, as a writer,
// DbBuilder). Keys must be 1 to 65535 bytes (SlateDB's limit, the factory's
// key_limits()): the sharded writer refuses another key when its record is
// added, and WriteBatch with one fails with kInvalidArgument naming its
// length. A failed or abandoned attempt deletes what it uploaded (best
// effort) and never writes a manifest.
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
// Thread-safety: the factories are thread-safe; see shard_backend.h.
#pragma once

#include <cstdint>
#include <memory>

#include "shardyfusion/shard_backend.h"

namespace shardyfusion {

enum class SlateDbWriteMode { kDirect, kLocal };

// Block codecs SlateDB reads (SsTableInfo.compression_format).
enum class SlateDbCompression { kNone = 0, kSnappy = 1, kZlib = 2, kLz4 = 3, kZstd = 4 };

struct SlateDbWriterOptions {
  SlateDbWriteMode mode = SlateDbWriteMode::kDirect;
  SlateDbCompression compression = SlateDbCompression::kNone;  // off, as in SlateDB
  uint32_t block_size = 4096;                                  // 1024 to 65536
  uint32_t bloom_bits_per_key = 10;                            // 0 = no filters
  uint64_t min_filter_keys = 1000;                             // SSTs with fewer keys get no filter
  // kDirect: input bytes (key + value) buffered per shard before an L0 SST.
  uint64_t l0_sst_size_bytes = 64ull << 20;
  // kLocal: the size at which the sorted run starts a new SST.
  uint64_t max_sst_size_bytes = 256ull << 20;
  // Bytes of sorted runs kept in memory across all shard writers of one
  // factory (key + value + 8 per record); beyond it runs go to local spool
  // files. 0 spools every run.
  uint64_t sort_memory_bytes = 256ull << 20;
  uint32_t max_merge_fan_in = 64;  // runs merged at once; more merge in passes
};

std::shared_ptr<ShardWriterFactory> NewSlateDbWriterFactory(SlateDbWriterOptions options = {});

struct SlateDbReaderOptions {
  // Capacity of the shared block cache, in bytes of decompressed blocks plus
  // a small fixed charge per block. 0 disables caching: every lookup then
  // fetches its blocks from the object store again (one ranged GET each).
  uint64_t block_cache_bytes = 256ull << 20;
};

std::shared_ptr<ShardReaderFactory> NewSlateDbReaderFactory(SlateDbReaderOptions options = {});

// The directory of the database a kLocal writer stages under its local_dir.
inline constexpr const char* kSlateDbLocalStoreDir = "_slatedb_store";

}  // namespace shardyfusion
