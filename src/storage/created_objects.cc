// The store wrapper that records what it created (created_objects.h).
#include "storage/created_objects.h"

#include "core/log.h"

namespace shardyfusion {

CreatedObjectsStore::CreatedObjectsStore(std::shared_ptr<ObjectStore> inner)
    : inner_(std::move(inner)) {}

std::vector<std::string> CreatedObjectsStore::created() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::vector<std::string>(created_.begin(), created_.end());
}

void CreatedObjectsStore::Adopt(const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> lock(mu_);
  created_.insert(keys.begin(), keys.end());
}

void CreatedObjectsStore::Note(std::string_view key, const PutOptions& options,
                               const Status& outcome) {
  if (!outcome.ok() && options.condition != PutCondition::kNone) return;
  std::lock_guard<std::mutex> lock(mu_);
  created_.emplace(key);
}

std::string CreatedObjectsStore::Url(std::string_view key) const { return inner_->Url(key); }

Result<std::string> CreatedObjectsStore::Put(std::string_view key, std::string_view data,
                                             const PutOptions& options) {
  Result<std::string> r = inner_->Put(key, data, options);
  Note(key, options, r.status());
  return r;
}

Result<std::string> CreatedObjectsStore::PutFile(std::string_view key, const std::string& path,
                                                 const PutOptions& options) {
  Result<std::string> r = inner_->PutFile(key, path, options);
  Note(key, options, r.status());
  return r;
}

Result<std::optional<std::string>> CreatedObjectsStore::Get(std::string_view key) {
  return inner_->Get(key);
}

Result<bool> CreatedObjectsStore::GetToFile(std::string_view key, const std::string& path) {
  return inner_->GetToFile(key, path);
}

Result<std::optional<std::string>> CreatedObjectsStore::GetRange(std::string_view key,
                                                                 uint64_t offset, uint64_t length) {
  return inner_->GetRange(key, offset, length);
}

Result<std::optional<std::string>> CreatedObjectsStore::GetSuffix(std::string_view key,
                                                                  uint64_t length) {
  return inner_->GetSuffix(key, length);
}

Result<std::optional<ObjectInfo>> CreatedObjectsStore::Head(std::string_view key) {
  return inner_->Head(key);
}

Result<ListResult> CreatedObjectsStore::List(std::string_view prefix, std::string_view delimiter) {
  return inner_->List(prefix, delimiter);
}

Status CreatedObjectsStore::Delete(const std::vector<std::string>& keys) {
  Status st = inner_->Delete(keys);
  if (st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& k : keys) created_.erase(k);
  }
  return st;
}

int64_t DeleteBestEffort(ObjectStore& store, const std::vector<std::string>& keys,
                         std::string_view what) {
  if (keys.empty()) return 0;
  Status st = store.Delete(keys);
  if (!st.ok()) {
    Log(LogLevel::kWarning, std::string(what) + "_failed: deleting " + std::to_string(keys.size()) +
                                " objects (the first " + store.Url(keys.front()) +
                                "): " + st.ToString());
    return 0;
  }
  return static_cast<int64_t>(keys.size());
}

}  // namespace shardyfusion
