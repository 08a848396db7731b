// The input of the "db" fuzz target: three objects, each a u32 big-endian
// length and its bytes, the last taking the rest of the input (a length
// beyond the input takes what there is):
//   manifest  stored as manifest/00000000000000000001.manifest
//   sst       stored under every compacted/<ULID>.sst the manifest names
//   wal       stored as the first WAL SST to replay (none if empty)
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backend/slatedb/coding.h"

namespace shardyfusion::slatedb::fuzz {

struct DbFuzzObjects {
  std::string_view manifest;
  std::string_view sst;
  std::string_view wal;
};

inline std::string EncodeDbFuzzInput(const DbFuzzObjects& objects) {
  std::string out;
  PutU32(&out, static_cast<uint32_t>(objects.manifest.size()));
  out.append(objects.manifest);
  PutU32(&out, static_cast<uint32_t>(objects.sst.size()));
  out.append(objects.sst);
  out.append(objects.wal);
  return out;
}

inline DbFuzzObjects DecodeDbFuzzInput(std::string_view in) {
  auto take = [&in]() {
    uint32_t len = 0;
    if (!GetU32(&in, &len)) {
      in = {};
      return std::string_view();
    }
    const std::string_view part = in.substr(0, len);
    in.remove_prefix(part.size());
    return part;
  };
  DbFuzzObjects objects;
  objects.manifest = take();
  objects.sst = take();
  objects.wal = in;
  return objects;
}

}  // namespace shardyfusion::slatedb::fuzz
