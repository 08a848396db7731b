#include "storage/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <functional>

#include "core/status_internal.h"
#include "storage/listing.h"
#include "storage/local_file.h"

namespace shardyfusion {

namespace {

constexpr std::string_view kLockName = ".shardy-lock";

// Checks the '/'-separated segments of `path` (a key, or the directory part
// of a list prefix): no empty, "." or ".." segments, no reserved names.
Status CheckSegments(std::string_view path, std::string_view what) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view seg = path.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == ".." || FileStore::IsReservedName(seg) ||
        seg.find('\0') != std::string_view::npos) {
      return Status(ErrorCode::kInvalidArgument,
                    "invalid " + std::string(what) + " '" + std::string(path) +
                        "' for a file:// store: segments must be non-empty, not '.' or '..', "
                        "and not named like the store's temp or lock files");
    }
    start = end + 1;
  }
  return Status::OK();
}

Status CheckKey(std::string_view key) { return CheckSegments(key, "object key"); }

std::string PathOf(std::string_view key) { return "/" + std::string(key); }

// "/a/b/c" -> "/a/b"; "/c" -> "/".
std::string ParentOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string JoinDir(const std::string& dir, std::string_view name) {
  std::string out = dir;
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string EtagOf(const struct stat& st) {
  const uint64_t mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                            static_cast<uint64_t>(st.st_mtim.tv_nsec);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%" PRIx64 "-%" PRIx64 "-%" PRIx64,
                static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size), mtime_ns);
  return buf;
}

// mkdir -p; concurrent creators are fine.
Status MakeDirs(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::OK();
    return ErrnoStatus(ENOTDIR, "create directory", dir);
  }
  if (dir != "/") SHARDY_RETURN_IF_ERROR(MakeDirs(ParentOf(dir)));
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, "create directory", dir);
  }
  return Status::OK();
}

// Takes the exclusive lock of `dir` (its ".shardy-lock" file; FileLock), held
// until `lock` is released. Returns 0, or the errno (ENOENT when the
// directory does not exist).
int LockDir(const std::string& dir, FileLock* lock) {
  if (const int err = lock->Open(JoinDir(dir, kLockName)); err != 0) return err;
  return lock->Lock();
}

// REQUIRES: the directory lock of `path` is held.
Status CheckCondition(std::string_view key, const std::string& path, const PutOptions& options) {
  if (options.condition == PutCondition::kNone) return Status::OK();
  struct stat st;
  bool exists = false;
  if (::stat(path.c_str(), &st) == 0) {
    exists = S_ISREG(st.st_mode);
  } else if (errno != ENOENT) {
    return ErrnoStatus(errno, "stat", path);
  }
  const std::string url = "file:///" + std::string(key);
  if (options.condition == PutCondition::kIfAbsent && exists) {
    return Status(ErrorCode::kPreconditionFailed,
                  "conditional put (if absent) of " + url + ": the object already exists");
  }
  if (options.condition == PutCondition::kIfMatch) {
    if (!exists) {
      return Status(ErrorCode::kPreconditionFailed, "conditional put (if match '" +
                                                        options.if_match + "') of " + url +
                                                        ": the object does not exist");
    }
    const std::string etag = EtagOf(st);
    if (etag != options.if_match) {
      return Status(ErrorCode::kPreconditionFailed, "conditional put (if match '" +
                                                        options.if_match + "') of " + url +
                                                        ": its etag is now '" + etag + "'");
    }
  }
  return Status::OK();
}

// Writes a PendingFile with `fill`, makes it durable, then renames it over
// the object under the directory lock if `options` allow. Returns the ETag.
// With `link_from`, the temp file is first tried as a hard link to that file
// (no copy); `fill` is the fallback where linking is impossible (another
// filesystem, or one without hard links).
Result<std::string> WriteObject(std::string_view key, const PutOptions& options,
                                const std::function<Status(int, const std::string&)>& fill,
                                const std::string* link_from = nullptr) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key));
  const std::string path = PathOf(key);
  const std::string dir = ParentOf(path);
  SHARDY_RETURN_IF_ERROR(MakeDirs(dir));

  PendingFileOptions file_options;
  if (link_from != nullptr) file_options.link_from = *link_from;
  SHARDY_ASSIGN_OR_RETURN(PendingFile pending, PendingFile::Create(path, file_options));
  const std::string tmp = pending.temp_path();
  if (!pending.linked()) SHARDY_RETURN_IF_ERROR(fill(pending.fd(), tmp));
  // A nanosecond mtime keeps the ETag unique even when the filesystem would
  // stamp a coarse one and a later Put reuses the freed inode number.
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  ::clock_gettime(CLOCK_REALTIME, &times[1]);
  if (::futimens(pending.fd(), times) != 0) return ErrnoStatus(errno, "set mtime of", tmp);
  struct stat st;
  if (::fstat(pending.fd(), &st) != 0) return ErrnoStatus(errno, "stat", tmp);
  SHARDY_RETURN_IF_ERROR(pending.Sync());

  {
    FileLock lock;
    if (const int err = LockDir(dir, &lock); err != 0) {
      return ErrnoStatus(err, "lock directory", dir);
    }
    SHARDY_RETURN_IF_ERROR(CheckCondition(key, path, options));
    SHARDY_RETURN_IF_ERROR(pending.Commit());
  }
  // Best effort: the object is already visible to every reader, and failing
  // here would make a conditional put that took effect look like it lost.
  (void)SyncPath(dir);
  return EtagOf(st);
}

