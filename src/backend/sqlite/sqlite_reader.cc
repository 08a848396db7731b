// The SQLite shard reader: downloads `shard.db` once into a local cache
// directory (identity- and size-checked, locked, atomically renamed) and
// serves point lookups from one prepared statement.

#include <sqlite3.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "backend/sqlite/sqlite_util.h"
#include "core/log.h"
#include "core/py_json.h"
#include "core/status_internal.h"
#include "shardyfusion/sqlite_backend.h"
#include "storage/local_file.h"

namespace shardyfusion {

namespace {

using sqlite_internal::BlobData;
using sqlite_internal::ExecSql;
using sqlite_internal::RemoveFileIfExists;
using sqlite_internal::SqliteError;

constexpr const char* kLockFileName = ".cache.lock";
constexpr const char* kIdentityFileName = "shard.identity.json";

// Takes the exclusive lock of a cache directory (FileLock), so that readers
// in several processes sharing the directory download a shard only once.
Status LockCache(const std::string& path, FileLock* lock) {
  if (const int err = lock->Open(path, /*create=*/true, 0644); err != 0) {
    return Status(ErrorCode::kDbAdapter,
                  "cannot open cache lock " + path + ": " + std::strerror(err));
  }
  if (const int err = lock->Lock(); err != 0) {
    return Status(ErrorCode::kDbAdapter,
                  "cannot lock cache lock " + path + ": " + std::strerror(err));
  }
  return Status::OK();
}

nlohmann::json ShardIdentity(const ShardReaderContext& ctx) {
  // Written with PyJsonDumps, so the file is byte-identical to the
  // reference's json.dumps(sort_keys=True) and caches can be shared with it.
  return nlohmann::json{{"checkpoint_id", ctx.checkpoint_id}, {"db_url", ctx.db_url}};
}

// True if the identity file exists and describes the same shard. Compared as
// JSON values, so a file written with other whitespace still matches.
bool IdentityMatches(const std::string& path, const nlohmann::json& expected) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json found = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  return !found.is_discarded() && found == expected;
}

// "file:<path>?immutable=1" with the characters a SQLite URI path reserves
// escaped.
std::string ImmutableUri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", static_cast<unsigned char>(c));
      uri += hex;
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// The size of the file at `path`, or -1 if it cannot be read.
int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(size);
}

// Whether the file at `path` has the size the manifest records (any size
// when it records none).
bool HasRecordedSize(const ShardReaderContext& ctx, const std::string& path) {
  return ctx.db_bytes == 0 || FileSize(path) == static_cast<int64_t>(ctx.db_bytes);
}

// Downloads the shard object over `db_path` (DownloadToFile: fsynced, file
// and directory); a copy of the wrong size is downloaded once more (a
// transfer cut short), then refused. `db_path` changes only to a whole copy
// of the recorded size.
Status Download(const ShardReaderContext& ctx, const std::string& object_key,
                const std::string& db_path) {
  const std::string url = ctx.store->Url(object_key);
  int64_t wrong_size = -1;
  DownloadOptions options;
  options.file.mode = 0644;
  options.file.error_code = ErrorCode::kDbAdapter;
  options.check = [&](const std::string& tmp) {
    if (HasRecordedSize(ctx, tmp)) return Status::OK();
    wrong_size = FileSize(tmp);
    return Status(ErrorCode::kDbAdapter,
                  "SQLite shard " + url + " is " + std::to_string(wrong_size) +
                      " bytes but the manifest records db_bytes " + std::to_string(ctx.db_bytes) +
                      "; the object is damaged or is not the one the manifest published");
  };
  for (int attempt = 0;; ++attempt) {
    wrong_size = -1;
    Result<bool> found = DownloadToFile(*ctx.store, object_key, db_path, options);
    if (found.ok() && *found) return Status::OK();
    if (found.ok()) {
      return Status(ErrorCode::kDbAdapter,
                    "SQLite shard " + url +
                        " does not exist; the manifest names a shard object that is missing");
    }
    if (wrong_size < 0) {
      return found.status().annotate("downloading SQLite shard " + url + " to " + db_path);
    }
    if (attempt == 1) return found.status();
  }
}

// Makes `<local_dir>/shard.db` a complete copy of the shard. A cached copy
// is reused only while its identity matches and its size is the manifest's
// db_bytes. REQUIRES: the cache lock is held.
Status EnsureCachedShard(const ShardReaderContext& ctx, const std::string& object_key,
                         const std::string& db_path) {
  const std::string identity_path = ctx.local_dir + "/" + kIdentityFileName;
  const nlohmann::json identity = ShardIdentity(ctx);
  if (IdentityMatches(identity_path, identity) && std::filesystem::exists(db_path)) {
    if (HasRecordedSize(ctx, db_path)) return Status::OK();
    Log(LogLevel::kWarning, "cached SQLite shard " + db_path + " is " +
                                std::to_string(FileSize(db_path)) + " bytes, not db_bytes " +
                                std::to_string(ctx.db_bytes) + "; downloading it again");
  }
  // Drop the old identity first: a crash between replacing shard.db and
  // writing the new identity must not leave the old identity vouching for
  // the new file (or the reverse).
  RemoveFileIfExists(identity_path);

  SHARDY_RETURN_IF_ERROR(Download(ctx, object_key, db_path));
  PendingFileOptions identity_file;
  identity_file.mode = 0644;
  identity_file.error_code = ErrorCode::kDbAdapter;
  return WriteFileAtomically(identity_path, PyJsonDumps(identity), identity_file);
}

