#include "routing/cel_router.h"

#include <charconv>
#include <cstring>
#include <limits>
#include <set>

#include "core/py_json.h"
#include "core/status_internal.h"
#include "core/utf8.h"
#include "routing/sharding_spec.h"

namespace shardyfusion {
namespace {

Status AssignmentError(std::string msg) {
  return Status(ErrorCode::kShardAssignment, std::move(msg));
}

bool IsTokenKind(CelValue::Kind kind) {
  return kind == CelValue::Kind::kInt || kind == CelValue::Kind::kString ||
         kind == CelValue::Kind::kBytes;
}

// The token-map key of a token, or of a result looked up among tokens: a
// kind tag and the value, so int 1, string "1" and bytes b"1" differ. A uint
// result takes the int tag (it equals the int token of the same value);
// nullopt when it is beyond every int.
std::optional<std::string> TokenIndexKey(const CelValue& v) {
  std::string k;
  switch (v.kind()) {
    case CelValue::Kind::kInt:
    case CelValue::Kind::kUint: {
      int64_t n = v.int_value();
      if (v.kind() == CelValue::Kind::kUint) {
        if (v.uint_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return std::nullopt;
        }
        n = static_cast<int64_t>(v.uint_value());
      }
      k.push_back('i');
      k.append(reinterpret_cast<const char*>(&n), sizeof(n));
      return k;
    }
    case CelValue::Kind::kString:
      return "s" + v.bytes();
    case CelValue::Kind::kBytes:
      return "b" + v.bytes();
    default:
      return std::nullopt;
  }
}

// Python's int() over text: surrounding ASCII whitespace, an optional sign,
// decimal digits with single underscores between them.
std::optional<int64_t> ParsePythonInt(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string digits = negative ? "-" : "";
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && s[i - 1] != '_') continue;
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    digits.push_back(s[i]);
  }
  if (digits.empty() || digits == "-") return std::nullopt;
  int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return n;
}

}  // namespace

bool IsKeyOnly(const std::vector<CelColumn>& columns) {
  return columns.size() == 1 && columns[0].name == "key";
}

Result<CelValue> KeyColumnValue(const Key& key, CelType type) {
  const auto mismatch = [&](const char* why) {
    return Status(ErrorCode::kInvalidArgument, "key " + key.DebugString().substr(0, 80) +
                                                   " cannot be the CEL column `key` of type " +
                                                   CelTypeName(type) + ": " + why);
  };
  if (key.is_int()) {
    if (type == CelType::kInt) return CelValue::Int(key.int_value());
    if (type == CelType::kUint) {
      if (key.int_value() < 0) return mismatch("a uint column takes non-negative integers");
      return CelValue::Uint(static_cast<uint64_t>(key.int_value()));
    }
    return mismatch("an integer key needs an int or uint column");
  }
  if (type == CelType::kBytes) return CelValue::Bytes(key.bytes());
  if (type == CelType::kString) {
    if (!IsValidUtf8(key.bytes())) return mismatch("a string column takes valid UTF-8 only");
    return CelValue::String(key.bytes());
  }
  return mismatch("a string or bytes key needs a string or bytes column");
}

Status CheckRoutingTokens(std::span<const RoutingToken> tokens) {
  if (tokens.size() > kMaxNumDbs) {
    return ConfigError("routing_values has " + std::to_string(tokens.size()) +
                       " tokens, one shard each; a snapshot may have at most " +
                       std::to_string(kMaxNumDbs) + " shards");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const RoutingToken& t = tokens[i];
    const std::string where = "routing_values[" + std::to_string(i) + "] = " + t.DebugString();
    if (!IsTokenKind(t.kind())) {
      return ConfigError(where + " must be an int, a string or bytes (got " +
                         CelKindName(t.kind()) + ")");
    }
    if (t.kind() != tokens[0].kind()) {
      return ConfigError("routing_values must all share one type; " + where + " is " +
                         CelKindName(t.kind()) + " but routing_values[0] is " +
                         CelKindName(tokens[0].kind()));
    }
    if (!seen.insert(*TokenIndexKey(t)).second) {
      return ConfigError("routing_values must be unique; " + where + " repeats an earlier token");
    }
  }
  return Status::OK();
}

Result<int64_t> DirectShardId(const CelValue& result) {
  switch (result.kind()) {
    case CelValue::Kind::kInt:
      return result.int_value();
    case CelValue::Kind::kUint:
      if (result.uint_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return AssignmentError("CEL result " + result.DebugString() + " is too large a shard id");
      }
      return static_cast<int64_t>(result.uint_value());
    case CelValue::Kind::kString:
    case CelValue::Kind::kBytes:
      if (std::optional<int64_t> id = ParsePythonInt(result.bytes())) return *id;
      return AssignmentError("CEL result " + result.DebugString().substr(0, 80) +
                             " is not a decimal integer, so it cannot be a shard id");
    default:
      return AssignmentError("CEL result " + result.DebugString() + " is a " +
                             CelKindName(result.kind()) +
                             "; a routing expression must give an int, uint, string or bytes");
  }
}

std::string KeyPrefix(const Key& key) { return "key " + key.DebugString().substr(0, 80) + ": "; }

