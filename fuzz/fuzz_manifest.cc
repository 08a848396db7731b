// Fuzz target: DecodeManifest on any bytes. A manifest that decodes must
// encode back (as V1) into one that decodes to the same SSTs.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/slatedb/manifest.h"
#include "fuzz/fuzz_check.h"

namespace shardyfusion::slatedb {
namespace {

bool SameHandles(const std::vector<SstHandle>& a, const std::vector<SstHandle>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i].id == b[i].id) || a[i].info.first_entry != b[i].info.first_entry ||
        a[i].info.last_entry != b[i].info.last_entry ||
        a[i].info.index_offset != b[i].info.index_offset ||
        a[i].format_version != b[i].format_version ||
        a[i].visible_range.has_value() != b[i].visible_range.has_value()) {
      return false;
    }
  }
  return true;
}

void Run(std::string_view bytes) {
  const std::string what = "manifest memory://fuzz/m";
  Result<DbManifest> m = DecodeManifest(bytes, what);
  if (!m.ok()) {
    fuzz::CheckDecodeError(m.status(), what);
    return;
  }
  FUZZ_CHECK(m->version == 1 || m->version == 2);
  Result<DbManifest> again = DecodeManifest(EncodeManifestV1(*m), what);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->version == 1);
  FUZZ_CHECK(again->replay_after_wal_id == m->replay_after_wal_id);
  FUZZ_CHECK(again->last_l0_seq == m->last_l0_seq);
  FUZZ_CHECK(SameHandles(again->l0, m->l0));
  FUZZ_CHECK(again->compacted.size() == m->compacted.size());
  for (size_t i = 0; i < m->compacted.size(); ++i) {
    FUZZ_CHECK(again->compacted[i].id == m->compacted[i].id);
    FUZZ_CHECK(SameHandles(again->compacted[i].ssts, m->compacted[i].ssts));
  }
}

}  // namespace
}  // namespace shardyfusion::slatedb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::slatedb::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
