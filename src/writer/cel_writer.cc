// CelShardedWriter: CEL routing's settings, how its shard count is known, and
// the first pass of inferred categorical mode (a decorator around the CEL
// router); the engine does the rest (write_engine.h).
#include <algorithm>
#include <limits>
#include <set>

#include "core/status_internal.h"
#include "routing/cel_router.h"
#include "shardyfusion/writer.h"
#include "writer/write_engine.h"

namespace shardyfusion {
namespace {

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
class InferredTokens {
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

// Inferred categorical mode's router: a decorator around the direct-mode CEL
// router of the expression. The first pass (Observe) evaluates every record
// and collects the distinct results; Freeze (at the first Add, or at Finish)
// makes them the tokens of a categorical router, through which it then
// routes. Before Freeze it routes nothing.
//
// Thread-safety: the writer's producer thread only. Observe and Freeze
// change it: unlike other routers it is immutable only once frozen.
class CelShardedWriter::TokenInference : public Router {
 public:
  explicit TokenInference(std::shared_ptr<const CelRouter> direct) : router_(std::move(direct)) {}

  Status Observe(const Key& key, std::span<const CelValue> columns) {
    if (frozen_) {
      return Status(ErrorCode::kInvalidArgument,
                    "Observe after the first Add: observe every record before adding any");
    }
    SHARDY_ASSIGN_OR_RETURN(CelValue result, router_->Evaluate(key, columns));
    return tokens_.Observe(key, result);
  }

  // Ends the first pass; later calls do nothing.
  Status Freeze() {
    if (frozen_) return Status::OK();
    std::vector<RoutingToken> tokens = tokens_.Tokens();
    const auto num_dbs = static_cast<uint32_t>(std::max<size_t>(1, tokens.size()));
    SHARDY_ASSIGN_OR_RETURN(
        router_, CelRouter::Create(router_->program().expr(), router_->program().columns(),
                                   std::move(tokens), num_dbs));
    frozen_ = true;
    return Status::OK();
  }

  const ShardingSpec& spec() const override { return router_->spec(); }
  uint32_t num_dbs() const override { return router_->num_dbs(); }
  const std::vector<RoutingToken>* routing_values() const override {
    return router_->routing_values();
  }
  Result<std::vector<CelValue>> ColumnValues(const RoutingContext& context) const override {
    return router_->ColumnValues(context);
  }
  Result<std::optional<uint32_t>> Route(const Key& key, std::span<const CelValue> columns,
                                        std::string* why) const override {
    if (!frozen_) {
      return Status(ErrorCode::kInvalidArgument,
                    "a record was routed before the first pass of "
                    "infer_routing_values_from_data ended");
    }
    return router_->Route(key, columns, why);
  }

 private:
  std::shared_ptr<const CelRouter> router_;  // direct mode until frozen, then categorical
  bool frozen_ = false;
  InferredTokens tokens_;
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
  if (config.num_dbs) {
    if (config.routing_values || config.infer_routing_values_from_data) {
      return ConfigError(
          "num_dbs applies to CEL direct mode only; categorical routing has one shard per "
          "routing value");
    }
    if (*config.num_dbs == 0 || *config.num_dbs > kMaxCelDirectShards) {
      return ConfigError("num_dbs must be 1.." + std::to_string(kMaxCelDirectShards) + " (got " +
                         std::to_string(*config.num_dbs) + ")");
    }
  }
  // Categorical mode knows its shards up front; direct mode routes to any id
  // a build may discover, and counts them at Finish.
  const auto num_dbs =
      config.routing_values
          ? static_cast<uint32_t>(std::max<size_t>(1, config.routing_values->size()))
          : config.num_dbs.value_or(kMaxCelDirectShards);
  Result<std::shared_ptr<const CelRouter>> router =
      CelRouter::Create(config.cel_expr, config.cel_columns, config.routing_values, num_dbs);
  if (!router.ok()) return ConfigError(router.status().message());

  std::shared_ptr<TokenInference> inference;
  std::shared_ptr<const Router> routing;
  ShardCount shard_count;
  if (config.infer_routing_values_from_data) {
    inference = std::make_shared<TokenInference>(std::move(router).value());
    routing = inference;
    shard_count.final = [inference](std::span<const int64_t>) -> Result<uint32_t> {
      SHARDY_RETURN_IF_ERROR(inference->Freeze());
      return inference->num_dbs();
    };
  } else if (config.routing_values || config.num_dbs) {
    routing = std::move(router).value();
    shard_count = FixedShardCount(num_dbs);
  } else {
    routing = std::move(router).value();
    shard_count.final = DenseDirectNumDbs;
  }
  SHARDY_ASSIGN_OR_RETURN(
      std::unique_ptr<WriteEngine> engine,
      WriteEngine::Open(config, options, std::move(routing), std::move(shard_count)));
  return std::unique_ptr<CelShardedWriter>(
      new CelShardedWriter(std::move(engine), std::move(inference)));
}

CelShardedWriter::CelShardedWriter(std::unique_ptr<WriteEngine> engine,
                                   std::shared_ptr<TokenInference> inference)
    : ShardedWriter(std::move(engine)), inference_(std::move(inference)) {}
CelShardedWriter::~CelShardedWriter() = default;

Status CelShardedWriter::Observe(const Key& key, std::span<const CelValue> columns) {
  if (!inference_) {
    return Status(ErrorCode::kInvalidArgument,
                  "Observe is the first pass of infer_routing_values_from_data, which this "
                  "writer does not use");
  }
  return inference_->Observe(key, columns);
}

Status CelShardedWriter::Add(const Key& key, std::string_view value,
                             std::span<const CelValue> columns) {
  if (inference_) SHARDY_RETURN_IF_ERROR(inference_->Freeze());
  return engine().Add(key, value, columns);
}

}  // namespace shardyfusion