Result<std::shared_ptr<const CelRouter>> CelRouter::Create(
    std::string_view expr, std::vector<CelColumn> columns,
    std::optional<std::vector<RoutingToken>> tokens, uint32_t num_dbs) {
  if (columns.empty()) return ConfigError("cel_columns must declare at least one column");
  std::shared_ptr<CelRouter> router(new CelRouter());
  router->key_only_ = IsKeyOnly(columns);
  router->num_dbs_ = num_dbs;
  Result<std::shared_ptr<const CelProgram>> program = CelProgram::Compile(expr, std::move(columns));
  if (!program.ok()) {
    return Status(program.status().code(),
                  "cel_expr does not compile: " + program.status().message());
  }
  router->program_ = std::move(program).value();
  if (tokens) {
    SHARDY_RETURN_IF_ERROR(CheckRoutingTokens(*tokens));
    for (size_t i = 0; i < tokens->size(); ++i) {
      router->token_index_[*TokenIndexKey((*tokens)[i])] = static_cast<int64_t>(i);
    }
    router->tokens_ = std::move(tokens);
  }
  router->spec_ =
      CelShardingSpec(router->program_->expr(), router->program_->columns(), router->tokens_);
  return std::shared_ptr<const CelRouter>(std::move(router));
}

Result<std::vector<CelValue>> CelRouter::ColumnValues(const RoutingContext& context) const {
  std::vector<CelValue> values;
  if (key_only_) return values;
  const std::vector<CelColumn>& declared = program_->columns();
  std::string missing, names;
  for (const CelColumn& c : declared) {
    names += (names.empty() ? "" : ", ") + c.name + " (" + CelTypeName(c.type) + ")";
    const auto it = context.find(c.name);
    if (it == context.end()) {
      missing += (missing.empty() ? "" : ", ") + c.name;
    } else {
      values.push_back(it->second);
    }
  }
  if (!missing.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "this snapshot's CEL expression \"" + program_->expr() +
                      "\" routes by the columns " + names +
                      ": pass them in the routing context (missing: " + missing + ")");
  }
  for (const auto& [name, value] : context) {
    if (!program_->ColumnIndex(name)) {
      return Status(ErrorCode::kInvalidArgument, "routing context column \"" + name +
                                                     "\" is not one of the snapshot's CEL "
                                                     "columns: " +
                                                     names);
    }
  }
  return values;
}

Result<std::optional<uint32_t>> CelRouter::Route(const Key& key, std::span<const CelValue> columns,
                                                 std::string* why) const {
  SHARDY_ASSIGN_OR_RETURN(const CelValue result, Evaluate(key, columns));
  Result<std::optional<int64_t>> id = ShardOf(result);
  if (!id.ok()) return Status(id.status().code(), KeyPrefix(key) + id.status().message());
  if (!*id) {
    if (why) *why = KeyPrefix(key) + DescribeNoShard(result);
    return std::optional<uint32_t>();
  }
  return std::optional<uint32_t>(static_cast<uint32_t>(**id));
}

Result<CelValue> CelRouter::Evaluate(const Key& key, std::span<const CelValue> columns) const {
  Result<CelValue> r = EvaluateColumns(key, columns);
  if (!r.ok()) {
    return Status(r.status().code(), KeyPrefix(key) + "cel_expr \"" + program_->expr() +
                                         "\" failed: " + r.status().message());
  }
  return r;
}

Result<CelValue> CelRouter::EvaluateColumns(const Key& key,
                                            std::span<const CelValue> columns) const {
  if (!key_only_) {
    const std::vector<CelColumn>& declared = program_->columns();
    if (columns.size() != declared.size()) {
      std::string names;
      for (const CelColumn& c : declared) names += (names.empty() ? "" : ", ") + c.name;
      return Status(ErrorCode::kInvalidArgument,
                    "the CEL expression needs " + std::to_string(declared.size()) +
                        " column values (" + names + "), got " + std::to_string(columns.size()));
    }
    return program_->Evaluate(columns);
  }
  if (!columns.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "a key-only CEL expression takes its one column from the key; pass no column "
                  "values");
  }
  SHARDY_ASSIGN_OR_RETURN(CelValue value, KeyColumnValue(key, program_->columns()[0].type));
  return program_->Evaluate(std::span<const CelValue>(&value, 1));
}

Result<std::optional<int64_t>> CelRouter::ShardOf(const CelValue& result) const {
  const int64_t limit = num_dbs_;
  if (!tokens_) {
    SHARDY_ASSIGN_OR_RETURN(int64_t id, DirectShardId(result));
    if (id < 0 || id >= limit) return std::optional<int64_t>();
    return std::optional<int64_t>(id);
  }
  if (!IsTokenKind(result.kind()) && result.kind() != CelValue::Kind::kUint) {
    return AssignmentError("CEL result " + result.DebugString() + " is a " +
                           CelKindName(result.kind()) +
                           "; a categorical routing token must be an int, uint, string or bytes");
  }
  const std::optional<std::string> k = TokenIndexKey(result);
  const auto it = k ? token_index_.find(*k) : token_index_.end();
  if (it == token_index_.end() || it->second >= limit) return std::optional<int64_t>();
  return std::optional<int64_t>(it->second);
}

std::string CelRouter::DescribeNoShard(const CelValue& result) const {
  const std::string shown = result.DebugString().substr(0, 120);
  if (tokens_) {
    return "routing token " + shown + " (" + CelKindName(result.kind()) + ") is not one of the " +
           std::to_string(tokens_->size()) + " routing_values";
  }
  Result<int64_t> id = DirectShardId(result);
  const std::string id_text = id.ok() ? std::to_string(*id) : shown;
  return "CEL result " + shown + " gives shard id " + id_text + ", outside [0, " +
         std::to_string(num_dbs_) + ")";
}

}  // namespace shardyfusion
