#include "storage/local_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

namespace shardyfusion {

namespace {

constexpr size_t kCopyChunk = 1 << 20;

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

}  // namespace shardyfusion