// Opens the object's file for reading. Returns an invalid fd when there is no
// object at `path` (nothing there, or a directory).
Result<ScopedFd> OpenObject(const std::string& path, struct stat* st) {
  ScopedFd fd(OpenRetrying(path, O_RDONLY));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return ScopedFd();
    return ErrnoStatus(errno, "open for reading", path);
  }
  if (::fstat(fd.get(), st) != 0) return ErrnoStatus(errno, "stat", path);
  if (!S_ISREG(st->st_mode)) return ScopedFd();
  return fd;
}

// Reads up to `length` bytes at `offset`, fewer at end of file.
Result<std::string> ReadAt(int fd, const std::string& path, uint64_t offset, uint64_t length) {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, out.data() + done, length - done, offset + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

enum class EntryKind { kObject, kDirectory };

struct DirEntry {
  std::string name;
  EntryKind kind;
  struct stat st;
};

// The visible entries of the directory at `dir_key` ("" is the root; else it
// ends with '/'). Missing directories are empty. Symlinks to files count as
// objects; symlinks to directories are not followed, to avoid cycles.
Result<std::vector<DirEntry>> ReadDir(const std::string& dir_key) {
  const std::string path = PathOf(dir_key);
  std::vector<DirEntry> entries;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return entries;
    return ErrnoStatus(errno, "list directory", path);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, &::closedir);
  while (true) {
    errno = 0;
    const struct dirent* ent = ::readdir(dir);
    if (ent == nullptr) {
      if (errno != 0) return ErrnoStatus(errno, "list directory", path);
      return entries;
    }
    const std::string_view name = ent->d_name;
    if (name == "." || name == ".." || FileStore::IsReservedName(name)) continue;
    DirEntry entry{std::string(name), EntryKind::kObject, {}};
    if (::fstatat(::dirfd(dir), ent->d_name, &entry.st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // deleted since readdir
      return ErrnoStatus(errno, "stat", JoinDir(path, name));
    }
    if (S_ISDIR(entry.st.st_mode)) {
      entry.kind = EntryKind::kDirectory;
    } else if (S_ISLNK(entry.st.st_mode)) {
      if (::fstatat(::dirfd(dir), ent->d_name, &entry.st, 0) != 0) continue;  // dangling
      if (!S_ISREG(entry.st.st_mode)) continue;
    } else if (!S_ISREG(entry.st.st_mode)) {
      continue;
    }
    entries.push_back(std::move(entry));
  }
}

// Whether any object lives under `dir_key`; a delimiter listing must not
// report a common prefix for a directory holding only temp or lock files.
Result<bool> HasObjects(const std::string& dir_key) {
  SHARDY_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, ReadDir(dir_key));
  for (const DirEntry& e : entries) {
    if (e.kind == EntryKind::kObject) return true;
  }
  for (const DirEntry& e : entries) {
    SHARDY_ASSIGN_OR_RETURN(bool found, HasObjects(dir_key + e.name + "/"));
    if (found) return true;
  }
  return false;
}

// Adds every object under `dir_key` matching `prefix`, visiting only the
// directories that can hold such keys.
Status Walk(const std::string& dir_key, std::string_view prefix, ListingBuilder* builder) {
  SHARDY_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, ReadDir(dir_key));
  for (const DirEntry& e : entries) {
    const std::string key = dir_key + e.name;
    if (e.kind == EntryKind::kObject) {
      builder->Add(ObjectInfo{key, static_cast<uint64_t>(e.st.st_size), EtagOf(e.st)});
      continue;
    }
    const std::string child = key + "/";
    if (child.starts_with(prefix) || prefix.starts_with(child)) {
      SHARDY_RETURN_IF_ERROR(Walk(child, prefix, builder));
    }
  }
  return Status::OK();
}

}  // namespace

std::shared_ptr<FileStore> FileStore::Shared() {
  static auto* store = new std::shared_ptr<FileStore>(std::make_shared<FileStore>());
  return *store;
}

bool FileStore::IsReservedName(std::string_view name) {
  return name == kLockName || IsTempFileName(name);
}

std::string FileStore::Url(std::string_view key) const { return "file:///" + std::string(key); }

Result<std::string> FileStore::Put(std::string_view key, std::string_view data,
                                   const PutOptions& options) {
  return WriteObject(key, options,
                     [data](int fd, const std::string& tmp) { return WriteAll(fd, data, tmp); });
}

