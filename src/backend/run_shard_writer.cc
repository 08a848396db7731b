#include "backend/run_shard_writer.h"

#include <unistd.h>

#include <filesystem>

namespace shardyfusion {

RunShardWriter::RunShardWriter(std::string backend, const ShardWriterContext& ctx,
                               std::shared_ptr<RunMemoryBudget> budget)
    : ctx_(ctx), backend_(std::move(backend)), budget_(std::move(budget)) {}

Status RunShardWriter::CreateLocalDir() {
  std::error_code ec;
  std::filesystem::create_directories(ctx_.local_dir, ec);
  if (ec) {
    return Status(ErrorCode::kShardWrite,
                  "cannot create shard directory " + ctx_.local_dir + ": " + ec.message());
  }
  return Status::OK();
}

Status RunShardWriter::WriteBatch(const KvBatch& batch) {
  if (state_ != State::kOpen) {
    return Status(ErrorCode::kInvalidArgument, "WriteBatch on " + backend_ + " shard " + Where() +
                                                   " after Seal, Abandon or a failure");
  }
  if (batch.empty()) return Status::OK();
  Status st = CheckBatch(batch);
  if (st.ok()) {
    Result<SortedRun> run = WriteSortedRun(batch, budget_, NextLocalPath("spool"));
    if (run.ok()) {
      runs_.push_back(std::move(run).value());
      st = AfterRun(batch.payload_bytes());
    } else {
      st = run.status();
    }
  }
  if (!st.ok()) state_ = State::kFailed;
  return st;
}

Result<SealResult> RunShardWriter::Seal() {
  if (state_ != State::kOpen) {
    return Status(ErrorCode::kInvalidArgument,
                  "Seal on " + backend_ + " shard " + Where() +
                      " that was already sealed, abandoned or failed; open a new attempt");
  }
  Result<SealResult> result = SealRuns();
  if (!result.ok()) {
    Abandon();
    state_ = State::kFailed;
    return result;
  }
  state_ = State::kSealed;
  Cleanup();
  return result;
}

void RunShardWriter::Abandon() {
  if (state_ == State::kSealed || state_ == State::kAbandoned) return;
  OnAbandon();
  Cleanup();
  state_ = State::kAbandoned;
}

std::vector<SortedRun> RunShardWriter::TakeRuns() {
  std::vector<SortedRun> runs = std::move(runs_);
  runs_.clear();
  return runs;
}

std::string RunShardWriter::NextLocalPath(const char* kind) {
  local_paths_.push_back(ctx_.local_dir + "/" + kind + "-" + std::to_string(local_paths_.size()) +
                         "." + kind);
  return local_paths_.back();
}

void RunShardWriter::Cleanup() {
  runs_.clear();  // spool files are among local_paths_
  for (const std::string& path : local_paths_) ::unlink(path.c_str());
  local_paths_.clear();
  OnCleanup();
  // Only succeeds when empty: files someone else put there are left alone.
  ::rmdir(ctx_.local_dir.c_str());
}

}  // namespace shardyfusion
