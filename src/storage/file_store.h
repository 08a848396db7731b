// FileStore: the `file://` ObjectStore, rooted at the filesystem root. The
// key "tmp/x/y" is the file "/tmp/x/y" and its URL is "file:///tmp/x/y".
//
// Every write goes to a hidden temp file in the destination directory
// (".<name>.shardy-tmp.<pid>.<random>"), is fsynced, and is renamed over the
// target, so readers never see a torn object. Renames (and deletes) happen
// under an flock() on a hidden ".shardy-lock" file in the same directory,
// which makes conditional puts atomic against other threads and other
// processes. List never returns temp or lock files, and keys whose segments
// look like them are rejected.
//
// The ETag is "<inode>-<size>-<mtime ns>" in hex; each Put writes a new inode
// and stamps a nanosecond mtime, so it changes on every Put without hashing
// content.
//
// A directory cannot also be an object, so unlike S3 a file store cannot hold
// both "k" and "k/x". Directories are created as needed and never removed.
//
// Thread-safety: stateless; safe for concurrent use.
#pragma once

#include <string>

#include "shardyfusion/object_store.h"

namespace shardyfusion {

class FileStore : public ObjectStore {
 public:
  // The process-wide instance (the store holds no state).
  static std::shared_ptr<FileStore> Shared();

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

  // True for names the store uses internally (temp and lock files).
  static bool IsReservedName(std::string_view name);
};

}  // namespace shardyfusion
