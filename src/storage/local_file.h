// The local-files room: every piece of code that locks, atomically replaces
// or downloads a local file does it through the functions here, the other
// half of the outside world next to ObjectStore (object_store.h).
//
//   ScopedFd, ErrnoStatus, OpenRetrying, WriteAll, CopyFd   POSIX basics
//   FileLock                  an exclusive flock(2) on a lock file
//   PendingFile               a new version of a file, put in place by rename
//   WriteFileAtomically       PendingFile for bytes held in memory
//   DownloadToFile            PendingFile filled by ObjectStore::GetToFile
//
// Errors are kStorage "<what> <path>: <strerror>" (ErrnoStatus) unless a
// function says otherwise; a caller whose local files belong to another
// error class (a shard cache: kDbAdapter) picks it in the options.
//
// Thread-safety: the functions are reentrant; ScopedFd, FileLock and
// PendingFile are plain values owned by one thread at a time.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "shardyfusion/status.h"

namespace shardyfusion {

class ObjectStore;

// Closes the descriptor it owns on destruction.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { reset(); }

  bool valid() const { return fd_ >= 0; }
  int get() const { return fd_; }
  int release();
  void reset();

 private:
  int fd_ = -1;
};

// kStorage "<what> <path>: <strerror(err)>". Permission, space and name
// errors are not retryable; transient I/O errors (EIO, EAGAIN, ...) are.
Status ErrnoStatus(int err, std::string_view what, std::string_view path);

// open(2) retried on EINTR; returns -1 with errno set on failure.
int OpenRetrying(const std::string& path, int flags, int mode = 0666);

// Writes all of `data` to `fd`; `path` names the file in errors.
Status WriteAll(int fd, std::string_view data, const std::string& path);

// Copies `in` from its current offset to its end into `out`, in chunks.
Status CopyFd(int in, const std::string& in_path, int out, const std::string& out_path);

// Reads the whole local file (only for stores that keep objects in memory).
Result<std::string> ReadLocalFile(const std::string& path);

// Creates or truncates `path` and writes `data` to it.
Status WriteLocalFile(const std::string& path, std::string_view data);

// fsync(2) of the file or directory at `path` (opened read-only).
Status SyncPath(const std::string& path);

// ---------------------------------------------------------------------------
// FileLock: an exclusive flock(2) on a lock file, held until Release() or
// destruction.
//
// flock locks belong to the open file description, so two FileLocks on one
// path exclude each other whether they live in two processes or in two
// threads of one process, and the kernel releases a lock when its holder
// closes the file or dies, however it dies (kill -9 included). The lock file
// is never removed here: an owner that removes it (local_staging.h) does so
// while holding the lock.
//
// The calls return 0 or an errno value, so that each caller reports the
// failure in its own error class and words. EINTR is retried everywhere.
class FileLock {
 public:
  FileLock() = default;  // holds no file
  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;

  // Opens the lock file read-write; with `create`, creates it (with `mode`,
  // before the umask) if missing. Does not lock. ENOENT when it (or, with
  // `create`, its directory) does not exist.
  int Open(const std::string& path, bool create = true, int mode = 0666);
  // Blocks until this FileLock holds the lock. REQUIRES: Open succeeded.
  int Lock();
  // Takes the lock without blocking (LOCK_NB): 0 when taken, EWOULDBLOCK
  // while another open file description holds it. REQUIRES: Open succeeded.
  int TryLock();
  // Closes the lock file, which releases the lock. Idempotent.
  void Release() { fd_.reset(); }
  bool is_open() const { return fd_.valid(); }

 private:
  ScopedFd fd_;
};

