// ObjectStore: the only way bytes enter or leave the process.
//
// A store is bound to one namespace of objects (an S3 bucket; for `file://`,
// the local filesystem root) and addresses objects by *key*: a '/'-separated
// path without a leading '/'. `Url(key)` gives the full URL that is written
// into manifests and `_CURRENT` (e.g. "s3://bucket/a/b", "file:///tmp/a/b").
//
// Semantics every implementation provides:
//  - Put is atomic: a concurrent Get sees the old object or the new one,
//    never a torn write.
//  - PutCondition::kIfAbsent fails with kPreconditionFailed if the key exists;
//    kIfMatch fails with kPreconditionFailed unless the current ETag equals
//    `if_match` (used for compare-and-swap of `_CURRENT`).
//  - A missing object is not an error: Get/Head return std::nullopt.
//  - List returns every object whose key starts with `prefix`; with a
//    delimiter, keys containing the delimiter after the prefix are folded
//    into `common_prefixes` (ending with the delimiter), as S3 does.
//    Results are sorted by key. Pagination is hidden.
//  - Delete of a missing key succeeds.
//
// Thread-safety: implementations are safe for concurrent use by many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/status.h"

namespace shardyfusion {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // opaque; compare only for equality
};

struct ListResult {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
};

enum class PutCondition { kNone, kIfAbsent, kIfMatch };

struct PutOptions {
  std::string content_type = "application/octet-stream";
  PutCondition condition = PutCondition::kNone;
  std::string if_match;  // the expected ETag for kIfMatch
  // PutFile only: the caller will delete the source file after the call and
  // never modify it, so a store may take the file over instead of copying
  // it (a local directory hard-links it when both are on one filesystem).
  bool source_disposable = false;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // The full URL of `key` in this store.
  virtual std::string Url(std::string_view key) const = 0;

  // Writes `data` as the object `key`. Returns the new ETag.
  virtual Result<std::string> Put(std::string_view key, std::string_view data,
                                  const PutOptions& options) = 0;
  // Writes the contents of the local file `path` as the object `key`,
  // streaming it (the file is never held in memory whole). Returns the ETag.
  virtual Result<std::string> PutFile(std::string_view key, const std::string& path,
                                      const PutOptions& options) = 0;

  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  // Writes the object to the local file `path` (created or truncated).
  // Returns false if the object does not exist.
  virtual Result<bool> GetToFile(std::string_view key, const std::string& path) = 0;
  // Bytes [offset, offset+length) of the object, shorter at the end of the
  // object. Returns std::nullopt if the object does not exist.
  virtual Result<std::optional<std::string>> GetRange(std::string_view key, uint64_t offset,
                                                      uint64_t length) = 0;
  // The last `length` bytes of the object (all of it if shorter), e.g. a
  // file footer. Returns std::nullopt if the object does not exist. The
  // default asks Head for the size, then GetRange; S3 does it in one request.
  virtual Result<std::optional<std::string>> GetSuffix(std::string_view key, uint64_t length);

  virtual Result<std::optional<ObjectInfo>> Head(std::string_view key) = 0;
  virtual Result<ListResult> List(std::string_view prefix, std::string_view delimiter) = 0;
  virtual Status Delete(const std::vector<std::string>& keys) = 0;
};

// A store and a key inside it, as resolved from a URL.
struct StoreLocation {
  std::shared_ptr<ObjectStore> store;
  std::string key;  // no leading or trailing '/'
};

// Resolves a URL or a local path to a store and a key:
//   s3://bucket/prefix                      -> S3, configured from the
//                                              environment (see s3.h)
//   file:///abs/dir or /abs/dir or rel/dir  -> the local filesystem
//   memory://name/key                       -> a process-wide in-memory store
//                                              named `name` (tests, examples)
// Other schemes are a kConfigValidation error naming the URL.
Result<StoreLocation> OpenStoreForUrl(std::string_view url);

// Like OpenStoreForUrl but reuses `store` when `url` belongs to it (its Url("")
// is a prefix of `url`); used to follow manifest refs with the same client.
Result<StoreLocation> ResolveInStore(const std::shared_ptr<ObjectStore>& store,
                                     std::string_view url);

// Joins path parts the way the reference does: strip trailing '/' from the
// base, leading and trailing '/' from each part, skip empty parts, join
// with '/'.
std::string JoinPath(std::string_view base, std::initializer_list<std::string_view> parts);

}  // namespace shardyfusion
