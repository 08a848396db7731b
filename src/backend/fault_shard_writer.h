// FaultInjectingShardWriterFactory: a ShardWriterFactory wrapper for tests
// of the writer engine's failure handling (retries, coverage, cleanup).
//
// It passes every call to the wrapped factory and its writers unless a
// ShardFault matches: by stage (Open, WriteBatch, Seal) and a substring of
// the attempt's db_key (e.g. "db=00003/attempt=00"). A fault fires on its
// nth matching call (0: on every one) and fails the call with its error, or
// first sleeps `delay` (a slow but progressing shard) and then succeeds when
// `error` is OK. When several faults match, the first added wins.
//
// Thread-safety: the factory and its writers may be used from many threads;
// the fault list is guarded by a mutex that is never held across the
// wrapped calls or the delays.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "shardyfusion/shard_backend.h"

namespace shardyfusion {

struct ShardFault {
  enum class Stage { kOpen, kWriteBatch, kSeal };
  Stage stage = Stage::kWriteBatch;
  std::string db_key_contains;
  int nth = 1;
  // Retryable by default, like a transient backend failure.
  Status error = Status(ErrorCode::kShardWrite, "injected shard fault");
  std::chrono::milliseconds delay{0};
};

class FaultInjectingShardWriterFactory : public ShardWriterFactory {
 public:
  explicit FaultInjectingShardWriterFactory(std::shared_ptr<ShardWriterFactory> base);

  void AddFault(ShardFault fault);
  int FaultsInjected() const;
  // Calls of `stage` so far (matched or not).
  int Calls(ShardFault::Stage stage) const;

  std::string name() const override { return base_->name(); }
  KeyLimits key_limits() const override { return base_->key_limits(); }
  Result<std::unique_ptr<ShardWriter>> Open(const ShardWriterContext& ctx) override;

  // For the writers: applies the faults of `stage` to a call on `db_key`.
  Status Check(ShardFault::Stage stage, const std::string& db_key);

 private:
  struct Active {
    ShardFault fault;
    int matched = 0;
  };
  std::shared_ptr<ShardWriterFactory> base_;
  mutable std::mutex mu_;
  std::vector<Active> faults_;
  int injected_ = 0;
  int calls_[3] = {0, 0, 0};
};

}  // namespace shardyfusion
