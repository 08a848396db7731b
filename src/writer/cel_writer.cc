// CelShardedWriter: CEL routing's settings, its router, and the first pass of
// inferred categorical mode; the engine does the rest (write_engine.h).
#include <limits>
#include <set>

#include "routing/cel_router.h"
#include "shardyfusion/writer.h"
#include "writer/write_engine.h"

namespace shardyfusion {
namespace {

Status ConfigError(const std::string& msg) { return Status(ErrorCode::kConfigValidation, msg); }

std::string KeyPrefix(const Key& key) { return "key " + key.DebugString().substr(0, 80) + ": "; }

// Evaluation for one record, its errors naming the key.
Result<CelValue> EvaluateFor(const CelRouter& router, const Key& key,
                             std::span<const CelValue> columns) {
  Result<CelValue> r = router.Evaluate(key, columns);
  if (!r.ok()) {
    return Status(r.status().code(), KeyPrefix(key) + "cel_expr \"" + router.program().expr() +
                                         "\" failed: " + r.status().message());
  }
  return r;
}

// CEL direct mode's shard count: the ids seen must be exactly 0..max.
Result<uint32_t> DenseDirectNumDbs(std::span<const int64_t> rows) {
  std::vector<size_t> missing;
  size_t n = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] > 0) n = i + 1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (rows[i] == 0) missing.push_back(i);
  }
  if (!missing.empty()) {
    std::string ids;
    for (size_t i = 0; i < missing.size() && i < 20; ++i) {
      ids += (i ? ", " : "") + std::to_string(missing[i]);
    }
    if (missing.size() > 20) ids += ", ... (" + std::to_string(missing.size()) + " in all)";
    return Status(ErrorCode::kShardAssignment,
                  "CEL direct-mode shard ids must be dense 0.." + std::to_string(n - 1) +
                      ", but no record routed to shard id " + ids + "; nothing was published");
  }
  return static_cast<uint32_t>(std::max<size_t>(1, n));
}

// Key-only mode takes the key as its column: the key encoding decides the
// key's kind, so an impossible pairing is caught before any record.
Status CheckKeyColumn(const CelShardedWriteConfig& config) {
  const CelType type = config.cel_columns[0].type;
  const bool int_keys =
      config.key_encoding == KeyEncoding::kU64BE || config.key_encoding == KeyEncoding::kU32BE;
  const bool fits = int_keys ? (type == CelType::kInt || type == CelType::kUint)
                             : (type == CelType::kString || type == CelType::kBytes);
  if (fits) return Status::OK();
  return ConfigError(std::string("cel_columns {\"key\": \"") + CelTypeName(type) +
                     "\"} does not fit key_encoding " + KeyEncodingName(config.key_encoding) +
                     ": the key is the column in key-only mode, so " +
                     (int_keys ? "integer keys need an int or uint column"
                               : "string and bytes keys need a string or bytes column"));
}

// The inferred tokens: one kind, each distinct value once, kept in Python's
// ascending order by the sets themselves.
class TokenInference {
 public:
  Status Observe(const Key& key, const CelValue& result) {
    CelValue::Kind kind = result.kind();
    if (kind == CelValue::Kind::kUint) {
      if (result.uint_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Status(ErrorCode::kShardAssignment, KeyPrefix(key) + "routing token " +
                                                       result.DebugString() + " is beyond int64");
      }
      kind = CelValue::Kind::kInt;
    }
    if (kind != CelValue::Kind::kInt && kind != CelValue::Kind::kString &&
        kind != CelValue::Kind::kBytes) {
      return Status(ErrorCode::kShardAssignment, KeyPrefix(key) + "routing token " +
                                                     result.DebugString() +
                                                     " must be an int, uint, string or bytes");
    }
    if (kind_ && *kind_ != kind) {
      return Status(ErrorCode::kShardAssignment,
                    KeyPrefix(key) + "inferred routing values must share one type, but " +
                        result.DebugString().substr(0, 80) + " differs from the tokens before it");
    }
    kind_ = kind;
    if (kind == CelValue::Kind::kInt) {
      ints_.insert(result.kind() == CelValue::Kind::kUint
                       ? static_cast<int64_t>(result.uint_value())
                       : result.int_value());
    } else {
      texts_.insert(result.bytes());
    }
    // One shard per token: the set may not outgrow what a snapshot holds.
    if (ints_.size() + texts_.size() > kMaxNumDbs) {
      return Status(ErrorCode::kConfigValidation,
                    KeyPrefix(key) + "the data has more than " + std::to_string(kMaxNumDbs) +
                        " distinct routing values, one shard each, more than a snapshot may "
                        "have; route by a coarser expression or by hash");
    }
    return Status::OK();
  }

  std::vector<RoutingToken> Tokens() const {
    std::vector<RoutingToken> tokens;
    for (int64_t v : ints_) tokens.push_back(CelValue::Int(v));
    for (const std::string& t : texts_) {
      tokens.push_back(*kind_ == CelValue::Kind::kBytes ? CelValue::Bytes(t) : CelValue::String(t));
    }
    return tokens;
  }

 private:
  std::optional<CelValue::Kind> kind_;
  std::set<int64_t> ints_;
  std::set<std::string> texts_;
};

}  // namespace

// The writer's router: CEL routing, and in inferred mode the first pass's
// tokens, frozen (installed as categorical tokens) at the first Route or at
// Finish.
class CelShardedWriter::Routing : public ShardRouter {
 public:
  Routing(const CelShardedWriteConfig& config, std::shared_ptr<const CelRouter> router)
      : infer_(config.infer_routing_values_from_data),
        inferring_(infer_),
        router_(std::move(router)) {}

