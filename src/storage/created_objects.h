// CreatedObjectsStore: an ObjectStore wrapper that remembers the objects
// created through it, so that a writer cleans up after itself by deleting
// exactly what it wrote, never by listing a prefix that another run (or a
// published snapshot) may own.
//
// Which objects count as created by this wrapper:
//  - a Put/PutFile that succeeded;
//  - a plain (unconditional) Put/PutFile that failed: its outcome is unknown
//    (a reply lost after the write landed, lost_reply.h), and whatever is at
//    the key now was put there by this call or by nobody;
//  - never a conditional Put/PutFile that failed: kPreconditionFailed means
//    the object belongs to someone else, and after another failure it may.
// A successful Delete through the wrapper forgets the keys it deleted.
// Reads and listings pass through untouched.
//
// Thread-safety: safe for concurrent use, like every ObjectStore; the record
// is guarded by a mutex that is not held while the wrapped store runs.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/object_store.h"

namespace shardyfusion {

class CreatedObjectsStore : public ObjectStore {
 public:
  explicit CreatedObjectsStore(std::shared_ptr<ObjectStore> inner);

  // The keys created through this wrapper and not deleted since, sorted.
  std::vector<std::string> created() const;
  // Counts `keys` as created here (an attempt resumed from a checkpoint
  // takes over what the process before it created).
  void Adopt(const std::vector<std::string>& keys);

  std::string Url(std::string_view key) const override;
  Result<std::string> Put(std::string_view key, std::string_view data,
                          const PutOptions& options) override;
  Result<std::string> PutFile(std::string_view key, const std::string& path,
                              const PutOptions& options) override;
  Result<std::optional<std::string>> Get(std::string_view key) override;
  Result<bool> GetToFile(std::string_view key, const std::string& path) override;
  Result<std::optional<std::string>> GetRange(std::string_view key, uint64_t offset,
                                              uint64_t length) override;
  Result<std::optional<std::string>> GetSuffix(std::string_view key, uint64_t length) override;
  Result<std::optional<ObjectInfo>> Head(std::string_view key) override;
  Result<ListResult> List(std::string_view prefix, std::string_view delimiter) override;
  Status Delete(const std::vector<std::string>& keys) override;

 private:
  void Note(std::string_view key, const PutOptions& options, const Status& outcome);

  const std::shared_ptr<ObjectStore> inner_;
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> created_;
};

// Deletes `keys` from `store`, best effort: a failure is logged as
// `what`_failed, never returned. Returns the number of keys deleted.
int64_t DeleteBestEffort(ObjectStore& store, const std::vector<std::string>& keys,
                         std::string_view what);

}  // namespace shardyfusion
