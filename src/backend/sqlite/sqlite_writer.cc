// The SQLite shard writer: batches become sorted runs (in memory within the
// factory's budget, else on local disk); Seal() merges them into one SQLite
// file in key order and uploads it once.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/sorted_run.h"
#include "backend/sqlite/sqlite_util.h"
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

class SqliteShardWriter : public ShardWriter {
 public:
  SqliteShardWriter(const SqliteWriterOptions& options, const ShardWriterContext& ctx,
                    std::shared_ptr<RunMemoryBudget> budget)
      : options_(options),
        ctx_(ctx),
        budget_(std::move(budget)),
        db_path_(ctx.local_dir + "/" + kSqliteShardObjectName),
        object_key_(ctx.db_key + "/" + kSqliteShardObjectName) {}

  ~SqliteShardWriter() override {
    if (state_ != State::kSealed) Abandon();
  }

  // Creates the local file with the reference's pragmas and schema and opens
  // the shard's single transaction.
  Status Open();

  Status WriteBatch(const KvBatch& batch) override;
  Result<SealResult> Seal() override;
  void Abandon() override;

 private:
  enum class State { kOpen, kSealed, kFailed, kAbandoned };

  Result<SealResult> SealLocalAndUpload();
  // Streams the merge of all runs into the kv table.
  Status InsertRuns();
  // Closes the connection; after a COMMIT, an error here means the file may
  // be incomplete.
  Status CloseDb();
  void RemoveLocalFiles();
  std::string NextRunPath() {
    spool_paths_.push_back(ctx_.local_dir + "/run-" + std::to_string(spool_paths_.size()) +
                           ".spool");
    return spool_paths_.back();
  }
  Status DbError(const std::string& what) {
    return SqliteError(ErrorCode::kShardWrite, db_, what, db_path_);
  }

  const SqliteWriterOptions options_;
  const ShardWriterContext ctx_;
  const std::shared_ptr<RunMemoryBudget> budget_;
  const std::string db_path_;
  const std::string object_key_;
  State state_ = State::kOpen;
  sqlite3* db_ = nullptr;
  std::vector<SortedRun> runs_;  // the runs still to merge, oldest first
  std::vector<std::string> spool_paths_;          // every spool path handed out, for cleanup
};

Status SqliteShardWriter::Open() {
  std::error_code ec;
  std::filesystem::create_directories(ctx_.local_dir, ec);
  if (ec) {
    return Status(ErrorCode::kShardWrite,
                  "cannot create shard directory " + ctx_.local_dir + ": " + ec.message());
  }
  // A leftover file would silently contribute rows to this attempt.
  RemoveFileIfExists(db_path_);
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

Status SqliteShardWriter::WriteBatch(const KvBatch& batch) {
  if (state_ != State::kOpen) {
    return Status(ErrorCode::kInvalidArgument,
                  "WriteBatch on SQLite shard " + db_path_ + " after Seal, Abandon or a failure");
  }
  if (batch.empty()) return Status::OK();
  Result<SortedRun> run =
      WriteSortedRun(batch, budget_, NextRunPath());
  if (!run.ok()) {
    // A lost batch would seal into a shard missing rows, so refuse to go on.
    state_ = State::kFailed;
    return run.status();
  }
  runs_.push_back(std::move(run).value());
  return Status::OK();
}

Result<SealResult> SqliteShardWriter::Seal() {
  if (state_ != State::kOpen) {
    return Status(ErrorCode::kInvalidArgument,
                  "Seal on SQLite shard " + db_path_ +
                      " that was already sealed, abandoned or failed; open a new attempt");
  }
  Result<SealResult> result = SealLocalAndUpload();
  if (!result.ok()) {
    Abandon();
    state_ = State::kFailed;
    return result;
  }
  state_ = State::kSealed;
  RemoveLocalFiles();
  return result;
}

Result<SealResult> SqliteShardWriter::SealLocalAndUpload() {
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
  put.source_disposable = true;  // RemoveLocalFiles() deletes it once sealed
  Result<std::string> etag = ctx_.store->PutFile(object_key_, db_path_, put);
  if (!etag.ok()) {
    return etag.status().annotate("uploading SQLite shard " + db_path_ + " to " + object_key_);
  }
  return result;
}

Status SqliteShardWriter::InsertRuns() {
  SHARDY_RETURN_IF_ERROR(MergeRunsInPasses(&runs_, options_.max_merge_fan_in,
                                                            [this] { return NextRunPath(); }));
  RunMerger merger;
  std::vector<SortedRun> runs = std::move(runs_);
  runs_.clear();
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

void SqliteShardWriter::Abandon() {
  if (state_ == State::kSealed || state_ == State::kAbandoned) return;
  // The open transaction is dropped with the file; nothing is uploaded.
  (void)CloseDb();
  RemoveLocalFiles();
  state_ = State::kAbandoned;
}

void SqliteShardWriter::RemoveLocalFiles() {
  RemoveFileIfExists(db_path_);
  for (const std::string& path : spool_paths_) RemoveFileIfExists(path);
  spool_paths_.clear();
  runs_.clear();
  // Only succeeds when empty: files someone else put there are left alone.
  ::rmdir(ctx_.local_dir.c_str());
}

class SqliteWriterFactory : public ShardWriterFactory {
 public:
  explicit SqliteWriterFactory(SqliteWriterOptions options)
      : options_(options),
        budget_(std::make_shared<RunMemoryBudget>(options.sort_memory_bytes)) {}

  std::string name() const override { return "sqlite"; }

  Result<std::unique_ptr<ShardWriter>> Open(const ShardWriterContext& ctx) override {
    SHARDY_RETURN_IF_ERROR(ValidateOptions(options_));
    if (ctx.store == nullptr || ctx.local_dir.empty()) {
      return Status(ErrorCode::kInvalidArgument,
                    "SQLite shard writer for " + ctx.db_key + " needs a store and a local_dir");
    }
    auto writer = std::make_unique<SqliteShardWriter>(options_, ctx, budget_);
    SHARDY_RETURN_IF_ERROR(writer->Open());
    return std::unique_ptr<ShardWriter>(std::move(writer));
  }

 private:
  const SqliteWriterOptions options_;
  const std::shared_ptr<RunMemoryBudget> budget_;
};

}  // namespace

std::shared_ptr<ShardWriterFactory> NewSqliteWriterFactory(SqliteWriterOptions options) {
  sqlite_internal::ConfigureSqliteOnce();
  return std::make_shared<SqliteWriterFactory>(options);
}

}  // namespace shardyfusion
