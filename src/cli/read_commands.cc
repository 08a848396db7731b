#include "cli/read_commands.h"

#include <fmt/format.h>

#include <charconv>
#include <memory>

#include "cli/cel_command.h"
#include "cli/shardy.h"
#include "core/status_internal.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/reader.h"

namespace shardyfusion::cli {

Result<ManifestStore> OpenManifestStore(const ReadContext& ctx) {
  SHARDY_ASSIGN_OR_RETURN(auto split, SplitCurrentUrl(ctx.current_url));
  SHARDY_ASSIGN_OR_RETURN(StoreLocation loc, OpenStoreForUrl(split.first, ctx.s3));
  return ManifestStore(loc.store, loc.key, split.second);
}

namespace {

using Json = nlohmann::ordered_json;

// --ref as given; --offset N looks up the Nth newest manifest.
Result<std::optional<std::string>> ResolvePin(const ReadContext& ctx) {
  if (ctx.ref) return ctx.ref;
  if (!ctx.offset) return std::optional<std::string>();
  SHARDY_ASSIGN_OR_RETURN(ManifestStore store, OpenManifestStore(ctx));
  SHARDY_ASSIGN_OR_RETURN(std::vector<ManifestListing> history,
                          store.ListManifests(static_cast<size_t>(*ctx.offset) + 1));
  if (*ctx.offset >= history.size()) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("--offset {} is out of range: only {} manifests are published",
                              *ctx.offset, history.size()));
  }
  return std::optional<std::string>(history[*ctx.offset].ref);
}

Result<std::unique_ptr<ShardedReader>> OpenReader(const ReadContext& ctx) {
  SHARDY_ASSIGN_OR_RETURN(auto split, SplitCurrentUrl(ctx.current_url));
  ReaderOptions options;
  options.current_name = split.second;
  SHARDY_ASSIGN_OR_RETURN(StoreLocation loc, OpenStoreForUrl(split.first, ctx.s3));
  options.store = loc.store;
  if (!ctx.local_root.empty()) options.local_root = ctx.local_root;
  SHARDY_ASSIGN_OR_RETURN(options.pinned_ref, ResolvePin(ctx));
  return ShardedReader::Open(split.first, options);
}

int Fail(const ReadContext& ctx, const char* op, const Status& status, std::ostream& err,
         std::optional<Json> key = std::nullopt) {
  EmitError(op, status.ToString(), key, ctx.output, err);
  return kExitError;
}

Json EncodedValue(const ReadContext& ctx, const std::string& bytes) {
  return EncodeValue(ctx.output.value_encoding, bytes);
}

// The "value" of a key that is absent, in get and multiget alike: JSON null,
// or the --null-repr text when one other than "null" is given. (The
// reference prints the string "null" in get and omits the field in
// multiget.)
Json MissingValue(const ReadContext& ctx) {
  return ctx.output.null_repr == "null" ? Json(nullptr) : Json(ctx.output.null_repr);
}

Json OptionalKey(const std::optional<Key>& key) { return key ? KeyToJson(*key) : Json(nullptr); }

// The routing context of --routing-context, typed by the snapshot's columns.
Result<RoutingContext> RoutingContextFor(const ReadContext& ctx, const ShardedReader& reader) {
  if (ctx.routing_context.empty()) return RoutingContext();
  return ParseRoutingContext(reader.snapshot_info().sharding, ctx.routing_context);
}

