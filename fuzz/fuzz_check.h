// Invariant checks for the fuzz targets. A failed check prints what broke
// and aborts, which libFuzzer and fuzz_driver both report as a crash (with
// the input saved for replay).
//
// Thread-safety: stateless; the targets are single-threaded.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "shardyfusion/status.h"

#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace shardyfusion::slatedb::fuzz {

// The decoders' contract for untrusted bytes: a kDbAdapter error whose
// message names `object` (empty `object`: any message).
inline void CheckDecodeError(const Status& status, std::string_view object) {
  if (status.code() == ErrorCode::kDbAdapter &&
      status.message().find(object) != std::string::npos) {
    return;
  }
  std::fprintf(stderr, "fuzz invariant failed: error does not name '%.*s' as kDbAdapter: %s\n",
               static_cast<int>(object.size()), object.data(), status.ToString().c_str());
  std::abort();
}

}  // namespace shardyfusion::slatedb::fuzz
