// RunShardWriter: the part of a shard writer that the SQLite and SlateDB
// backends share. Each batch is sorted into a run (core/sorted_run.h), kept
// in memory within the factory's budget or spooled under the attempt's local
// directory. Seal() hands the runs to the backend once; any failure leaves
// the writer refusing further work (a lost batch must never seal into a
// shard missing rows); Abandon() releases everything, at any time.
//
// A backend implements SealRuns() and may hook into each accepted batch
// (CheckBatch, AfterRun) and into cleanup (OnAbandon, OnCleanup). Its
// destructor must call Abandon(): the base destructor cannot reach the
// backend's hooks.
//
// Checkpoint() makes every run durable: a spool file is synced and
// hard-linked to a checkpoint name (ckpt-<n>.ckpt), a memory run is written
// out to one (and stays in memory); the description lists those files and
// the backend's own state (CheckpointState). A run consumed after a
// checkpoint (merged into an SST or the shard) keeps its checkpoint file
// until the next checkpoint, which no longer names it. Restore() adopts a
// description: each named file becomes a spool-file run again (through a
// new hard link, so consuming it leaves the checkpoint's file in place),
// and every other file in the local directory is deleted.
//
// RunShardWriterFactory<Writer, Options> is the matching factory: it owns the
// sort budget its writers share and validates the options on every Open().
//
// Thread-safety: as ShardWriter (one thread at a time); factories are
// thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/sorted_run.h"
#include "core/status_internal.h"
#include "shardyfusion/shard_backend.h"

namespace shardyfusion {

class RunShardWriter : public ShardWriter {
 public:
  Status WriteBatch(const KvBatch& batch) final;
  Result<SealResult> Seal() final;
  void Abandon() final;
  Result<std::string> Checkpoint() final;
  void Detach() final;
  // Continues from a Checkpoint() description (after Open()).
  Status Restore(std::string_view state);

 protected:
  // `backend` names it in errors ("SQLite", "SlateDB").
  RunShardWriter(std::string backend, const ShardWriterContext& ctx,
                 std::shared_ptr<RunMemoryBudget> budget);

  // Creates the attempt's local directory.
  Status CreateLocalDir();

  // A batch is refused, and the writer fails, unless this returns OK.
  virtual Status CheckBatch(const KvBatch& /*batch*/) { return Status::OK(); }
  // Called after a batch became a run; `input_bytes` is its key+value size.
  virtual Status AfterRun(uint64_t /*input_bytes*/) { return Status::OK(); }
  // Turns the runs (TakeRuns()) into the finished, uploaded shard.
  virtual Result<SealResult> SealRuns() = 0;
  // Abandon(): drop what the backend holds or uploaded. Before OnCleanup().
  virtual void OnAbandon() {}
  // After a seal or an abandon: remove the backend's own local files.
  virtual void OnCleanup() {}
  // The backend's part of a checkpoint description (what it uploaded), and
  // its restore; its own local files must be durable when it returns.
  virtual Result<nlohmann::json> CheckpointState() { return nlohmann::json(); }
  virtual Status RestoreState(const nlohmann::json& /*state*/) { return Status::OK(); }

  // The runs not yet consumed, oldest first; the writer no longer holds them.
  std::vector<SortedRun> TakeRuns();
  bool has_runs() const { return !runs_.empty(); }
  // A fresh path in the local directory ("<dir>/<kind>-<n>.<kind>"), removed
  // at cleanup whatever became of it.
  std::string NextLocalPath(const char* kind);
  // The MergeRunsInPasses file namer for this writer.
  std::function<std::string()> SpoolNamer() {
    return [this] { return NextLocalPath("spool"); };
  }
  // The attempt's URL, for messages.
  std::string Where() const { return ctx_.store->Url(ctx_.db_key); }

  const ShardWriterContext ctx_;

 private:
  enum class State { kOpen, kSealed, kFailed, kAbandoned };
  void Cleanup();

  const std::string backend_;
  const std::shared_ptr<RunMemoryBudget> budget_;
  State state_ = State::kOpen;
  std::vector<SortedRun> runs_;
  std::vector<std::string> local_paths_;
  uint64_t next_path_ = 0;  // the number in the next local file name
  // Checkpoint files of consumed runs: named by the checkpoint on disk
  // (retired since the last Checkpoint()), or by none (retired before it).
  std::vector<std::string> retired_recent_;
  std::vector<std::string> retired_old_;
};

// Writer: constructible from (const Options&, const ShardWriterContext&,
// std::shared_ptr<RunMemoryBudget>), with `Status Open()`. Options: has
// `sort_memory_bytes`.
template <typename Writer, typename Options>
class RunShardWriterFactory : public ShardWriterFactory {
 public:
  using Validator = Status (*)(const Options&);
  RunShardWriterFactory(std::string name, std::string backend, Options options, Validator validate,
                        KeyLimits key_limits = {})
      : name_(std::move(name)),
        backend_(std::move(backend)),
        options_(std::move(options)),
        validate_(validate),
        key_limits_(key_limits),
        budget_(std::make_shared<RunMemoryBudget>(options_.sort_memory_bytes)) {}

  std::string name() const override { return name_; }
  KeyLimits key_limits() const override { return key_limits_; }

  Result<std::unique_ptr<ShardWriter>> Open(const ShardWriterContext& ctx) override {
    SHARDY_RETURN_IF_ERROR(validate_(options_));
    if (ctx.store == nullptr || ctx.local_dir.empty()) {
      return Status(ErrorCode::kInvalidArgument, backend_ + " shard writer for " + ctx.db_key +
                                                     " needs a store and a local_dir");
    }
    auto writer = std::make_unique<Writer>(options_, ctx, budget_);
    SHARDY_RETURN_IF_ERROR(writer->Open());
    return std::unique_ptr<ShardWriter>(std::move(writer));
  }

  bool supports_checkpoints() const override { return true; }
  Result<std::unique_ptr<ShardWriter>> Resume(const ShardWriterContext& ctx,
                                              std::string_view state) override {
    SHARDY_ASSIGN_OR_RETURN(std::unique_ptr<ShardWriter> w, Open(ctx));
    SHARDY_RETURN_IF_ERROR(static_cast<Writer*>(w.get())->Restore(state));
    return w;
  }

 private:
  const std::string name_;
  const std::string backend_;
  const Options options_;
  const Validator validate_;
  const KeyLimits key_limits_;
  const std::shared_ptr<RunMemoryBudget> budget_;
};

}  // namespace shardyfusion
