#include "backend/slatedb/sst_reader.h"

#include <algorithm>

#include "backend/slatedb/coding.h"
#include "backend/slatedb/compression.h"
#include "core/status_internal.h"

namespace shardyfusion::slatedb {

namespace {

constexpr size_t kFooterBytes = 10;
// One read usually covers filter, index, stats, info and footer together.
constexpr uint64_t kTailGuess = 64 << 10;

Status Corrupt(const std::string& url, const std::string& why) {
  return Status(ErrorCode::kDbAdapter, "corrupt SlateDB SST " + url + ": " + why);
}

}  // namespace

Result<std::string> SstReader::Unwrap(std::string_view stored, const std::string& what) const {
  if (stored.size() < 4) return Corrupt(url_, what + " is shorter than its checksum");
  const std::string_view body = stored.substr(0, stored.size() - 4);
  if (Crc32(body) != DecodeU32(stored.data() + body.size())) {
    return Corrupt(url_, what + " fails its CRC-32 check");
  }
  Result<CompressionCodec> codec = CompressionCodecFromByte(static_cast<int>(info_.compression));
  if (!codec.ok()) return Corrupt(url_, what + ": " + codec.status().message());
  Result<std::string> out = Decompress(*codec, body);
  if (!out.ok()) return Corrupt(url_, what + ": " + out.status().message());
  return out;
}

Status SstReader::BlockError(size_t i, const Status& status) const {
  return Corrupt(url_, "block " + std::to_string(i) + ": " + status.message());
}

Result<std::unique_ptr<SstReader>> SstReader::Open(std::shared_ptr<ObjectStore> store,
                                                   std::string key, uint16_t block_format,
                                                   std::shared_ptr<BlockCache> cache) {
  std::unique_ptr<SstReader> r(new SstReader());
  r->store_ = std::move(store);
  r->key_ = std::move(key);
  r->url_ = r->store_->Url(r->key_);
  // A zero-capacity cache would only take locks to miss.
  if (cache != nullptr && cache->capacity() > 0) {
    r->cache_ = std::move(cache);
    r->cache_id_ = r->cache_->NewId();
  }

  SHARDY_ASSIGN_OR_RETURN(std::optional<std::string> tail,
                          r->store_->GetSuffix(r->key_, kTailGuess));
  if (!tail) return Status(ErrorCode::kDbAdapter, "SlateDB SST " + r->url_ + " does not exist");
  // A tail shorter than asked for is the whole object; otherwise the
  // object's size is needed to place the footer's absolute offsets.
  uint64_t size = tail->size();
  if (size == kTailGuess) {
    SHARDY_ASSIGN_OR_RETURN(std::optional<ObjectInfo> head, r->store_->Head(r->key_));
    if (!head || head->size < size) return Corrupt(r->url_, "changed or vanished while being read");
    size = head->size;
  }
  if (size <= kFooterBytes) {
    return Corrupt(r->url_, "empty SST (" + std::to_string(size) + " bytes)");
  }
  const uint64_t tail_start = size - tail->size();
  const char* footer = tail->data() + tail->size() - kFooterBytes;
  const uint64_t info_offset = DecodeU64(footer);
  const uint16_t version = DecodeU16(footer + 8);
  if (version != 1 && version != 2) {
    return Corrupt(r->url_, "unknown SST format version " + std::to_string(version));
  }
  r->block_format_ = block_format != 0 ? block_format : version;
  if (info_offset >= size - kFooterBytes)
    return Corrupt(r->url_, "SsTableInfo offset out of range");

  // Everything from the first metadata section to the footer; re-read when
  // the guess was short.
  auto region = [&](uint64_t from) -> Result<std::string> {
    if (from >= tail_start) return tail->substr(from - tail_start);
    SHARDY_ASSIGN_OR_RETURN(std::optional<std::string> more,
                            r->store_->GetRange(r->key_, from, size - from));
    if (!more || more->size() != size - from) {
      return Corrupt(r->url_, "changed or vanished while being read");
    }
    return *more;
  };
  SHARDY_ASSIGN_OR_RETURN(std::string info_region, region(info_offset));
  const std::string_view info_stored(info_region.data(), info_region.size() - kFooterBytes);
  if (info_stored.size() < 4) return Corrupt(r->url_, "SsTableInfo is truncated");
  const std::string_view info_bytes = info_stored.substr(0, info_stored.size() - 4);
  if (Crc32(info_bytes) != DecodeU32(info_stored.data() + info_bytes.size())) {
    return Corrupt(r->url_, "SsTableInfo fails its CRC-32 check");
  }
  SHARDY_ASSIGN_OR_RETURN(r->info_, DecodeSstInfo(info_bytes, "SST " + r->url_));
  const SstInfo& info = r->info_;
  const uint64_t meta_start = std::min({info.filter_offset, info.index_offset, info_offset});
  auto in_range = [&](uint64_t off, uint64_t len) {
    return off >= meta_start && len <= info_offset && off <= info_offset - len;
  };
  if (!in_range(info.index_offset, info.index_len) ||
      !in_range(info.filter_offset, info.filter_len)) {
    return Corrupt(r->url_, "index or filter section out of range");
  }
  SHARDY_ASSIGN_OR_RETURN(std::string meta, region(meta_start));
  auto section = [&](uint64_t off, uint64_t len) {
    return std::string_view(meta).substr(off - meta_start, len);
  };

  SHARDY_ASSIGN_OR_RETURN(std::string index_bytes,
                          r->Unwrap(section(info.index_offset, info.index_len), "the index"));
  SHARDY_ASSIGN_OR_RETURN(r->index_, DecodeSstIndex(index_bytes, "SST " + r->url_));
  for (size_t i = 0; i < r->index_.size(); ++i) {
    const uint64_t end = i + 1 < r->index_.size() ? r->index_[i + 1].offset : info.filter_offset;
    if (r->index_[i].offset >= end) return Corrupt(r->url_, "block offsets are not increasing");
  }
  if (info.filter_len > 0) {
    SHARDY_ASSIGN_OR_RETURN(std::string filter,
                            r->Unwrap(section(info.filter_offset, info.filter_len), "the filter"));
    // The footer's copy of the info says which layout the filter has (a
    // manifest rewritten by an older SlateDB may have lost it).
    std::optional<std::string_view> payload = filter;
    if (info.filter_format == FilterFormat::kComposite) {
      Result<std::optional<std::string_view>> bf = FindCompositeBloom(filter);
      if (!bf.ok()) return Corrupt(r->url_, "the filter: " + bf.status().message());
      payload = *bf;
    }
    if (payload) {
      Result<BloomReader> bloom = BloomReader::Open(*payload);
      if (!bloom.ok()) return Corrupt(r->url_, "the filter: " + bloom.status().message());
      r->bloom_ = std::move(bloom).value();
    }
  }
  return r;
}

Result<std::shared_ptr<const std::string>> SstReader::LoadBlock(size_t i) {
  if (cache_ != nullptr) {
    if (std::shared_ptr<const std::string> hit = cache_->Lookup(cache_id_, i)) return hit;
  }
  const uint64_t start = index_[i].offset;
  const uint64_t end = i + 1 < index_.size() ? index_[i + 1].offset : info_.filter_offset;
  SHARDY_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                          store_->GetRange(key_, start, end - start));
  if (!stored || stored->size() != end - start) {
    return Corrupt(url_, "block " + std::to_string(i) + " is truncated or missing");
  }
  SHARDY_ASSIGN_OR_RETURN(std::string block, Unwrap(*stored, "block " + std::to_string(i)));
  auto shared = std::make_shared<const std::string>(std::move(block));
  if (cache_ == nullptr) return shared;
  return cache_->Insert(cache_id_, i, std::move(shared));
}

