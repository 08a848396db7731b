#include "backend/sqlite/sqlite_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace shardyfusion {
namespace sqlite_internal {

namespace {

Status LocalFileError(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kDbAdapter, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

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

Status FsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return LocalFileError("cannot open for fsync", path);
  int rc = ::fsync(fd);
  int saved_errno = errno;
  ::close(fd);
  if (rc != 0) {
    errno = saved_errno;
    return LocalFileError("cannot fsync", path);
  }
  return Status::OK();
}

Status WriteFileAtomically(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return LocalFileError("cannot create", tmp);
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      Status st = LocalFileError("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  int rc = ::fsync(fd);
  int saved_errno = errno;
  if (::close(fd) != 0 && rc == 0) {
    rc = -1;
    saved_errno = errno;
  }
  if (rc != 0) {
    errno = saved_errno;
    Status st = LocalFileError("cannot fsync", tmp);
    ::unlink(tmp.c_str());
    return st;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = LocalFileError("cannot rename " + tmp + " to", path);
    ::unlink(tmp.c_str());
    return st;
  }
  return Status::OK();
}

void RemoveFileIfExists(const std::string& path) { ::unlink(path.c_str()); }

}  // namespace sqlite_internal
}  // namespace shardyfusion