  Status Observe(const Key& key, std::span<const CelValue> columns) {
    if (!infer_) {
      return Status(ErrorCode::kInvalidArgument,
                    "Observe is the first pass of infer_routing_values_from_data, which this "
                    "writer does not use");
    }
    if (!inferring_) {
      return Status(ErrorCode::kInvalidArgument,
                    "Observe after the first Add: observe every record before adding any");
    }
    SHARDY_ASSIGN_OR_RETURN(CelValue result, EvaluateFor(*router_, key, columns));
    return inference_.Observe(key, result);
  }

  uint32_t initial_num_dbs() const override {
    return router_->categorical() ? CategoricalNumDbs() : 0;
  }

  Result<uint32_t> Route(const Key& key, std::span<const CelValue> columns) override {
    SHARDY_RETURN_IF_ERROR(FreezeTokens());
    SHARDY_ASSIGN_OR_RETURN(CelValue result, EvaluateFor(*router_, key, columns));
    const int64_t limit = router_->categorical() ? static_cast<int64_t>(router_->tokens().size())
                                                 : static_cast<int64_t>(kMaxCelDirectShards);
    Result<std::optional<int64_t>> id = router_->ShardOf(result, limit);
    if (!id.ok()) return Status(id.status().code(), KeyPrefix(key) + id.status().message());
    if (!*id) {
      return Status(
          ErrorCode::kShardAssignment,
          KeyPrefix(key) + router_->DescribeNoShard(result, limit) +
              (router_->categorical() ? " (add it to routing_values, or fix the expression)"
                                      : " (direct-mode ids must be 0.." +
                                            std::to_string(kMaxCelDirectShards - 1) + ")"));
    }
    return static_cast<uint32_t>(**id);
  }

  Result<uint32_t> FinalNumDbs(std::span<const int64_t> rows) override {
    SHARDY_RETURN_IF_ERROR(FreezeTokens());
    if (router_->categorical()) return CategoricalNumDbs();
    return DenseDirectNumDbs(rows);
  }

  ShardingSpec sharding() const override {
    ShardingSpec spec;
    spec.strategy = ShardingSpec::Strategy::kCel;
    spec.cel_expr = router_->program().expr();
    std::map<std::string, std::string> columns;
    for (const CelColumn& c : router_->program().columns()) columns[c.name] = CelTypeName(c.type);
    spec.cel_columns = std::move(columns);
    if (router_->categorical()) spec.routing_values_json = RoutingTokensToJson(router_->tokens());
    return spec;
  }

  void AddCustomFields(nlohmann::json* custom) const override {
    if (router_->categorical() && !router_->tokens().empty() &&
        router_->tokens()[0].kind() == CelValue::Kind::kBytes) {
      (*custom)[kRoutingValuesTypeKey] = "bytes";
    }
  }

 private:
  uint32_t CategoricalNumDbs() const {
    return static_cast<uint32_t>(std::max<size_t>(1, router_->tokens().size()));
  }

  Status FreezeTokens() {
    if (!inferring_) return Status::OK();
    inferring_ = false;
    SHARDY_ASSIGN_OR_RETURN(
        router_, CelRouter::Create(router_->program().expr(), router_->program().columns(),
                                   inference_.Tokens()));
    return Status::OK();
  }

  const bool infer_;
  bool inferring_;  // inferred mode, tokens not yet frozen
  std::shared_ptr<const CelRouter> router_;
  TokenInference inference_;
};

Result<std::unique_ptr<CelShardedWriter>> CelShardedWriter::Open(
    const CelShardedWriteConfig& config, const WriteOptions& options) {
  if (config.cel_expr.empty()) return ConfigError("cel_expr is required");
  if (config.cel_columns.empty()) {
    return ConfigError("cel_columns must declare at least one column (e.g. {\"key\": int})");
  }
  if (config.infer_routing_values_from_data && config.routing_values) {
    return ConfigError(
        "routing_values and infer_routing_values_from_data are exclusive: give the tokens, or "
        "infer them");
  }
  if (IsKeyOnly(config.cel_columns)) SHARDY_RETURN_IF_ERROR(CheckKeyColumn(config));
  Result<std::shared_ptr<const CelRouter>> router =
      CelRouter::Create(config.cel_expr, config.cel_columns, config.routing_values);
  if (!router.ok()) return ConfigError(router.status().message());

  auto routing = std::make_unique<Routing>(config, std::move(router).value());
  Routing* raw = routing.get();
  SHARDY_ASSIGN_OR_RETURN(std::unique_ptr<WriteEngine> engine,
                          WriteEngine::Open(config, options, std::move(routing)));
  return std::unique_ptr<CelShardedWriter>(new CelShardedWriter(std::move(engine), raw));
}

CelShardedWriter::CelShardedWriter(std::unique_ptr<WriteEngine> engine, Routing* routing)
    : ShardedWriter(std::move(engine)), routing_(routing) {}
CelShardedWriter::~CelShardedWriter() = default;

Status CelShardedWriter::Observe(const Key& key, std::span<const CelValue> columns) {
  return routing_->Observe(key, columns);
}

Status CelShardedWriter::Add(const Key& key, std::string_view value,
                             std::span<const CelValue> columns) {
  return engine().Add(key, value, columns);
}

}  // namespace shardyfusion
