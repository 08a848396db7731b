#include "backend/sqlite/sqlite_util.h"

#include <unistd.h>

#include <mutex>

namespace shardyfusion {
namespace sqlite_internal {

void ConfigureSqliteOnce() {
  static std::once_flag once;
  // SQLITE_MISUSE here means SQLite was already initialised by someone else;
  // statistics then stay on, which costs speed, not correctness.
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

Status SqliteError(ErrorCode code, sqlite3* db, const std::string& what, const std::string& path) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return Status(code, what + " " + path + ": " + detail);
}

Status ExecSql(sqlite3* db, const std::string& sql, ErrorCode code, const std::string& path) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(code, db, "SQLite '" + sql + "' failed on", path);
  }
  return Status::OK();
}

void RemoveFileIfExists(const std::string& path) { ::unlink(path.c_str()); }

}  // namespace sqlite_internal
}  // namespace shardyfusion