// The sharding object as the manifest has it; categorical tokens as typed
// values (bytes as base64) with their type beside them.
Json ShardingToJson(const SnapshotInfo& info) {
  const ShardingSpec& s = info.sharding;
  Json j;
  j["strategy"] = s.strategy == ShardingSpec::Strategy::kHash ? "hash" : "cel";
  j["hash_algorithm"] = s.hash_algorithm;
  j["cel_expr"] = s.cel_expr ? Json(*s.cel_expr) : Json(nullptr);
  if (s.cel_columns) {
    j["cel_columns"] = Json::object();
    for (const auto& [name, type] : *s.cel_columns) j["cel_columns"][name] = type;
  } else {
    j["cel_columns"] = nullptr;
  }
  if (info.routing_values) {
    Json values = Json::array();
    for (const RoutingToken& t : *info.routing_values) values.push_back(CelValueToJson(t));
    j["routing_values"] = std::move(values);
    if (!info.routing_values->empty()) {
      j["routing_values_type"] = CelKindName(info.routing_values->front().kind());
    }
  } else if (s.routing_values_json) {
    Json values = Json::array();
    for (const std::string& text : *s.routing_values_json) {
      // Each element is stored as JSON text; show it as JSON when it parses.
      Json v = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      values.push_back(v.is_discarded() ? Json(text) : v);
    }
    j["routing_values"] = std::move(values);
  } else {
    j["routing_values"] = nullptr;
  }
  return j;
}

// Reads keys one per line; a trailing '\r' (CRLF input) is not part of a key.
std::vector<std::string> ReadKeyLines(std::istream& in) {
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) keys.push_back(line);
  }
  return keys;
}

}  // namespace

Result<std::pair<std::string, std::string>> SplitCurrentUrl(const std::string& url) {
  const size_t slash = url.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == url.size()) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("--current-url \"{}\" must be the full URL of the _CURRENT object, "
                              "e.g. file:///data/snap/_CURRENT or s3://bucket/prefix/_CURRENT",
                              url));
  }
  return std::make_pair(url.substr(0, slash), url.substr(slash + 1));
}

Result<Key> CoerceKey(KeyEncoding encoding, const std::string& arg) {
  switch (encoding) {
    case KeyEncoding::kU64BE:
    case KeyEncoding::kU32BE: {
      int64_t n = 0;
      const char* end = arg.data() + arg.size();
      const auto [ptr, ec] = std::from_chars(arg.data(), end, n);
      if (ec != std::errc() || ptr != end || arg.empty()) {
        return Status(ErrorCode::kInvalidArgument,
                      fmt::format("key \"{}\" is not an integer; the snapshot's key encoding {} "
                                  "takes integer keys",
                                  arg, KeyEncodingName(encoding)));
      }
      return Key::Int(n);
    }
    case KeyEncoding::kRaw:
      return Key::Bytes(arg);
    case KeyEncoding::kUtf8:
      return Key::Str(arg);
  }
  return Key::Str(arg);
}

ReadSession::ReadSession(ReadContext ctx) : ctx_(std::move(ctx)) {}
ReadSession::~ReadSession() = default;

Result<ShardedReader*> ReadSession::Reader() {
  if (!reader_) {
    SHARDY_ASSIGN_OR_RETURN(reader_, OpenReader(ctx_));
  }
  return reader_.get();
}

void ReadSession::Repin(std::optional<std::string> ref, std::optional<uint64_t> offset) {
  ctx_.ref = std::move(ref);
  ctx_.offset = offset;
  reader_.reset();
}

int RunGet(const ReadContext& ctx, const std::string& key_arg, bool strict, std::ostream& out,
           std::ostream& err) {
  ReadSession session(ctx);
  return RunGet(session, key_arg, strict, out, err);
}
int RunMultiGet(const ReadContext& ctx, const std::vector<std::string>& key_args, std::istream& in,
                std::ostream& out, std::ostream& err) {
  ReadSession session(ctx);
  return RunMultiGet(session, key_args, in, out, err);
}
int RunInfo(const ReadContext& ctx, std::ostream& out, std::ostream& err) {
  ReadSession session(ctx);
  return RunInfo(session, out, err);
}
int RunShards(const ReadContext& ctx, std::ostream& out, std::ostream& err) {
  ReadSession session(ctx);
  return RunShards(session, out, err);
}
int RunRoute(const ReadContext& ctx, const std::string& key_arg, std::ostream& out,
             std::ostream& err) {
  ReadSession session(ctx);
  return RunRoute(session, key_arg, out, err);
}
int RunHealth(const ReadContext& ctx, std::optional<uint64_t> staleness_threshold_seconds,
              std::ostream& out, std::ostream& err) {
  ReadSession session(ctx);
  return RunHealth(session, staleness_threshold_seconds, out, err);
}

