#include "storage/local_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>
#include <vector>

#include "core/ids.h"
#include "core/status_internal.h"
#include "shardyfusion/object_store.h"

namespace shardyfusion {

namespace {

constexpr size_t kCopyChunk = 1 << 20;
constexpr std::string_view kTempMarker = ".shardy-tmp.";
// Keeps temp names under NAME_MAX however long the file's own name is.
constexpr size_t kMaxNameInTemp = 100;
constexpr int kTempNameAttempts = 8;

bool IsTransient(int err) {
  switch (err) {
    case EIO:
    case EAGAIN:
    case EINTR:
    case EBUSY:
    case ETIMEDOUT:
    case ESTALE:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
      return true;
    default:
      return false;
  }
}

// read(2) retried on EINTR.
ssize_t ReadRetrying(int fd, char* buf, size_t n) {
  ssize_t r;
  do {
    r = ::read(fd, buf, n);
  } while (r < 0 && errno == EINTR);
  return r;
}

// The portable fallback when copy_file_range cannot be used between the two
// files (different filesystems on older kernels, special files).
Status CopyByReadWrite(int in, const std::string& in_path, int out, const std::string& out_path) {
  std::vector<char> buf(kCopyChunk);
  while (true) {
    const ssize_t n = ReadRetrying(in, buf.data(), buf.size());
    if (n < 0) return ErrnoStatus(errno, "read", in_path);
    if (n == 0) return Status::OK();
    SHARDY_RETURN_IF_ERROR(WriteAll(out, std::string_view(buf.data(), n), out_path));
  }
}

// `st` in the caller's error class (PendingFileOptions::error_code).
Status Recode(Status st, ErrorCode code) {
  if (st.ok() || st.code() == code) return st;
  return Status(code, st.message());
}

}  // namespace

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int ScopedFd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void ScopedFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status ErrnoStatus(int err, std::string_view what, std::string_view path) {
  std::string msg(what);
  msg += " ";
  msg += path;
  msg += ": ";
  msg += std::system_category().message(err);
  return Status(ErrorCode::kStorage, std::move(msg), IsTransient(err));
}

int OpenRetrying(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status CopyFd(int in, const std::string& in_path, int out, const std::string& out_path) {
  bool copied_any = false;
  while (true) {
    const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, kCopyChunk, 0);
    if (n > 0) {
      copied_any = true;
      continue;
    }
    if (n == 0) return Status::OK();
    if (errno == EINTR) continue;
    // Nothing has moved yet, so both offsets are intact and the plain loop
    // can take over; after a partial copy an error is a real error.
    const bool unsupported = errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
                             errno == EOPNOTSUPP || errno == EBADF;
    if (unsupported && !copied_any) return CopyByReadWrite(in, in_path, out, out_path);
    return ErrnoStatus(errno, "copy " + in_path + " to", out_path);
  }
}

Result<std::string> ReadLocalFile(const std::string& path) {
  ScopedFd fd(OpenRetrying(path, O_RDONLY));
  if (!fd.valid()) return ErrnoStatus(errno, "open for reading", path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "stat", path);
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  std::vector<char> buf(kCopyChunk);
  while (true) {
    const ssize_t n = ReadRetrying(fd.get(), buf.data(), buf.size());
    if (n < 0) return ErrnoStatus(errno, "read", path);
    if (n == 0) return out;
    out.append(buf.data(), static_cast<size_t>(n));
  }
}

Status WriteLocalFile(const std::string& path, std::string_view data) {
  ScopedFd fd(OpenRetrying(path, O_WRONLY | O_CREAT | O_TRUNC));
  if (!fd.valid()) return ErrnoStatus(errno, "open for writing", path);
  SHARDY_RETURN_IF_ERROR(WriteAll(fd.get(), data, path));
  if (::close(fd.release()) != 0) return ErrnoStatus(errno, "close", path);
  return Status::OK();
}

Status SyncPath(const std::string& path) {
  ScopedFd fd(OpenRetrying(path, O_RDONLY));
  if (!fd.valid()) return ErrnoStatus(errno, "open for fsync", path);
  if (::fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync", path);
  return Status::OK();
}

int FileLock::Open(const std::string& path, bool create, int mode) {
  fd_ = ScopedFd(OpenRetrying(path, O_RDWR | (create ? O_CREAT : 0), mode));
  return fd_.valid() ? 0 : errno;
}

int FileLock::Lock() {
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int FileLock::TryLock() {
  while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

bool IsTempFileName(std::string_view name) {
  return name.starts_with('.') && name.find(kTempMarker) != std::string_view::npos;
}

PendingFile::PendingFile(std::string path, std::string temp, ScopedFd fd, bool linked,
                         const PendingFileOptions& options)
    : path_(std::move(path)),
      temp_(std::move(temp)),
      fd_(std::move(fd)),
      linked_(linked),
      sync_file_(options.sync_file),
      sync_dir_(options.sync_dir),
      error_code_(options.error_code) {}

PendingFile::PendingFile(PendingFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::exchange(other.temp_, std::string())),
      fd_(std::move(other.fd_)),
      linked_(other.linked_),
      synced_(other.synced_),
      sync_file_(other.sync_file_),
      sync_dir_(other.sync_dir_),
      error_code_(other.error_code_) {}

PendingFile::~PendingFile() {
  fd_.reset();
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

Result<PendingFile> PendingFile::Create(const std::string& path,
                                        const PendingFileOptions& options) {
  const size_t slash = path.rfind('/');
  const std::string dir_part = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1);
  // The pid keeps forked writers apart even if they inherited one random
  // generator state; O_EXCL plus a retry covers any remaining collision.
  const std::string stem = dir_part + "." + name.substr(0, kMaxNameInTemp) +
                           std::string(kTempMarker) + std::to_string(::getpid()) + ".";
  std::string temp;
  for (int attempt = 0; !options.link_from.empty() && attempt < kTempNameAttempts; ++attempt) {
    temp = stem + NewUuid4Hex().substr(0, 16);
    if (::link(options.link_from.c_str(), temp.c_str()) == 0) {
      ScopedFd fd(OpenRetrying(temp, O_WRONLY));
      if (!fd.valid()) {
        const int err = errno;
        ::unlink(temp.c_str());
        return Recode(ErrnoStatus(err, "open linked temp file", temp), options.error_code);
      }
      return PendingFile(path, temp, std::move(fd), /*linked=*/true, options);
    }
    if (errno != EEXIST) break;  // cannot link here: an empty file instead
  }
  ScopedFd fd;
  for (int attempt = 0; attempt < kTempNameAttempts && !fd.valid(); ++attempt) {
    temp = stem + NewUuid4Hex().substr(0, 16);
    fd = ScopedFd(OpenRetrying(temp, O_WRONLY | O_CREAT | O_EXCL, options.mode));
    if (!fd.valid() && errno != EEXIST) break;
  }
  if (!fd.valid()) return Recode(ErrnoStatus(errno, "create temp file", temp), options.error_code);
  return PendingFile(path, temp, std::move(fd), /*linked=*/false, options);
}

Status PendingFile::Close() {
  if (fd_.valid() && ::close(fd_.release()) != 0) {
    return Recode(ErrnoStatus(errno, "close", temp_), error_code_);
  }
  return Status::OK();
}

Status PendingFile::Sync() {
  if (synced_) return Status::OK();
  if (fd_.valid()) {
    if (sync_file_ && ::fsync(fd_.get()) != 0)
      return Recode(ErrnoStatus(errno, "fsync", temp_), error_code_);
    SHARDY_RETURN_IF_ERROR(Close());
  } else if (sync_file_) {
    SHARDY_RETURN_IF_ERROR(Recode(SyncPath(temp_), error_code_));
  }
  synced_ = true;
  return Status::OK();
}

Status PendingFile::Commit() {
  if (temp_.empty()) {
    return Status(ErrorCode::kInternal, "PendingFile for " + path_ + " committed twice");
  }
  SHARDY_RETURN_IF_ERROR(Sync());
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    return Recode(ErrnoStatus(errno, "rename " + temp_ + " to", path_), error_code_);
  }
  temp_.clear();
  if (!sync_dir_) return Status::OK();
  const size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path_.substr(0, slash);
  return Recode(SyncPath(dir), error_code_);
}

Status WriteFileAtomically(const std::string& path, std::string_view data,
                           const PendingFileOptions& options) {
  SHARDY_ASSIGN_OR_RETURN(PendingFile pending, PendingFile::Create(path, options));
  SHARDY_RETURN_IF_ERROR(
      Recode(WriteAll(pending.fd(), data, pending.temp_path()), options.error_code));
  return pending.Commit();
}

Result<bool> DownloadToFile(ObjectStore& store, std::string_view key, const std::string& path,
                            const DownloadOptions& options) {
  PendingFileOptions file_options = options.file;
  file_options.link_from.clear();  // the store writes into the temp file
  SHARDY_ASSIGN_OR_RETURN(PendingFile pending, PendingFile::Create(path, file_options));
  // The store writes the temp file by its path (it may even replace it by
  // rename, as S3Store does), so nothing here keeps a descriptor on it.
  SHARDY_RETURN_IF_ERROR(pending.Close());
  SHARDY_ASSIGN_OR_RETURN(bool found, store.GetToFile(key, pending.temp_path()));
  if (!found) return false;
  if (options.check) SHARDY_RETURN_IF_ERROR(options.check(pending.temp_path()));
  SHARDY_RETURN_IF_ERROR(pending.Commit());
  return true;
}

}  // namespace shardyfusion
