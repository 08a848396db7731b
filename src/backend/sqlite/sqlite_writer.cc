// The SQLite shard writer: batches become sorted runs (in memory within the
// factory's budget, else on local disk); Seal() merges them into one SQLite
// file in key order and uploads it once.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "backend/run_shard_writer.h"
#include "backend/sqlite/sqlite_util.h"
#include "core/status_internal.h"
#include "shardyfusion/sqlite_backend.h"

namespace shardyfusion {

namespace {

using sqlite_internal::BlobData;
using sqlite_internal::ExecSql;
using sqlite_internal::RemoveFileIfExists;
using sqlite_internal::SqliteError;

constexpr const char* kContentType = "application/x-sqlite3";

Status ValidateOptions(const SqliteWriterOptions& options) {
  uint32_t p = options.page_size;
  if (p < 512 || p > 65536 || (p & (p - 1)) != 0) {
    return Status(ErrorCode::kConfigValidation,
                  "SQLite page_size " + std::to_string(p) +
                      " is invalid; use a power of two from 512 to 65536");
  }
  if (options.max_merge_fan_in < 2) {
    return Status(ErrorCode::kConfigValidation, "SQLite max_merge_fan_in " +
                                                    std::to_string(options.max_merge_fan_in) +
                                                    " is invalid; use 2 or more");
  }
  return Status::OK();
}

class SqliteShardWriter : public RunShardWriter {
 public:
  SqliteShardWriter(const SqliteWriterOptions& options, const ShardWriterContext& ctx,
                    std::shared_ptr<RunMemoryBudget> budget)
      : RunShardWriter("SQLite", ctx, std::move(budget)),
        options_(options),
        db_path_(ctx.local_dir + "/" + kSqliteShardObjectName),
        object_key_(ctx.db_key + "/" + kSqliteShardObjectName) {}

  ~SqliteShardWriter() override { Abandon(); }

  // Prepares the attempt's local directory. The SQLite file itself is
  // created at the seal: an open connection costs about 120 KiB (SQLite's
  // lookaside and schema), which thousands of shards that are still
  // receiving batches must not each hold.
  Status Open();

 private:
  // Creates the local file with the reference's pragmas and schema and opens
  // the shard's single transaction.
  Status CreateDb();
  Result<SealResult> SealRuns() override;
  // The open transaction is dropped with the file; nothing is uploaded.
  void OnAbandon() override { (void)CloseDb(); }
  void OnCleanup() override { RemoveFileIfExists(db_path_); }
  // Streams the merge of all runs into the kv table.
  Status InsertRuns();
  // Closes the connection; after a COMMIT, an error here means the file may
  // be incomplete.
  Status CloseDb();
  Status DbError(const std::string& what) {
    return SqliteError(ErrorCode::kShardWrite, db_, what, db_path_);
  }

  const SqliteWriterOptions options_;
  const std::string db_path_;
  const std::string object_key_;
  sqlite3* db_ = nullptr;
};

Status SqliteShardWriter::Open() {
  SHARDY_RETURN_IF_ERROR(CreateLocalDir());
  // A leftover file would silently contribute rows to this attempt.
  RemoveFileIfExists(db_path_);
  return Status::OK();
}

Status SqliteShardWriter::CreateDb() {
  int rc =
      sqlite3_open_v2(db_path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return DbError("cannot create SQLite shard");
  const std::string statements[] = {
      "PRAGMA page_size=" + std::to_string(options_.page_size),
      "PRAGMA journal_mode=OFF",
      "PRAGMA synchronous=OFF",
      "PRAGMA cache_size=" + std::to_string(options_.cache_size_pages),
      "PRAGMA locking_mode=EXCLUSIVE",
      "PRAGMA temp_store=MEMORY",
      sqlite_internal::kKvTableDdl,
      "BEGIN",
  };
  for (const std::string& sql : statements) {
    SHARDY_RETURN_IF_ERROR(ExecSql(db_, sql, ErrorCode::kShardWrite, db_path_));
  }
  return Status::OK();
}

Result<SealResult> SqliteShardWriter::SealRuns() {
  SHARDY_RETURN_IF_ERROR(CreateDb());
  SHARDY_RETURN_IF_ERROR(InsertRuns());
  SHARDY_RETURN_IF_ERROR(ExecSql(db_, "COMMIT", ErrorCode::kShardWrite, db_path_));
  SHARDY_RETURN_IF_ERROR(ExecSql(db_, "PRAGMA optimize", ErrorCode::kShardWrite, db_path_));
  SHARDY_RETURN_IF_ERROR(CloseDb());

  struct stat st;
  if (::stat(db_path_.c_str(), &st) != 0) {
    return Status(ErrorCode::kShardWrite, "cannot stat sealed SQLite shard " + db_path_);
  }
  SealResult result;
  result.db_bytes = static_cast<uint64_t>(st.st_size);

  PutOptions put;
  put.content_type = kContentType;
  put.source_disposable = true;  // the cleanup after the seal deletes it
  Result<std::string> etag = ctx_.store->PutFile(object_key_, db_path_, put);
  if (!etag.ok()) {
    return etag.status().annotate("uploading SQLite shard " + db_path_ + " to " + object_key_);
  }
  return result;
}

Status SqliteShardWriter::InsertRuns() {
  std::vector<SortedRun> runs = TakeRuns();
  SHARDY_RETURN_IF_ERROR(MergeRunsInPasses(&runs, options_.max_merge_fan_in, SpoolNamer()));
  RunMerger merger;
  // The merger owns the runs now and releases each when consumed.
  SHARDY_RETURN_IF_ERROR(merger.Open(std::move(runs)));

  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", -1, &insert,
                         nullptr) != SQLITE_OK) {
    return DbError("cannot prepare INSERT on");
  }
  Status status;
  while (status.ok() && merger.Valid()) {
    std::string_view key = merger.key();
    std::string_view value = merger.value();
    // SQLITE_STATIC: both views stay valid until merger.Next(), after the step.
    if (sqlite3_bind_blob64(insert, 1, BlobData(key), key.size(), SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_blob64(insert, 2, BlobData(value), value.size(), SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(insert) != SQLITE_DONE) {
      status = DbError("cannot insert a row into");
    }
    sqlite3_reset(insert);
    if (status.ok()) status = merger.Next();
  }
  sqlite3_finalize(insert);
  return status;
}

Status SqliteShardWriter::CloseDb() {
  if (db_ == nullptr) return Status::OK();
  sqlite3* db = db_;
  db_ = nullptr;
  if (sqlite3_close(db) != SQLITE_OK) {
    Status st = SqliteError(ErrorCode::kShardWrite, db, "cannot close SQLite shard", db_path_);
    sqlite3_close_v2(db);
    return st;
  }
  return Status::OK();
}

}  // namespace

std::shared_ptr<ShardWriterFactory> NewSqliteWriterFactory(SqliteWriterOptions options) {
  sqlite_internal::ConfigureSqliteOnce();
  return std::make_shared<RunShardWriterFactory<SqliteShardWriter, SqliteWriterOptions>>(
      "sqlite", "SQLite", options, ValidateOptions);
}

}  // namespace shardyfusion