int RunGet(ReadSession& session, const std::string& key_arg, bool strict, std::ostream& out,
           std::ostream& err) {
  const ReadContext& ctx = session.ctx();
  Result<ShardedReader*> reader = session.Reader();
  if (!reader.ok()) return Fail(ctx, "get", reader.status(), err, Json(key_arg));
  Result<Key> key = CoerceKey((*reader)->snapshot_info().key_encoding, key_arg);
  if (!key.ok()) return Fail(ctx, "get", key.status(), err, Json(key_arg));
  Result<RoutingContext> context = RoutingContextFor(ctx, **reader);
  if (!context.ok()) return Fail(ctx, "get", context.status(), err, Json(key_arg));
  Result<std::optional<std::string>> value = (*reader)->Get(*key, *context);
  if (!value.ok()) return Fail(ctx, "get", value.status(), err, KeyToJson(*key));

  Json result;
  result["op"] = "get";
  result["key"] = KeyToJson(*key);
  result["found"] = value->has_value();
  result["value"] = value->has_value() ? EncodedValue(ctx, **value) : MissingValue(ctx);
  EmitResult(result, ctx.output, out);
  return (strict && !value->has_value()) ? kExitError : 0;
}

int RunMultiGet(ReadSession& session, const std::vector<std::string>& key_args, std::istream& in,
                std::ostream& out, std::ostream& err) {
  const ReadContext& ctx = session.ctx();
  const std::vector<std::string> args =
      (key_args.size() == 1 && key_args[0] == "-") ? ReadKeyLines(in) : key_args;
  Result<ShardedReader*> reader = session.Reader();
  if (!reader.ok()) return Fail(ctx, "multiget", reader.status(), err);
  const KeyEncoding encoding = (*reader)->snapshot_info().key_encoding;
  std::vector<Key> keys;
  keys.reserve(args.size());
  for (const std::string& arg : args) {
    Result<Key> key = CoerceKey(encoding, arg);
    if (!key.ok()) return Fail(ctx, "multiget", key.status(), err, Json(arg));
    keys.push_back(std::move(*key));
  }
  Result<RoutingContext> context = RoutingContextFor(ctx, **reader);
  if (!context.ok()) return Fail(ctx, "multiget", context.status(), err);
  Result<std::vector<std::optional<std::string>>> values = (*reader)->MultiGet(keys, *context);
  if (!values.ok()) return Fail(ctx, "multiget", values.status(), err);

  Json results = Json::array();
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::optional<std::string>& v = (*values)[i];
    Json item;
    item["key"] = KeyToJson(keys[i]);
    item["found"] = v.has_value();
    item["value"] = v ? EncodedValue(ctx, *v) : MissingValue(ctx);
    results.push_back(std::move(item));
  }
  EmitResult({{"op", "multiget"}, {"results", std::move(results)}}, ctx.output, out);
  return 0;
}

int RunInfo(ReadSession& session, std::ostream& out, std::ostream& err) {
  const ReadContext& ctx = session.ctx();
  Result<ShardedReader*> reader = session.Reader();
  if (!reader.ok()) return Fail(ctx, "info", reader.status(), err);
  const SnapshotInfo info = (*reader)->snapshot_info();
  Json result;
  result["op"] = "info";
  result["run_id"] = info.run_id;
  result["num_dbs"] = info.num_dbs;
  result["sharding"] = ShardingToJson(info);
  result["created_at"] = info.created_at;
  result["manifest_ref"] = info.manifest_ref;
  result["row_count"] = info.row_count;
  result["key_encoding"] = KeyEncodingName(info.key_encoding);
  result["hash_algorithm"] = info.hash_algorithm;
  result["backend"] = info.backend;  // the shard format: "slatedb" or "sqlite"
  EmitResult(result, ctx.output, out);
  return 0;
}

