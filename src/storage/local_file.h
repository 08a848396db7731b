// Small POSIX helpers shared by the stores that touch local files: an owning
// file descriptor, errno-to-Status mapping, and chunked copying so that big
// shard files are streamed rather than held in memory.
//
// Thread-safety: the functions are reentrant; a ScopedFd is a plain value
// owned by one thread at a time.
#pragma once

#include <string>
#include <string_view>

#include "shardyfusion/status.h"

namespace shardyfusion {

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

}  // namespace shardyfusion
