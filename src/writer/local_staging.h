// A build's local staging directory, and the sweep that removes the staging
// of builds that died (kill -9, a crash, a lost machine) without cleaning up.
//
// A build owns <local_root>/run_id=<id>/ by holding an exclusive flock(2) on
// <local_root>/run_id=<id>.lock, taken before the directory is created and
// held until the build ends. The kernel releases the lock when the process
// dies, however it dies, so a run directory whose lock can be taken belongs
// to no live build and may be deleted. Directories without a lock file are
// never touched (nothing proves them abandoned), nor are those holding a
// checkpoint (kCheckpointFileName: a killed build that can resume) younger
// than kKeepCheckpointedStaging.
//
// Thread-safety: a LocalStaging is used by the thread that owns the build;
// SweepAbandonedStaging may run concurrently with other builds, in this or
// other processes, on the same local root.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.h"
#include "shardyfusion/status.h"
#include "storage/local_file.h"

namespace shardyfusion {

inline constexpr const char* kCheckpointFileName = "checkpoint.json";
inline constexpr std::chrono::hours kKeepCheckpointedStaging{24 * 7};

class LocalStaging {
 public:
  // Takes the lock of `run_id` under `local_root` (created if missing),
  // trying every 50 ms on `clock`. kConfigValidation if the root cannot be
  // created or written, or if a live build holds the same run id's lock for
  // longer than `wait`.
  static Result<std::unique_ptr<LocalStaging>> Acquire(
      const std::string& local_root, const std::string& run_id,
      std::chrono::milliseconds wait = std::chrono::milliseconds(5000),
      Clock* clock = SystemClock());
  ~LocalStaging();  // releases the lock; leaves the directory
  LocalStaging(const LocalStaging&) = delete;
  LocalStaging& operator=(const LocalStaging&) = delete;

  // <local_root>/run_id=<id>
  const std::string& dir() const { return dir_; }
  // Removes the directory and the lock file, then releases the lock. Errors
  // are logged; a second call does nothing.
  void Remove();

 private:
  LocalStaging(std::string dir, std::string lock_path, FileLock lock);
  std::string dir_;
  std::string lock_path_;
  FileLock lock_;  // holds the lock until Remove() or destruction
};

// Deletes every run_id=* directory under `local_root` (and its lock file)
// whose lock no live build holds, except resumable ones (above). Returns how
// many were deleted.
int SweepAbandonedStaging(const std::string& local_root);

}  // namespace shardyfusion