int RunShards(ReadSession& session, std::ostream& out, std::ostream& err) {
  const ReadContext& ctx = session.ctx();
  Result<ShardedReader*> reader = session.Reader();
  if (!reader.ok()) return Fail(ctx, "shards", reader.status(), err);
  Json shards = Json::array();
  for (const ShardDetail& d : (*reader)->shard_details()) {
    shards.push_back({{"db_id", d.db_id},
                      {"row_count", d.row_count},
                      {"min_key", OptionalKey(d.min_key)},
                      {"max_key", OptionalKey(d.max_key)},
                      {"db_url", d.db_url ? Json(*d.db_url) : Json(nullptr)}});
  }
  EmitResult({{"op", "shards"}, {"shards", std::move(shards)}}, ctx.output, out);
  return 0;
}

int RunRoute(ReadSession& session, const std::string& key_arg, std::ostream& out,
             std::ostream& err) {
  const ReadContext& ctx = session.ctx();
  Result<ShardedReader*> reader = session.Reader();
  if (!reader.ok()) return Fail(ctx, "route", reader.status(), err, Json(key_arg));
  Result<Key> key = CoerceKey((*reader)->snapshot_info().key_encoding, key_arg);
  if (!key.ok()) return Fail(ctx, "route", key.status(), err, Json(key_arg));
  Result<RoutingContext> context = RoutingContextFor(ctx, **reader);
  if (!context.ok()) return Fail(ctx, "route", context.status(), err, Json(key_arg));
  Result<int64_t> db_id = (*reader)->RouteKey(*key, *context);
  if (!db_id.ok()) return Fail(ctx, "route", db_id.status(), err, KeyToJson(*key));
  EmitResult({{"op", "route"}, {"key", KeyToJson(*key)}, {"db_id", *db_id}}, ctx.output, out);
  return 0;
}

int RunHistory(const ReadContext& ctx, uint64_t limit, std::ostream& out, std::ostream& err) {
  Result<ManifestStore> store = OpenManifestStore(ctx);
  if (!store.ok()) return Fail(ctx, "history", store.status(), err);
  Result<std::vector<ManifestListing>> history = store->ListManifests(static_cast<size_t>(limit));
  if (!history.ok()) return Fail(ctx, "history", history.status(), err);
  Json manifests = Json::array();
  for (size_t i = 0; i < history->size(); ++i) {
    const ManifestListing& m = (*history)[i];
    manifests.push_back(
        {{"offset", i}, {"run_id", m.run_id}, {"published_at", m.published_at}, {"ref", m.ref}});
  }
  EmitResult({{"op", "history"}, {"manifests", std::move(manifests)}}, ctx.output, out);
  return 0;
}

int RunHealth(ReadSession& session, std::optional<uint64_t> staleness_threshold_seconds,
              std::ostream& out, std::ostream& err) {
  const ReadContext& ctx = session.ctx();
  (void)err;
  Result<ShardedReader*> reader = session.Reader();
  if (!reader.ok()) {
    EmitResult(
        {{"op", "health"},
         {"status", "unhealthy"},
         {"manifest_ref", nullptr},
         {"manifest_age_seconds", nullptr},
         {"num_shards", nullptr},
         {"is_closed", false},
         {"reasons", Json::array({"cannot open the snapshot: " + reader.status().ToString()})}},
        ctx.output, out);
    return 2;
  }
  std::optional<std::chrono::seconds> threshold;
  if (staleness_threshold_seconds) {
    threshold = std::chrono::seconds(static_cast<int64_t>(*staleness_threshold_seconds));
  }
  const ReaderHealth h = (*reader)->Health(threshold);
  EmitResult({{"op", "health"},
              {"status", ReaderHealthName(h.status)},
              {"manifest_ref", h.manifest_ref},
              {"manifest_age_seconds",
               h.manifest_age_seconds ? Json(*h.manifest_age_seconds) : Json(nullptr)},
              {"num_shards", h.num_shards},
              {"is_closed", h.is_closed},
              {"reasons", h.reasons}},
             ctx.output, out);
  switch (h.status) {
    case ReaderHealth::State::kHealthy:
      return 0;
    case ReaderHealth::State::kDegraded:
      return 1;
    case ReaderHealth::State::kUnhealthy:
      break;
  }
  return 2;
}

}  // namespace shardyfusion::cli