// ---------------------------------------------------------------------------
// PendingFile: a new version of the file at `path`, written under a temp name
// in the same directory and moved over `path` by Commit() with rename(2).
//
// What a reader can observe: whoever opens `path` gets the old file (or
// none) or the whole new one, never a part of it; a reader that has the old
// file open keeps reading the old file. The temp file is
// "<dir>/.<name>.shardy-tmp.<pid>.<16 hex>" (created O_EXCL, so concurrent
// writers of one path never share it); IsTempFileName recognises such names
// and the file store never lists them.
//
// Durability: with sync_file, Commit() fsyncs the file before the rename, so
// a crash cannot leave `path` naming a file with missing data; with
// sync_dir it also fsyncs the directory after the rename, so that the new
// file, once Commit() returned, is what `path` names after a crash as well.
// Without them a crash may leave the old file, or (without sync_file) a new
// file that is empty or short.
//
// Failure: a PendingFile destroyed without a successful Commit() removes its
// temp file and leaves `path` as it was. A failed sync_dir is reported after
// the rename took effect (`path` already names the new file). A process that
// dies mid-write leaves its hidden temp file behind; nothing removes it.
//
// Thread-safety: a PendingFile is owned by one thread. Several PendingFiles
// for one path may commit concurrently: each rename is atomic and the last
// one wins.
struct PendingFileOptions {
  int mode = 0666;        // of the temp file, before the umask
  bool sync_file = true;  // fsync the file before the rename
  bool sync_dir = false;  // fsync the directory after the rename
  // Tries to create the temp file as a hard link to this file (no copy);
  // linked() tells whether it worked (not across filesystems, say). A
  // linked temp file must not be written to.
  std::string link_from;
  // The class of the errors (see the top of this file).
  ErrorCode error_code = ErrorCode::kStorage;
};

class PendingFile {
 public:
  // Creates the temp file beside `path`. The directory must exist.
  static Result<PendingFile> Create(const std::string& path, const PendingFileOptions& options);
  ~PendingFile();  // removes the temp file unless committed
  PendingFile(PendingFile&& other) noexcept;
  PendingFile& operator=(PendingFile&&) = delete;
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  // The temp file, open for writing until Close() or Sync() (-1 after).
  int fd() const { return fd_.get(); }
  const std::string& temp_path() const { return temp_; }
  const std::string& path() const { return path_; }
  bool linked() const { return linked_; }

  // Closes the descriptor without syncing; the temp file can then be filled
  // by its path (a store's GetToFile), and Sync() fsyncs it by path.
  Status Close();
  // Makes the contents durable (fsync, with sync_file) and closes the temp
  // file. Commit() does this if it was not done. Idempotent.
  Status Sync();
  // Syncs, renames the temp file over `path`, then fsyncs the directory
  // (sync_dir). At most once.
  Status Commit();

 private:
  PendingFile(std::string path, std::string temp, ScopedFd fd, bool linked,
              const PendingFileOptions& options);

  std::string path_;
  std::string temp_;  // "" once renamed (or moved from)
  ScopedFd fd_;
  bool linked_ = false;
  bool synced_ = false;
  bool sync_file_ = true;
  bool sync_dir_ = false;
  ErrorCode error_code_ = ErrorCode::kStorage;
};

// Whether `name` (one path segment) is a PendingFile's temp file.
bool IsTempFileName(std::string_view name);

// Replaces the file at `path` with `data` through a PendingFile.
Status WriteFileAtomically(const std::string& path, std::string_view data,
                           const PendingFileOptions& options = {});

// ---------------------------------------------------------------------------
// DownloadToFile: the object `key` of `store` as the local file `path`,
// through a PendingFile (the store's GetToFile writes the temp file), so
// that `path` never holds part of an object: a store failing midway, a
// download that `check` refuses, or a crash leaves `path` as it was.
//
// Returns false, leaving `path` as it was, when the object does not exist.
// Errors: the store's own, unchanged; `check`'s, unchanged; local file
// failures in options.file.error_code.
struct DownloadOptions {
  DownloadOptions() { file.sync_dir = true; }
  // Durability and error class of the local file (see PendingFile); by
  // default both the file and its directory are fsynced. link_from is
  // ignored.
  PendingFileOptions file;
  // Vets the complete download (e.g. its size) before it replaces `path`;
  // null accepts everything.
  std::function<Status(const std::string& temp_path)> check;
};

Result<bool> DownloadToFile(ObjectStore& store, std::string_view key, const std::string& path,
                            const DownloadOptions& options = {});

}  // namespace shardyfusion
