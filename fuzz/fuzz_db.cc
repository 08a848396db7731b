// Fuzz target: a whole database. The input holds a manifest, an SST and a
// WAL SST (layout: db_input.h). They are stored in a MemoryStore as the
// database's only manifest, as every compacted/<ULID>.sst that manifest
// names, and as the first WAL object to replay (the SSTs with their CRCs
// recomputed, so that mutations reach the decoders behind them). Then
// DbReader::Open and Get of the keys the manifest mentions and a few more.
//
// Invariant: every error is a kDbAdapter error naming the database.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backend/slatedb/db_reader.h"
#include "fuzz/db_input.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/sst_sections.h"
#include "storage/memory_store.h"

namespace shardyfusion::slatedb {
namespace {

// A hostile manifest may name any number of SSTs; a few are enough.
constexpr size_t kMaxSstObjects = 8;
constexpr size_t kMaxKeysToGet = 16;

void Run(std::string_view input) {
  const fuzz::DbFuzzObjects objects = fuzz::DecodeDbFuzzInput(input);
  auto store = std::make_shared<MemoryStore>("fuzz");
  const std::string root = "db";
  const std::string db_url = store->Url(root);
  FUZZ_CHECK(store->Put(root + "/" + ManifestName(1), objects.manifest, PutOptions()).ok());

  std::vector<std::string> keys = {std::string(), "key000100", std::string("\xff\xff", 2)};
  Result<DbManifest> manifest = DecodeManifest(objects.manifest, "manifest");
  if (manifest.ok()) {
    const std::string sst = fuzz::WithRepairedChecksums(objects.sst);
    std::set<std::string> names;
    auto add = [&](const SstHandle& h) {
      if (names.size() < kMaxSstObjects) names.insert(CompactedName(h.id));
      if (keys.size() < kMaxKeysToGet) keys.push_back(h.info.first_entry);
      if (keys.size() < kMaxKeysToGet && h.info.last_entry) keys.push_back(*h.info.last_entry);
    };
    for (const SstHandle& h : manifest->l0) add(h);
    for (const SortedRunMeta& run : manifest->compacted) {
      for (const SstHandle& h : run.ssts) add(h);
    }
    for (const std::string& name : names) {
      FUZZ_CHECK(store->Put(root + "/" + name, sst, PutOptions()).ok());
    }
    if (!objects.wal.empty() && manifest->replay_after_wal_id < UINT64_MAX) {
      const std::string wal = fuzz::WithRepairedChecksums(objects.wal);
      FUZZ_CHECK(
          store->Put(root + "/" + WalName(manifest->replay_after_wal_id + 1), wal, PutOptions())
              .ok());
    }
  }

  Result<std::unique_ptr<DbReader>> db = DbReader::Open(store, root);
  if (!db.ok()) {
    fuzz::CheckDecodeError(db.status(), db_url);
    return;
  }
  for (const std::string& key : keys) {
    Result<std::optional<std::string>> value = (*db)->Get(key);
    if (!value.ok()) fuzz::CheckDecodeError(value.status(), db_url);
  }
}

}  // namespace
}  // namespace shardyfusion::slatedb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::slatedb::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
