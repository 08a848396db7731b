// Local staging ownership and the sweep of dead builds' staging
// (local_staging.h).
#include "writer/local_staging.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/log.h"
#include "storage/local_file.h"

namespace shardyfusion {
namespace {

constexpr const char kRunPrefix[] = "run_id=";
constexpr double kLockPollSeconds = 0.05;

void RemoveTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) Log(LogLevel::kWarning, "could not remove local staging " + dir + ": " + ec.message());
}

}  // namespace

LocalStaging::LocalStaging(std::string dir, std::string lock_path, FileLock lock)
    : dir_(std::move(dir)), lock_path_(std::move(lock_path)), lock_(std::move(lock)) {}

LocalStaging::~LocalStaging() = default;

Result<std::unique_ptr<LocalStaging>> LocalStaging::Acquire(const std::string& local_root,
                                                            const std::string& run_id,
                                                            std::chrono::milliseconds wait,
                                                            Clock* clock) {
  std::error_code ec;
  std::filesystem::create_directories(local_root, ec);
  if (ec) {
    return Status(ErrorCode::kConfigValidation,
                  "cannot create the local staging root " + local_root + ": " + ec.message() +
                      " (set local_root / --local-root to a writable directory)");
  }
  const std::string dir = local_root + "/" + kRunPrefix + run_id;
  const std::string lock_path = dir + ".lock";
  FileLock lock;
  if (const int err = lock.Open(lock_path, /*create=*/true, 0600); err != 0) {
    return Status(ErrorCode::kConfigValidation, "cannot create " + lock_path + ": " +
                                                    std::strerror(err) +
                                                    " (is the local staging root writable?)");
  }
  // A sweeper may hold the lock for the moment it takes to delete a dead
  // build's directory; a live build of the same run id holds it for good.
  const double deadline = clock->NowSeconds() + std::chrono::duration<double>(wait).count();
  while (lock.TryLock() != 0) {
    if (clock->NowSeconds() >= deadline) {
      return Status(ErrorCode::kConfigValidation, "another build with run_id " + run_id +
                                                      " is running with local staging " + dir +
                                                      "; use a different run_id or local_root");
    }
    clock->SleepFor(kLockPollSeconds);
  }
  return std::unique_ptr<LocalStaging>(new LocalStaging(dir, lock_path, std::move(lock)));
}

void LocalStaging::Remove() {
  if (!lock_.is_open()) return;
  RemoveTree(dir_);
  ::unlink(lock_path_.c_str());
  lock_.Release();
}

int SweepAbandonedStaging(const std::string& local_root) {
  std::error_code ec;
  std::filesystem::directory_iterator it(local_root, ec);
  if (ec) return 0;
  // Every run named by a directory or a lock file (a build killed before
  // it created its directory leaves only the lock file).
  std::set<std::string> runs;
  for (const std::filesystem::directory_entry& entry : it) {
    std::string name = entry.path().filename().string();
    if (name.rfind(kRunPrefix, 0) != 0) continue;
    if (name.ends_with(".lock")) name.resize(name.size() - 5);
    runs.insert(local_root + "/" + name);
  }
  int removed = 0;
  for (const std::string& dir : runs) {
    const std::string lock_path = dir + ".lock";
    // Never created here: no lock file, no proof that the build died.
    FileLock lock;
    if (lock.Open(lock_path, /*create=*/false) != 0) continue;
    if (lock.TryLock() == 0) {
      std::error_code exists_ec;
      const std::string checkpoint = dir + "/" + kCheckpointFileName;
      if (std::filesystem::exists(checkpoint, exists_ec)) {
        const auto age = std::filesystem::file_time_type::clock::now() -
                         std::filesystem::last_write_time(checkpoint, exists_ec);
        if (!exists_ec && age < kKeepCheckpointedStaging) continue;  // may be resumed
      }
      if (std::filesystem::exists(dir, exists_ec)) {
        RemoveTree(dir);
        ++removed;
      }
      ::unlink(lock_path.c_str());
    }
  }
  if (removed > 0) {
    Log(LogLevel::kInfo, "removed the local staging of " + std::to_string(removed) +
                             " earlier build(s) that did not finish, under " + local_root);
  }
  return removed;
}

}  // namespace shardyfusion