Result<std::string> FileStore::PutFile(std::string_view key, const std::string& path,
                                       const PutOptions& options) {
  ScopedFd in(OpenRetrying(path, O_RDONLY));
  if (!in.valid()) {
    if (errno == ENOENT) {
      return Status(ErrorCode::kInvalidArgument, "cannot upload " + path + " to " + Url(key) +
                                                     ": the local file does not exist");
    }
    return ErrnoStatus(errno, "open for reading", path);
  }
  return WriteObject(
      key, options,
      [&in, &path](int fd, const std::string& tmp) { return CopyFd(in.get(), path, fd, tmp); },
      options.source_disposable ? &path : nullptr);
}

Result<std::optional<std::string>> FileStore::Get(std::string_view key) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key));
  const std::string path = PathOf(key);
  struct stat st;
  SHARDY_ASSIGN_OR_RETURN(ScopedFd fd, OpenObject(path, &st));
  if (!fd.valid()) return std::optional<std::string>();
  // Objects are replaced by rename, never rewritten, so the size is stable.
  SHARDY_ASSIGN_OR_RETURN(std::string data,
                          ReadAt(fd.get(), path, 0, static_cast<uint64_t>(st.st_size)));
  return std::optional<std::string>(std::move(data));
}

Result<bool> FileStore::GetToFile(std::string_view key, const std::string& path) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key));
  const std::string src = PathOf(key);
  struct stat st;
  SHARDY_ASSIGN_OR_RETURN(ScopedFd in, OpenObject(src, &st));
  if (!in.valid()) return false;
  ScopedFd out(OpenRetrying(path, O_WRONLY | O_CREAT | O_TRUNC));
  if (!out.valid()) return ErrnoStatus(errno, "open for writing", path);
  SHARDY_RETURN_IF_ERROR(CopyFd(in.get(), src, out.get(), path));
  if (::close(out.release()) != 0) return ErrnoStatus(errno, "close", path);
  return true;
}

Result<std::optional<std::string>> FileStore::GetRange(std::string_view key, uint64_t offset,
                                                       uint64_t length) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key));
  const std::string path = PathOf(key);
  struct stat st;
  SHARDY_ASSIGN_OR_RETURN(ScopedFd fd, OpenObject(path, &st));
  if (!fd.valid()) return std::optional<std::string>();
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset >= size) return std::optional<std::string>(std::string());
  SHARDY_ASSIGN_OR_RETURN(std::string data,
                          ReadAt(fd.get(), path, offset, std::min(length, size - offset)));
  return std::optional<std::string>(std::move(data));
}

Result<std::optional<ObjectInfo>> FileStore::Head(std::string_view key) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key));
  const std::string path = PathOf(key);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<ObjectInfo>();
    return ErrnoStatus(errno, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) return std::optional<ObjectInfo>();
  return std::optional<ObjectInfo>(
      ObjectInfo{std::string(key), static_cast<uint64_t>(st.st_size), EtagOf(st)});
}

Result<ListResult> FileStore::List(std::string_view prefix, std::string_view delimiter) {
  const size_t slash = prefix.rfind('/');
  const std::string dir_key(slash == std::string_view::npos ? "" : prefix.substr(0, slash + 1));
  if (!dir_key.empty()) {
    SHARDY_RETURN_IF_ERROR(
        CheckSegments(std::string_view(dir_key).substr(0, dir_key.size() - 1), "list prefix"));
  }
  ListingBuilder builder(prefix, delimiter);
  if (delimiter != "/") {
    SHARDY_RETURN_IF_ERROR(Walk(dir_key, prefix, &builder));
    return std::move(builder).Finish();
  }
  // With "/" only the prefix's own directory is read; each subdirectory
  // becomes one common prefix if it holds an object at all.
  SHARDY_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, ReadDir(dir_key));
  for (const DirEntry& e : entries) {
    const std::string key = dir_key + e.name;
    if (!std::string_view(key).starts_with(prefix)) continue;
    if (e.kind == EntryKind::kObject) {
      builder.Add(ObjectInfo{key, static_cast<uint64_t>(e.st.st_size), EtagOf(e.st)});
      continue;
    }
    SHARDY_ASSIGN_OR_RETURN(bool has_objects, HasObjects(key + "/"));
    if (has_objects) builder.AddCommonPrefix(key + "/");
  }
  return std::move(builder).Finish();
}

Status FileStore::Delete(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) SHARDY_RETURN_IF_ERROR(CheckKey(key));
  Status first_error;
  for (const std::string& key : keys) {
    const std::string path = PathOf(key);
    const std::string dir = ParentOf(path);
    FileLock lock;
    if (const int err = LockDir(dir, &lock); err != 0) {
      if (err == ENOENT || err == ENOTDIR) continue;  // no directory, no object
      if (first_error.ok()) first_error = ErrnoStatus(err, "lock directory", dir);
      continue;
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != EISDIR && first_error.ok()) {
      first_error = ErrnoStatus(errno, "delete", path);
    }
  }
  return first_error;
}

}  // namespace shardyfusion
