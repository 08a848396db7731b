// The SQLite shard backend (docs/format/sqlite-shard.md).
//
// Each shard attempt is one SQLite file, `<db_url>/shard.db`, holding the
// table `kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID`, written in
// one transaction with the reference's pragmas and uploaded once, at Seal().
//
// The writer keeps memory bounded at any input size: each batch is sorted
// into a run, kept in memory while the factory's sort budget
// (`sort_memory_bytes`, shared by all its shard writers) has room and
// spooled to a file in the attempt's local directory once it has not.
// Seal() merges the runs and inserts the rows in key order (last write wins
// for a duplicate key), so SQLite appends to its B-tree instead of missing
// its page cache on every row.
//
// The reader downloads `shard.db` once into a local cache directory (with an
// identity check on db_url + checkpoint_id, a lock, and an atomic rename) and
// serves lookups from the local file.
//
// Thread-safety: the factories are thread-safe; see shard_backend.h.
#pragma once

#include <cstdint>
#include <memory>

#include "shardyfusion/shard_backend.h"

namespace shardyfusion {

struct SqliteWriterOptions {
  uint32_t page_size = 4096;         // one of 512..65536, a power of two
  int64_t cache_size_pages = -2000;  // PRAGMA cache_size (negative = KiB)
  // Upper bound on sorted runs merged at once; more runs are merged in passes.
  uint32_t max_merge_fan_in = 64;
  // Bytes of sorted runs kept in memory across all shard writers of one
  // factory (each record costs key + value + 8 bytes). Runs beyond it go to
  // local spool files. 0 spools every run.
  uint64_t sort_memory_bytes = 256ull << 20;
};

struct SqliteReaderOptions {
  int64_t mmap_size = 256ll << 20;
  int64_t cache_size_pages = -8000;
};

std::shared_ptr<ShardWriterFactory> NewSqliteWriterFactory(SqliteWriterOptions options = {});
std::shared_ptr<ShardReaderFactory> NewSqliteReaderFactory(SqliteReaderOptions options = {});

// The object name of a SQLite shard under its db_url.
inline constexpr const char* kSqliteShardObjectName = "shard.db";

}  // namespace shardyfusion
