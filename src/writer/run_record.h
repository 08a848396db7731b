// The run record: a small YAML object per build, written when the build
// starts, rewritten by a heartbeat while it runs, and finished as succeeded
// or failed (docs/format/layout.md, "Run records"). It lets an operator (or
// a cleanup tool) tell a live build from a dead one: a `running` record
// whose lease has expired belongs to a writer that died.
//
//   <root>/<runs_prefix>/<TS>_run_id=<run_id>_<uuid32hex>/run.yaml
//
// The YAML is what the reference writes with yaml.safe_dump(sort_keys=True):
// the same keys, sorted, one per line; strings are single-quoted, absent
// values are `null`.
//
// Failures to write the record are logged and never fail the build, as in
// the reference: the record is an aid, not part of the snapshot.
//
// Thread-safety: a RunRecordLifecycle may be used from any thread; its
// heartbeat runs on its own thread until Finish or destruction.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "core/time_format.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

struct RunRecord {
  enum class State { kRunning, kSucceeded, kFailed };
  int format_version = 1;
  std::string run_id;
  std::string writer_type = "cpp";
  State status = State::kRunning;
  SystemTime started_at{};
  SystemTime updated_at{};
  SystemTime lease_expires_at{};
  std::string s3_prefix;
  std::string shard_prefix;
  std::string db_path_template;
  std::optional<std::string> manifest_ref;
  std::optional<std::string> error_type;
  std::optional<std::string> error_message;
};

// "running", "succeeded", "failed".
const char* RunStateName(RunRecord::State s);

std::string RunRecordYaml(const RunRecord& record);

// The fields of a run record that say whether its build is alive (run_id,
// status, started_at, updated_at, lease_expires_at), read from the YAML our
// writers and the reference's write (one `key: value` per line; strings
// plain, single- or double-quoted). kManifestParse naming `what` when one is
// missing or malformed.
Result<RunRecord> ParseRunRecordYaml(std::string_view yaml, const std::string& what);

struct RunRecordOptions {
  std::string runs_prefix = "runs";
  std::chrono::milliseconds heartbeat{std::chrono::minutes(1)};
  std::chrono::milliseconds lease{std::chrono::minutes(10)};
  // A resumed build takes over the record of the build it continues: its
  // key (then rewritten as `running`) and its started_at. Empty: a new one.
  std::string existing_key;
  std::optional<SystemTime> started_at;
  // The heartbeat sleeps on it (interruptibly: Succeed, Fail and the
  // destructor wake it at once) and
  // the record's times come from its NowUtc. Not owned; outlives the record.
  Clock* clock = SystemClock();
};

class RunRecordLifecycle {
 public:
  // Writes the initial `running` record under `root_key` in `store` and
  // starts the heartbeat. If that first write fails the build goes on
  // without a record (record_key() is then empty), as the reference does.
  static std::unique_ptr<RunRecordLifecycle> Start(std::shared_ptr<ObjectStore> store,
                                                   std::string root_key, RunRecord initial,
                                                   const RunRecordOptions& options = {});
  ~RunRecordLifecycle();  // stops the heartbeat; an unfinished run stays `running`

  // The record's object key ("" when the initial write failed).
  const std::string& record_key() const { return key_; }
  // Remembered for the next write (the heartbeat or Finish).
  void SetManifestRef(std::string ref);
  // Stops the heartbeat and writes the terminal record (lease = now).
  void Succeed();
  void Fail(std::string error_type, std::string error_message);
  RunRecord Snapshot() const;

 private:
  RunRecordLifecycle() = default;
  // Puts the record; false (logged) on failure. REQUIRES: mu_ held.
  bool Write(bool terminal);
  void Heartbeat();
  void StopHeartbeat();

  std::shared_ptr<ObjectStore> store_;
  std::string key_;
  RunRecordOptions options_;
  mutable std::mutex mu_;
  std::stop_source stop_;  // requested when the heartbeat must end
  bool finished_ = false;
  RunRecord record_;
  std::thread heartbeat_;
};

}  // namespace shardyfusion
