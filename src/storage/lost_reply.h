// Telling a write whose reply was lost from a real conflict. A retried PUT
// can fail (412 for a conditional put, a timeout) although its first attempt
// landed. When the bytes written are unique to this writer (a run id and a
// microsecond timestamp, fresh random ids), finding exactly them in place
// proves the write took effect; anything else is a real failure.
//
// Thread-safety: as the store.
#pragma once

#include <string_view>

#include "shardyfusion/object_store.h"

namespace shardyfusion {

// True if the object at `key` exists and holds exactly `bytes`.
inline bool HoldsExactly(ObjectStore& store, std::string_view key, std::string_view bytes) {
  Result<std::optional<std::string>> now = store.Get(key);
  return now.ok() && now->has_value() && **now == bytes;
}

}  // namespace shardyfusion
