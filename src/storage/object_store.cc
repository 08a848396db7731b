// Default implementations of ObjectStore's optional operations.

#include "shardyfusion/object_store.h"

#include "core/status_internal.h"

namespace shardyfusion {

Result<std::optional<std::string>> ObjectStore::GetSuffix(std::string_view key, uint64_t length) {
  SHARDY_ASSIGN_OR_RETURN(std::optional<ObjectInfo> info, Head(key));
  if (!info) return std::optional<std::string>();
  const uint64_t offset = info->size > length ? info->size - length : 0;
  return GetRange(key, offset, length);
}

}  // namespace shardyfusion
