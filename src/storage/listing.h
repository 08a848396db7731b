// Builds ListResults with S3's delimiter semantics, shared by every store
// that enumerates all keys itself (memory, and file for delimiters other
// than "/").
//
// Thread-safety: a ListingBuilder is owned by one thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "shardyfusion/object_store.h"

namespace shardyfusion {

class ListingBuilder {
 public:
  ListingBuilder(std::string_view prefix, std::string_view delimiter)
      : prefix_(prefix), delimiter_(delimiter) {}

  // Adds `info` as an object, or folds it into a common prefix when its key
  // contains the delimiter after the prefix. Keys outside the prefix are
  // ignored. Keys may arrive in any order.
  void Add(ObjectInfo info);
  // Adds a common prefix found without enumerating its keys.
  void AddCommonPrefix(std::string prefix) { result_.common_prefixes.push_back(std::move(prefix)); }

  // Sorted objects and sorted, de-duplicated common prefixes.
  ListResult Finish() &&;

 private:
  std::string prefix_;
  std::string delimiter_;
  ListResult result_;
};

}  // namespace shardyfusion
