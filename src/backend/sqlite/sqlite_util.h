// Small helpers shared by the SQLite shard writer and reader: turning SQLite
// result codes into Status values that name the file. The local file chores
// (locks, atomic replace, downloads) are storage/local_file.h's.
//
// Thread-safety: the functions are thread-safe as long as each sqlite3
// connection they are given is used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "shardyfusion/status.h"

namespace shardyfusion {
namespace sqlite_internal {

// The one table every SQLite shard holds (docs/format/sqlite-shard.md).
inline constexpr const char* kKvTableDdl =
    "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID";

// "<what> <path>: <sqlite3_errmsg>" with `code`.
// Turns off SQLite's global memory statistics once per process, before the
// first connection: with them on, every SQLite allocation takes one global
// mutex, which serialises shards sealed on different threads.
void ConfigureSqliteOnce();

Status SqliteError(ErrorCode code, sqlite3* db, const std::string& what, const std::string& path);

// Runs `sql` (no parameters, rows ignored) on `db`.
Status ExecSql(sqlite3* db, const std::string& sql, ErrorCode code, const std::string& path);

// A pointer SQLite binds as a zero-length BLOB (a null pointer binds NULL,
// which the kv table rejects).
inline const char* BlobData(std::string_view bytes) { return bytes.empty() ? "" : bytes.data(); }

// Removes `path`; a missing file is fine.
void RemoveFileIfExists(const std::string& path);

}  // namespace sqlite_internal
}  // namespace shardyfusion
