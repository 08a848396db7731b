// Fuzz target: DecodeSstInfo on any bytes. An SsTableInfo that decodes
// encodes back to one that decodes to the same fields.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "backend/slatedb/manifest.h"
#include "fuzz/fuzz_check.h"

namespace shardyfusion::slatedb {
namespace {

bool SameInfo(const SstInfo& a, const SstInfo& b) {
  return a.first_entry == b.first_entry && a.last_entry == b.last_entry &&
         a.index_offset == b.index_offset && a.index_len == b.index_len &&
         a.filter_offset == b.filter_offset && a.filter_len == b.filter_len &&
         a.stats_offset == b.stats_offset && a.stats_len == b.stats_len &&
         a.compression == b.compression && a.sst_type == b.sst_type &&
         a.filter_format == b.filter_format;
}

void Run(std::string_view bytes) {
  const std::string what = "SST memory://fuzz/x.sst";
  Result<SstInfo> info = DecodeSstInfo(bytes, what);
  if (!info.ok()) {
    fuzz::CheckDecodeError(info.status(), what);
    return;
  }
  Result<SstInfo> again = DecodeSstInfo(EncodeSstInfo(*info), what);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(SameInfo(*again, *info));
}

}  // namespace
}  // namespace shardyfusion::slatedb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::slatedb::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
