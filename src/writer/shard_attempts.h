// ShardAttempts: one shard's attempts, with retries from a local spool.
//
// The engine hands a shard's batches to its ShardAttempts, in order, then
// calls Seal() once. The first batch opens attempt 00 (the attempt prefix
// <root>/<shard_prefix>/run_id=<run>/<db_path>/attempt=00). When retries are
// on (RetryConfig::max_retries > 0) every batch is first appended to a local
// spool file; an Open, WriteBatch or Seal failure that is retryable then
// abandons the attempt, deletes what it uploaded (best effort), sleeps the
// backoff on the env's clock (initial_backoff * multiplier^k before retry
// k+1), opens the next attempt (attempt=01, ...), replays the whole spool
// into it and carries on.
// Without retries, or for a non-retryable error, the first failure is final.
//
// Every attempt's writer stores through a CreatedObjectsStore
// (storage/created_objects.h), so the objects an attempt created are known
// exactly: cleanup deletes those and nothing else, never a listing of the
// attempt prefix (which a rerun of a published run id would share).
//
// Spool format (shared with the reference's parallel spool): records
// concatenated, each u64 LE key_len | u64 LE value_len | key | value, no
// header. The spool is private to this process and removed when the shard is
// sealed or abandoned; it costs one local copy of the shard's pairs on disk.
//
// Errors: kShardWrite naming the shard and attempt; after the last retry
// "... after N attempts: <last cause>". A stop request (the build failing
// elsewhere) cuts a backoff short and ends retrying.
//
// Metric events: write.shard.retried (db_id, attempt, backoff_s) and
// write.shard.retry_exhausted (db_id, attempts).
//
// Thread-safety: one thread at a time per ShardAttempts (the thread that owns
// the shard); distinct shards are independent. The environment is shared and
// read-only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/shard_backend.h"
#include "shardyfusion/writer.h"
#include "storage/created_objects.h"
#include "writer/build_events.h"
#include "writer/layout.h"

namespace shardyfusion {

// What every shard's attempts share; outlives them.
struct ShardAttemptEnv {
  std::shared_ptr<ObjectStore> store;
  std::string root_key;
  std::string shard_prefix;
  std::string run_id;
  DbPathTemplate db_path;
  std::shared_ptr<ShardWriterFactory> factory;
  std::string local_run_dir;
  uint64_t replay_batch_size = 50000;  // pairs per batch when replaying the spool
  RetryConfig retry;                   // max_retries 0 = no spool, no retries
  EmitFn emit;                         // may be empty
  std::stop_token stop;                // requested when the build fails
  Clock* clock = SystemClock();        // backoff sleeps and attempt durations
  // Staged builds: each attempt number is claimed first (StagedClaimKey,
  // written if absent), the next number when another process holds it.
  bool claim_attempts = false;
};

class ShardAttempts {
 public:
  ShardAttempts(const ShardAttemptEnv* env, uint32_t db_id);
  ~ShardAttempts();  // abandons an unsealed attempt
  ShardAttempts(const ShardAttempts&) = delete;
  ShardAttempts& operator=(const ShardAttempts&) = delete;

  // Writes one batch, opening the first attempt on first use.
  Status Write(const KvBatch& batch);
  // Seals the current attempt (opening one if nothing was written).
  Result<SealResult> Seal();
  // Drops the current attempt's local state; uploads nothing further.
  void Abandon();

  // Checkpoints (write_engine.h): the attempt's state, with everything it
  // names durable: the attempt number, the objects this and the earlier
  // attempts created, the spool's length and the writer's Checkpoint().
  // REQUIRES: started(), no batch in progress.
  Result<nlohmann::json> Checkpoint();
  // Continues the attempt a Checkpoint() of a process that died describes:
  // cuts the spool back to its length and resumes the writer. What the dead
  // process uploaded after the checkpoint is the caller's to delete (the
  // engine prunes the run's prefix to the objects its checkpoint names).
  // REQUIRES: !started().
  Status Resume(const nlohmann::json& state);
  // Forgets the attempt, leaving its local files and objects as the last
  // checkpoint names them (a build that stops, to be resumed).
  void Detach();

  // Whether an attempt was ever opened (objects may exist under it).
  bool started() const { return !attempts_.empty(); }
  int64_t attempt() const { return attempt_; }
  // The current attempt's prefix (after Seal: the sealed one).
  const std::string& db_key() const { return db_key_; }
  // The objects every attempt created (the current one included): what a
  // failed build deletes.
  std::vector<std::string> CreatedObjects() const;
  // The objects the current attempt created (after Seal: the sealed one's).
  std::vector<std::string> CurrentObjects() const;
  // The objects the attempts before the current one created and did not
  // delete themselves: what the build deletes once the current one won.
  std::vector<std::string> SupersededObjects() const;
  // Milliseconds since the current attempt opened.
  int64_t duration_ms() const;

 private:
  class Spool;
  Status Open();
  // The writer's context for the current attempt (its local directory made).
  Result<ShardWriterContext> Context();
  // Runs `op` on the current attempt; on a retryable failure moves to the
  // next attempt (replaying the spool) and, if `again`, runs `op` again.
  Status WithRetries(const std::function<Status()>& op, bool again_after_replay);
  Status NextAttempt(const Status& cause);
  Status Replay();
  Status Wrap(const char* what, const Status& st) const;
  void Emit(std::string_view event, std::vector<std::pair<std::string_view, double>> numbers) const;

  const ShardAttemptEnv* env_;
  const uint32_t db_id_;
  int64_t attempt_ = 0;
  std::string db_key_;
  // One per attempt opened, oldest first; the last is the current one.
  std::vector<std::shared_ptr<CreatedObjectsStore>> attempts_;
  std::unique_ptr<ShardWriter> writer_;
  std::unique_ptr<Spool> spool_;
  int64_t opened_at_ms_ = 0;
};

}  // namespace shardyfusion
