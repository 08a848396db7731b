// FaultInjectingStore: an ObjectStore wrapper for tests of the write,
// publish and refresh protocols. It passes every call to the wrapped store
// unless a FaultRule matches, counts calls per operation, and records them in
// order.
//
// A rule matches a call by operation and (optionally) a key substring; each
// matching call advances the rule's own counter, starting from when the rule
// was added. A rule with nth = N fires on its Nth matching call only; with
// nth = 0 it fires on every matching call. When several rules fire, the first
// added wins. A firing rule either fails the call with `error` (before, or
// with `after_effect`, after the wrapped store carried it out: an ambiguous
// failure such as a timeout on a write that landed), truncates the bytes
// that Get/GetRange/GetToFile return to `truncate_to`, or (`drop_write`)
// acknowledges a Put/PutFile that it never stores.
//
// Thread-safety: safe for concurrent use; rules and counters are guarded by
// one mutex, which is not held while the wrapped store runs.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "shardyfusion/object_store.h"

namespace shardyfusion {

enum class StoreOp { kPut, kPutFile, kGet, kGetToFile, kGetRange, kHead, kList, kDelete };
inline constexpr size_t kNumStoreOps = 8;

const char* StoreOpName(StoreOp op);

struct FaultRule {
  StoreOp op = StoreOp::kGet;
  // Matches calls whose key (List: prefix; Delete: any key) contains this.
  std::string key_contains;
  // 0: every matching call; N > 0: the Nth matching call only.
  int nth = 0;
  // The failure to return; ignored when truncate_to is set.
  Status error = Status(ErrorCode::kStorage, "injected fault");
  // Fail after the wrapped store performed the call (writes and deletes).
  bool after_effect = false;
  // For reads: succeed but return at most this many bytes.
  std::optional<uint64_t> truncate_to;
  // For Put/PutFile: report success without storing anything (a store that
  // loses acknowledged writes). Takes precedence over `error`.
  bool drop_write = false;
};

struct StoreCall {
  StoreOp op;
  std::string key;  // List: the prefix; Delete: the keys joined with ','
};

class FaultInjectingStore : public ObjectStore {
 public:
  explicit FaultInjectingStore(std::shared_ptr<ObjectStore> base);

  void AddRule(FaultRule rule);
  // Shorthand: fail the nth call of `op` (from now) with `error`.
  void FailNthCall(StoreOp op, int nth, Status error);
  void ClearRules();

  // Calls of `op` so far, including failed ones.
  int CallCount(StoreOp op) const;
  std::vector<StoreCall> Calls() const;
  // Number of calls a rule fired on (injected failures and truncations).
  int FaultsInjected() const;

  const std::shared_ptr<ObjectStore>& base() const { return base_; }

  std::string Url(std::string_view key) const override;
  Result<std::string> Put(std::string_view key, std::string_view data,
                          const PutOptions& options) override;
  Result<std::string> PutFile(std::string_view key, const std::string& path,
                              const PutOptions& options) override;
  Result<std::optional<std::string>> Get(std::string_view key) override;
  Result<bool> GetToFile(std::string_view key, const std::string& path) override;
  Result<std::optional<std::string>> GetRange(std::string_view key, uint64_t offset,
                                              uint64_t length) override;
  Result<std::optional<ObjectInfo>> Head(std::string_view key) override;
  Result<ListResult> List(std::string_view prefix, std::string_view delimiter) override;
  Status Delete(const std::vector<std::string>& keys) override;

 private:
  struct ActiveRule {
    FaultRule rule;
    int matched = 0;
  };

  // Counts and records the call, then returns the rule that fires, if any.
  std::optional<FaultRule> OnCall(StoreOp op, const std::vector<std::string_view>& keys);

  const std::shared_ptr<ObjectStore> base_;
  mutable std::mutex mu_;
  std::vector<ActiveRule> rules_;              // guarded by mu_
  std::array<int, kNumStoreOps> counts_ = {};  // guarded by mu_
  std::vector<StoreCall> calls_;               // guarded by mu_
  int faults_injected_ = 0;                    // guarded by mu_
};

}  // namespace shardyfusion
