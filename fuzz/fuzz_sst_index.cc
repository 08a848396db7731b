// Fuzz target: DecodeSstIndex on any bytes. An index that decodes encodes
// back to one that decodes to the same blocks.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "backend/slatedb/manifest.h"
#include "fuzz/fuzz_check.h"

namespace shardyfusion::slatedb {
namespace {

void Run(std::string_view bytes) {
  const std::string what = "SST memory://fuzz/x.sst";
  Result<std::vector<BlockMeta>> index = DecodeSstIndex(bytes, what);
  if (!index.ok()) {
    fuzz::CheckDecodeError(index.status(), what);
    return;
  }
  Result<std::vector<BlockMeta>> again = DecodeSstIndex(EncodeSstIndex(*index), what);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->size() == index->size());
  for (size_t i = 0; i < index->size(); ++i) {
    FUZZ_CHECK((*again)[i].offset == (*index)[i].offset);
    FUZZ_CHECK((*again)[i].first_key == (*index)[i].first_key);
  }
}

}  // namespace
}  // namespace shardyfusion::slatedb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::slatedb::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
