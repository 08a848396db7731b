// SstReader: point lookups and full iteration over one SlateDB SST that lives
// in an ObjectStore, without downloading it whole.
//
// Open() reads the footer, the SsTableInfo, the index and the bloom filter
// from one suffix read of the object's tail (plus a HEAD for the size, and a
// second read if the metadata is longer than 64 KiB, on large SSTs). These
// stay in the reader for its lifetime. Lookups then fetch only the data
// blocks they need by ranged GET, check each block's CRC and decompress it
// with the SST's codec. Decompressed blocks are kept in the BlockCache given
// to Open() (shared with other readers, bounded); without one, every lookup
// reads its blocks from the store again.
// Every section is checked: a bad CRC, a truncated object or an undecodable
// block is a kDbAdapter error naming the object, never a wrong answer.
//
// Thread-safety: Get(), Find() and ForEachRow() may be called by many threads
// at once.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/slatedb/block.h"
#include "backend/slatedb/block_cache.h"
#include "backend/slatedb/bloom.h"
#include "backend/slatedb/manifest.h"
#include "shardyfusion/object_store.h"

namespace shardyfusion::slatedb {

// A row Find() found, as views into its data block, which `block` keeps
// alive (even if the cache evicts it meanwhile). A tombstone's value is empty.
struct SstRowRef {
  uint64_t seq = 0;
  uint8_t flags = 0;
  std::string_view value;
  std::optional<int64_t> expire_ts;
  std::optional<int64_t> create_ts;
  std::shared_ptr<const std::string> block;
};

class SstReader {
 public:
  // `block_format` is the manifest entry's format_version for compacted
  // SSTs; 0 takes the footer's version (WAL SSTs). `cache` may be null (no
  // caching) and may be shared by any number of readers.
  static Result<std::unique_ptr<SstReader>> Open(std::shared_ptr<ObjectStore> store,
                                                 std::string key, uint16_t block_format = 0,
                                                 std::shared_ptr<BlockCache> cache = nullptr);

  // The newest row for `key` whose seq <= max_seq (tombstones included: the
  // caller decides what one means), or nullopt. Copies nothing.
  Result<std::optional<SstRowRef>> Find(std::string_view key, uint64_t max_seq = UINT64_MAX);

  // As Find(), copied into a Row.
  Result<std::optional<Row>> Get(std::string_view key, uint64_t max_seq = UINT64_MAX);

  // Every row in stored order (key ascending, seq descending; WAL SSTs: in
  // seq order). Stops at the first error `fn` returns.
  Status ForEachRow(const std::function<Status(const Row&)>& fn);

  const SstInfo& info() const { return info_; }
  size_t num_blocks() const { return index_.size(); }
  // The SST's own index entry for its first data block: a separator at or
  // below that block's first key ("" for an SST without blocks).
  std::string_view first_block_key() const {
    return index_.empty() ? std::string_view() : std::string_view(index_.front().first_key);
  }
  bool has_filter() const { return bloom_.has_value(); }
  const std::string& url() const { return url_; }

 private:
  SstReader() = default;
  // The decompressed block `i`, from the cache or the store.
  Result<std::shared_ptr<const std::string>> LoadBlock(size_t i);
  // Strips and checks the CRC of a stored section, then decompresses it.
  Result<std::string> Unwrap(std::string_view stored, const std::string& what) const;
  Status BlockError(size_t i, const Status& status) const;

  std::shared_ptr<ObjectStore> store_;
  std::string key_;
  std::string url_;
  uint16_t block_format_ = 2;
  SstInfo info_;
  std::vector<BlockMeta> index_;
  std::optional<BloomReader> bloom_;
  std::shared_ptr<BlockCache> cache_;
  uint64_t cache_id_ = 0;  // this reader's blocks in cache_
};

}  // namespace shardyfusion::slatedb
