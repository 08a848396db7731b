// Fuzz target: BlockReader::Open, a walk over every row, ReadAll, and Seek.
// Input: a selector byte, then the block. The selector's low bit picks the
// format version (set: 1, clear: 2); selectors 0xf0..0xff pass 0..15
// instead, to exercise the rejection of unknown versions.
//
// Invariants (what the decoder promises, whatever the bytes):
//  - every row's flags are valid and agree with its timestamps; a
//    tombstone has no value;
//  - the walk and ReadAll agree; a block that walks cleanly seeks cleanly;
//  - a valid Seek(target) lands on a key >= target;
//  - in a block whose keys are in order, Seek finds the first row >= target.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/slatedb/block.h"
#include "fuzz/fuzz_check.h"

namespace shardyfusion::slatedb {
namespace {

constexpr std::string_view kBlockError = "slatedb block";
constexpr size_t kMaxSeekRows = 32;

void CheckRow(const BlockIterator& it) {
  FUZZ_CHECK(CheckRowFlags(it.flags()).ok());
  FUZZ_CHECK(((it.flags() & kRowHasExpireTs) != 0) == it.expire_ts().has_value());
  FUZZ_CHECK(((it.flags() & kRowHasCreateTs) != 0) == it.create_ts().has_value());
  if (it.flags() & kRowTombstone) FUZZ_CHECK(it.value().empty());
}

bool KeysInOrder(const std::vector<Row>& rows) {
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].key < rows[i - 1].key) return false;
  }
  return true;
}

void CheckSeeks(const BlockReader& reader, const std::vector<Row>& rows, bool walked_cleanly) {
  std::vector<std::string> targets = {std::string(), std::string("\xff\xff\xff\xff", 4)};
  for (size_t i = 0; i < rows.size() && i < kMaxSeekRows; ++i) {
    const std::string& key = rows[i].key;
    targets.push_back(key);
    targets.push_back(key + '\0');
    if (!key.empty()) targets.push_back(key.substr(0, key.size() - 1));
  }
  const bool in_order = walked_cleanly && KeysInOrder(rows);
  BlockIterator it = reader.NewIterator();
  for (const std::string& target : targets) {
    it.Seek(target);
    if (it.Valid()) {
      CheckRow(it);
      FUZZ_CHECK(it.key() >= std::string_view(target));
    } else if (!it.status().ok()) {
      fuzz::CheckDecodeError(it.status(), kBlockError);
    }
    if (walked_cleanly) FUZZ_CHECK(it.status().ok());
    if (in_order) {
      auto first = std::lower_bound(rows.begin(), rows.end(), target,
                                    [](const Row& r, const std::string& t) { return r.key < t; });
      FUZZ_CHECK(it.Valid() == (first != rows.end()));
      if (it.Valid()) {
        FUZZ_CHECK(it.key() == first->key);
        FUZZ_CHECK(it.seq() == first->seq);
      }
    }
  }
}

void Run(std::string_view input) {
  if (input.empty()) return;
  const auto selector = static_cast<uint8_t>(input[0]);
  const int version = selector >= 0xf0 ? selector - 0xf0 : (selector & 1) ? 1 : 2;
  // A suffix of the input buffer: a read past the block is a read past it.
  const std::string_view block = input.substr(1);

  Result<BlockReader> reader = BlockReader::Open(block, version);
  if (!reader.ok()) {
    fuzz::CheckDecodeError(reader.status(), kBlockError);
    return;
  }
  FUZZ_CHECK(version == 1 || version == 2);
  FUZZ_CHECK(reader->num_offsets() >= 1);

  std::vector<Row> rows;
  BlockIterator it = reader->NewIterator();
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    CheckRow(it);
    rows.push_back(it.row());
    FUZZ_CHECK(rows.size() <= block.size());  // every row takes bytes
  }
  const bool walked_cleanly = it.status().ok();
  if (!walked_cleanly) fuzz::CheckDecodeError(it.status(), kBlockError);
  if (walked_cleanly) {
    // V1 offsets name every row; V2 offsets name restart rows.
    if (version == 1) FUZZ_CHECK(rows.size() == reader->num_offsets());
    if (version == 2) FUZZ_CHECK(rows.size() >= reader->num_offsets());
  }

  Result<std::vector<Row>> all = reader->ReadAll();
  FUZZ_CHECK(all.ok() == walked_cleanly);
  if (all.ok()) FUZZ_CHECK(*all == rows);

  CheckSeeks(*reader, rows, walked_cleanly);
}

}  // namespace
}  // namespace shardyfusion::slatedb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shardyfusion::slatedb::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
