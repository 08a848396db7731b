// ShardReader/ShardReaderFactory adapters over the SlateDB DbReader.

#include "shardyfusion/slatedb_backend.h"

#include "backend/slatedb/db_reader.h"

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
  std::string name() const override { return "slatedb"; }
  Result<std::unique_ptr<ShardReader>> Open(const ShardReaderContext& ctx) override {
    SHARDY_ASSIGN_OR_RETURN(std::unique_ptr<slatedb::DbReader> db,
                            slatedb::DbReader::Open(ctx.store, ctx.db_key));
    return std::unique_ptr<ShardReader>(new SlateDbShardReader(std::move(db)));
  }
};

}  // namespace

std::shared_ptr<ShardReaderFactory> NewSlateDbReaderFactory() {
  return std::make_shared<SlateDbReaderFactory>();
}

}  // namespace shardyfusion
