// ShardReader/ShardReaderFactory adapters over the SlateDB DbReader.

#include "shardyfusion/slatedb_backend.h"

#include "backend/slatedb/block_cache.h"
#include "backend/slatedb/db_reader.h"
#include "core/status_internal.h"

namespace shardyfusion {

namespace {

class SlateDbShardReader : public ShardReader {
 public:
  explicit SlateDbShardReader(std::unique_ptr<slatedb::DbReader> db) : db_(std::move(db)) {}
  Result<std::optional<std::string>> Get(std::string_view key) override { return db_->Get(key); }

 private:
  std::unique_ptr<slatedb::DbReader> db_;
};

class SlateDbReaderFactory : public ShardReaderFactory {
 public:
  explicit SlateDbReaderFactory(const SlateDbReaderOptions& options)
      : cache_(options.block_cache_bytes > 0
                   ? std::make_shared<slatedb::BlockCache>(options.block_cache_bytes)
                   : nullptr) {}

  std::string name() const override { return "slatedb"; }
  Result<std::unique_ptr<ShardReader>> Open(const ShardReaderContext& ctx) override {
    SHARDY_ASSIGN_OR_RETURN(std::unique_ptr<slatedb::DbReader> db,
                            slatedb::DbReader::Open(ctx.store, ctx.db_key, cache_));
    return std::unique_ptr<ShardReader>(new SlateDbShardReader(std::move(db)));
  }

 private:
  // Shared by every shard reader this factory opens; they keep it alive.
  const std::shared_ptr<slatedb::BlockCache> cache_;
};

}  // namespace

std::shared_ptr<ShardReaderFactory> NewSlateDbReaderFactory(SlateDbReaderOptions options) {
  return std::make_shared<SlateDbReaderFactory>(options);
}

}  // namespace shardyfusion
