#include "storage/memory_store.h"

#include <algorithm>
#include <utility>

#include "core/status_internal.h"
#include "storage/listing.h"
#include "storage/local_file.h"

namespace shardyfusion {

namespace {

Status CheckKey(std::string_view key, std::string_view store_name) {
  if (key.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "empty object key in memory store '" + std::string(store_name) + "'");
  }
  return Status::OK();
}

}  // namespace

MemoryStore::MemoryStore(std::string name) : name_(std::move(name)) {}

std::shared_ptr<MemoryStore> MemoryStore::Named(const std::string& name) {
  static std::mutex* registry_mu = new std::mutex;
  static auto* registry = new std::map<std::string, std::shared_ptr<MemoryStore>>;
  std::lock_guard<std::mutex> lock(*registry_mu);
  auto& slot = (*registry)[name];
  if (!slot) slot = std::make_shared<MemoryStore>(name);
  return slot;
}

std::string MemoryStore::Url(std::string_view key) const {
  return "memory://" + name_ + "/" + std::string(key);
}

Result<std::string> MemoryStore::Put(std::string_view key, std::string_view data,
                                     const PutOptions& options) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key, name_));
  // Copy outside the lock: objects may be large.
  auto bytes = std::make_shared<const std::string>(data);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (options.condition == PutCondition::kIfAbsent && it != objects_.end()) {
    return Status(ErrorCode::kPreconditionFailed,
                  "conditional put (if absent) of " + Url(key) + ": the object already exists");
  }
  if (options.condition == PutCondition::kIfMatch &&
      (it == objects_.end() || it->second.etag != options.if_match)) {
    return Status(ErrorCode::kPreconditionFailed,
                  "conditional put (if match '" + options.if_match + "') of " + Url(key) +
                      (it == objects_.end() ? ": the object does not exist"
                                            : ": its etag is now '" + it->second.etag + "'"));
  }
  std::string etag = "m" + std::to_string(next_etag_++);
  objects_.insert_or_assign(std::string(key), Object{std::move(bytes), etag});
  return etag;
}

Result<std::string> MemoryStore::PutFile(std::string_view key, const std::string& path,
                                         const PutOptions& options) {
  SHARDY_ASSIGN_OR_RETURN(std::string data, ReadLocalFile(path));
  return Put(key, data, options);
}

std::optional<MemoryStore::Object> MemoryStore::Find(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<std::string>> MemoryStore::Get(std::string_view key) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key, name_));
  std::optional<Object> object = Find(key);
  if (!object) return std::optional<std::string>();
  return std::optional<std::string>(*object->data);
}

Result<bool> MemoryStore::GetToFile(std::string_view key, const std::string& path) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key, name_));
  std::optional<Object> object = Find(key);
  if (!object) return false;
  SHARDY_RETURN_IF_ERROR(WriteLocalFile(path, *object->data));
  return true;
}

Result<std::optional<std::string>> MemoryStore::GetRange(std::string_view key, uint64_t offset,
                                                         uint64_t length) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key, name_));
  std::optional<Object> object = Find(key);
  if (!object) return std::optional<std::string>();
  const std::string& data = *object->data;
  if (offset >= data.size()) return std::optional<std::string>(std::string());
  const uint64_t n = std::min<uint64_t>(length, data.size() - offset);
  return std::optional<std::string>(data.substr(offset, n));
}

Result<std::optional<ObjectInfo>> MemoryStore::Head(std::string_view key) {
  SHARDY_RETURN_IF_ERROR(CheckKey(key, name_));
  std::optional<Object> object = Find(key);
  if (!object) return std::optional<ObjectInfo>();
  return std::optional<ObjectInfo>(
      ObjectInfo{std::string(key), object->data->size(), object->etag});
}

Result<ListResult> MemoryStore::List(std::string_view prefix, std::string_view delimiter) {
  ListingBuilder builder(prefix, delimiter);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (!std::string_view(it->first).starts_with(prefix)) break;
    builder.Add(ObjectInfo{it->first, it->second.data->size(), it->second.etag});
  }
  return std::move(builder).Finish();
}

Status MemoryStore::Delete(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) SHARDY_RETURN_IF_ERROR(CheckKey(key, name_));
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : keys) objects_.erase(key);
  return Status::OK();
}

}  // namespace shardyfusion
