// Fuzz target: a whole SST. The input is stored as an object of a
// MemoryStore, once as it is and once with every CRC recomputed (so that
// mutations reach the index, filter and block decoders); each copy goes
// through SstReader::Open, ForEachRow and Get of a few keys, and the
// repaired copy once more with V1 blocks (as a manifest entry may say).
//
// Invariants: every error is a kDbAdapter error naming the object; a row
// Get returns has the key asked for and a seq within the bound; the rows of
// ForEachRow have valid flags.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/slatedb/sst_reader.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/sst_sections.h"
#include "storage/memory_store.h"

namespace shardyfusion::slatedb {
namespace {

constexpr size_t kMaxKeysToGet = 8;

void CheckGet(SstReader& sst, std::string_view key, uint64_t max_seq) {
  Result<std::optional<Row>> row = sst.Get(key, max_seq);
  if (!row.ok()) {
    fuzz::CheckDecodeError(row.status(), sst.url());
    return;
  }
  if (!row->has_value()) return;
  FUZZ_CHECK((*row)->key == key);
  FUZZ_CHECK((*row)->seq <= max_seq);
  FUZZ_CHECK(CheckRowFlags((*row)->flags).ok());
}

void ReadSst(std::string_view bytes, uint16_t block_format) {
  auto store = std::make_shared<MemoryStore>("fuzz");
  const std::string key = "db/compacted/01M888B16MZVJAD3VMFJY7FZB5.sst";
  FUZZ_CHECK(store->Put(key, bytes, PutOptions()).ok());
  const std::string url = store->Url(key);

  Result<std::unique_ptr<SstReader>> opened = SstReader::Open(store, key, block_format);
  if (!opened.ok()) {
    fuzz::CheckDecodeError(opened.status(), url);
    return;
  }
  SstReader& sst = **opened;
  FUZZ_CHECK(sst.url() == url);

  std::vector<Row> rows;
  Status scan = sst.ForEachRow([&](const Row& row) {
    FUZZ_CHECK(CheckRowFlags(row.flags).ok());
    rows.push_back(row);
    return Status::OK();
  });
  if (!scan.ok()) fuzz::CheckDecodeError(scan, url);

  std::vector<std::string> keys = {sst.info().first_entry, std::string(), "key000100",
                                   std::string("\xff\xff", 2)};
  if (sst.info().last_entry) keys.push_back(*sst.info().last_entry);
  for (size_t i = 0; i < rows.size() && keys.size() < kMaxKeysToGet + 5;
       i += 1 + rows.size() / kMaxKeysToGet) {
    keys.push_back(rows[i].key);
  }
  for (const std::string& k : keys) {
    CheckGet(sst, k, UINT64_MAX);
    CheckGet(sst, k, 1);
  }
}

void Run(std::string_view input) {
  ReadSst(input, 0);
  const std::string repaired = fuzz::WithRepairedChecksums(input);
  if (repaired != input) ReadSst(repaired, 0);
  // The manifest may say V1 blocks whatever the footer says.
  ReadSst(repaired, 1);
}

}  // namespace
}  // namespace shardyfusion::slatedb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::slatedb::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