class SqliteShardReader : public ShardReader {
 public:
  SqliteShardReader(std::string db_path, std::string url)
      : db_path_(std::move(db_path)), url_(std::move(url)) {}
  ~SqliteShardReader() override {
    sqlite3_finalize(get_);
    sqlite3_close_v2(db_);
  }

  // Opens the cached file read-only and checks that it is a shard.
  Status Open(const SqliteReaderOptions& options);

  Result<std::optional<std::string>> Get(std::string_view key) override;

 private:
  Status Error(const std::string& what) {
    return SqliteError(ErrorCode::kDbAdapter, db_, what, db_path_ + " (from " + url_ + ")");
  }

  const std::string db_path_;
  const std::string url_;
  std::mutex mu_;  // guards the connection and get_: SQLite is opened NOMUTEX
  sqlite3* db_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
};

Status SqliteShardReader::Open(const SqliteReaderOptions& options) {
  // immutable=1 skips file locking and change detection on every lookup. It
  // is truthful: the cache replaces shard.db only by rename, so the inode this
  // connection reads never changes.
  int rc = sqlite3_open_v2(ImmutableUri(db_path_).c_str(), &db_,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
  if (rc != SQLITE_OK) return Error("cannot open SQLite shard");
  const std::string path = db_path_ + " (from " + url_ + ")";
  SHARDY_RETURN_IF_ERROR(ExecSql(db_, "PRAGMA mmap_size=" + std::to_string(options.mmap_size),
                                 ErrorCode::kDbAdapter, path));
  SHARDY_RETURN_IF_ERROR(ExecSql(db_,
                                 "PRAGMA cache_size=" + std::to_string(options.cache_size_pages),
                                 ErrorCode::kDbAdapter, path));

  sqlite3_stmt* check = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kv'",
                         -1, &check, nullptr) != SQLITE_OK) {
    return Error("cannot read the schema of (is it a SQLite shard?)");
  }
  rc = sqlite3_step(check);
  sqlite3_finalize(check);
  if (rc == SQLITE_DONE) {
    return Status(ErrorCode::kDbAdapter,
                  "SQLite file " + path + " has no kv table; it is not a shardyfusion shard");
  }
  if (rc != SQLITE_ROW) return Error("cannot read the schema of (is it a SQLite shard?)");
  if (sqlite3_prepare_v2(db_, "SELECT v FROM kv WHERE k = ?", -1, &get_, nullptr) != SQLITE_OK) {
    return Error("cannot prepare the lookup on");
  }
  return Status::OK();
}

Result<std::optional<std::string>> SqliteShardReader::Get(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  // SQLITE_STATIC: `key` outlives the step; the next Get rebinds before stepping.
  if (sqlite3_bind_blob64(get_, 1, BlobData(key), key.size(), SQLITE_STATIC) != SQLITE_OK) {
    return Error("cannot bind a lookup key on");
  }
  int rc = sqlite3_step(get_);
  if (rc == SQLITE_ROW) {
    const char* data = static_cast<const char*>(sqlite3_column_blob(get_, 0));
    int size = sqlite3_column_bytes(get_, 0);
    std::optional<std::string> value(std::in_place, data == nullptr ? "" : data,
                                     static_cast<size_t>(size));
    sqlite3_reset(get_);
    return value;
  }
  if (rc == SQLITE_DONE) {
    sqlite3_reset(get_);
    return std::optional<std::string>();
  }
  Status st = Error("lookup failed on");
  sqlite3_reset(get_);
  return st;
}

class SqliteReaderFactory : public ShardReaderFactory {
 public:
  explicit SqliteReaderFactory(SqliteReaderOptions options) : options_(options) {}

  std::string name() const override { return "sqlite"; }

  Result<std::unique_ptr<ShardReader>> Open(const ShardReaderContext& ctx) override {
    if (ctx.store == nullptr || ctx.local_dir.empty()) {
      return Status(ErrorCode::kInvalidArgument,
                    "SQLite shard reader for " + ctx.db_url + " needs a store and a local_dir");
    }
    std::error_code ec;
    std::filesystem::create_directories(ctx.local_dir, ec);
    if (ec) {
      return Status(ErrorCode::kDbAdapter,
                    "cannot create shard cache directory " + ctx.local_dir + ": " + ec.message());
    }
    const std::string object_key = ctx.db_key + "/" + kSqliteShardObjectName;
    const std::string db_path = ctx.local_dir + "/" + kSqliteShardObjectName;

    FileLock lock;
    SHARDY_RETURN_IF_ERROR(LockCache(ctx.local_dir + "/" + kLockFileName, &lock));
    SHARDY_RETURN_IF_ERROR(EnsureCachedShard(ctx, object_key, db_path));
    auto reader = std::make_unique<SqliteShardReader>(db_path, ctx.store->Url(object_key));
    Status st = reader->Open(options_);
    if (!st.ok()) {
      // Whatever is cached is unusable; make the next Open download afresh.
      RemoveFileIfExists(ctx.local_dir + "/" + kIdentityFileName);
      return st;
    }
    return std::unique_ptr<ShardReader>(std::move(reader));
  }

 private:
  const SqliteReaderOptions options_;
};

}  // namespace

std::shared_ptr<ShardReaderFactory> NewSqliteReaderFactory(SqliteReaderOptions options) {
  sqlite_internal::ConfigureSqliteOnce();
  return std::make_shared<SqliteReaderFactory>(options);
}

}  // namespace shardyfusion