Result<std::optional<SstRowRef>> SstReader::Find(std::string_view key, uint64_t max_seq) {
  if (index_.empty()) return std::optional<SstRowRef>();
  if (bloom_ && !bloom_->MayContain(key)) return std::optional<SstRowRef>();
  // The last block whose separator is below the key; the versions of one key
  // may continue into the following blocks.
  size_t i = 0;
  for (size_t lo = 1, hi = index_.size(); lo < hi;) {
    const size_t mid = lo + (hi - lo) / 2;
    if (std::string_view(index_[mid].first_key) < key) {
      i = mid;
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  for (; i < index_.size(); ++i) {
    SHARDY_ASSIGN_OR_RETURN(std::shared_ptr<const std::string> bytes, LoadBlock(i));
    Result<BlockReader> block = BlockReader::Open(*bytes, block_format_);
    if (!block.ok()) return BlockError(i, block.status());
    BlockIterator it = block->NewIterator();
    it.Seek(key);
    for (; it.Valid(); it.Next()) {
      if (it.key() != key) return std::optional<SstRowRef>();
      if (it.seq() <= max_seq) {
        // The views point into the block's heap bytes, which moving the
        // shared_ptr does not move.
        return std::optional<SstRowRef>(SstRowRef{it.seq(), it.flags(), it.value(), it.expire_ts(),
                                                  it.create_ts(), std::move(bytes)});
      }
    }
    if (!it.status().ok()) return BlockError(i, it.status());
  }
  return std::optional<SstRowRef>();
}

Result<std::optional<Row>> SstReader::Get(std::string_view key, uint64_t max_seq) {
  SHARDY_ASSIGN_OR_RETURN(std::optional<SstRowRef> found, Find(key, max_seq));
  if (!found) return std::optional<Row>();
  return std::optional<Row>(Row{std::string(key), found->seq, found->flags,
                                std::string(found->value), found->expire_ts, found->create_ts});
}

Status SstReader::ForEachRow(const std::function<Status(const Row&)>& fn) {
  for (size_t i = 0; i < index_.size(); ++i) {
    SHARDY_ASSIGN_OR_RETURN(std::shared_ptr<const std::string> bytes, LoadBlock(i));
    Result<BlockReader> block = BlockReader::Open(*bytes, block_format_);
    if (!block.ok()) return BlockError(i, block.status());
    BlockIterator it = block->NewIterator();
    for (it.SeekToFirst(); it.Valid(); it.Next()) SHARDY_RETURN_IF_ERROR(fn(it.row()));
    if (!it.status().ok()) return BlockError(i, it.status());
  }
  return Status::OK();
}

}  // namespace shardyfusion::slatedb
