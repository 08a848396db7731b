// MemoryStore: an ObjectStore kept in a std::map, for tests and examples
// (URLs "memory://<name>/<key>"). It has the full ObjectStore semantics,
// including conditional puts, ranged gets and delimiter listing. ETags come
// from a per-store counter, so every Put yields a new one.
//
// Named(name) returns the process-wide store of that name, created on first
// use and never destroyed, so that two OpenStoreForUrl("memory://n/...")
// calls see the same objects.
//
// Thread-safety: safe for concurrent use; one mutex guards the map.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "shardyfusion/object_store.h"

namespace shardyfusion {

class MemoryStore : public ObjectStore {
 public:
  explicit MemoryStore(std::string name);

  // The shared store registered under `name`.
  static std::shared_ptr<MemoryStore> Named(const std::string& name);

  const std::string& name() const { return name_; }

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

 private:
  struct Object {
    // Shared so that readers can copy bytes out after releasing the lock.
    std::shared_ptr<const std::string> data;
    std::string etag;
  };

  // A copy of the entry at `key` (sharing its bytes), taken under the lock.
  std::optional<Object> Find(std::string_view key);

  const std::string name_;
  std::mutex mu_;
  std::map<std::string, Object, std::less<>> objects_;  // guarded by mu_
  uint64_t next_etag_ = 1;                              // guarded by mu_
};

}  // namespace shardyfusion
