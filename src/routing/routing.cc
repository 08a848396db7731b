// ShardHash and the hash router (HASH routing, docs/format/routing.md).
#include "shardyfusion/routing.h"

#include "core/xxh3.h"

namespace shardyfusion {

uint64_t ShardHash(const Key& key) {
  std::string scratch;  // 8 bytes: fits the small-string buffer, no allocation
  return Xxh3Digest(CanonicalBytes(key, &scratch));
}

namespace {

class HashRouter : public Router {
 public:
  explicit HashRouter(uint32_t num_dbs) : num_dbs_(num_dbs) {}

  const ShardingSpec& spec() const override { return spec_; }
  uint32_t num_dbs() const override { return num_dbs_; }
  const std::vector<RoutingToken>* routing_values() const override { return nullptr; }
  Result<std::vector<CelValue>> ColumnValues(const RoutingContext& /*context*/) const override {
    return std::vector<CelValue>();
  }
  Result<std::optional<uint32_t>> Route(const Key& key, std::span<const CelValue> /*columns*/,
                                        std::string* /*why*/) const override {
    return std::optional<uint32_t>(static_cast<uint32_t>(ShardHash(key) % num_dbs_));
  }

 private:
  const ShardingSpec spec_;  // the default spec is HASH, xxh3_64
  const uint32_t num_dbs_;
};

}  // namespace

std::shared_ptr<const Router> NewHashRouter(uint32_t num_dbs) {
  return std::make_shared<HashRouter>(num_dbs);
}

}  // namespace shardyfusion
