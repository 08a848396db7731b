// Staged shards: the records, and publishing a staged run (staged.h).
#include "writer/staged.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/log.h"
#include "core/py_json.h"
#include "core/status_internal.h"
#include "core/time_format.h"
#include "shardyfusion/metrics.h"
#include "shardyfusion/writer.h"
#include "storage/created_objects.h"
#include "writer/build_plan.h"
#include "writer/layout.h"
#include "writer/run_id_check.h"

namespace shardyfusion {
namespace {

constexpr size_t kReadThreads = 8;
constexpr std::string_view kSealedSuffix = ".sealed";
constexpr std::string_view kClaimSuffix = ".claim";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "db=00003/attempt=01.sealed" for the record of shard 3, attempt 1.
std::string RecordTail(int64_t db_id, std::optional<int64_t> attempt) {
  char db[32];
  std::snprintf(db, sizeof(db), "db=%05lld/", static_cast<long long>(db_id));
  return std::string(db) + (attempt ? AttemptDirName(*attempt) : std::string("empty")) +
         std::string(kSealedSuffix);
}

Result<std::vector<std::string>> StringArray(const nlohmann::json& j, const char* field) {
  std::vector<std::string> out;
  const auto it = j.find(field);
  if (it == j.end() || !it->is_array()) {
    return Status(ErrorCode::kManifestParse, std::string("has no ") + field + " array");
  }
  for (const nlohmann::json& e : *it) {
    if (!e.is_string()) {
      return Status(ErrorCode::kManifestParse, std::string(field) + " holds a non-string");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string ShardingText(const ShardingSpec& s) {
  if (s.strategy == ShardingSpec::Strategy::kHash) return "hash (" + s.hash_algorithm + ")";
  std::string text = "CEL \"" + s.cel_expr.value_or("") + "\"";
  if (s.routing_values_json) {
    text += " with " + std::to_string(s.routing_values_json->size()) + " routing values";
  }
  return text;
}

bool SameSharding(const ShardingSpec& a, const ShardingSpec& b) {
  return a.strategy == b.strategy && a.hash_algorithm == b.hash_algorithm &&
         a.cel_expr == b.cel_expr && a.cel_columns == b.cel_columns &&
         a.routing_values_json == b.routing_values_json;
}

// The custom object without the staging key: what every record of a run
// shares.
nlohmann::json SharedCustom(const StagedRecord& r) {
  nlohmann::json custom = *PyJsonLoads(r.manifest.meta.custom_json);  // parsed before
  custom.erase(kStagedShardKey);
  return custom;
}

// Compares a record's run description with the reference record's; the
// first difference is a kConfigValidation error naming both records.
Status CheckAgreement(const StagedRecord& ref, const StagedRecord& r, const StoreLocation& root) {
  const BuildMeta& a = ref.manifest.meta;
  const BuildMeta& b = r.manifest.meta;
  auto differ = [&](std::string_view what, const std::string& x, const std::string& y) {
    return Status(ErrorCode::kConfigValidation,
                  "the staged shards of run \"" + a.run_id + "\" disagree on " + std::string(what) +
                      ": " + x + " in " + root.store->Url(ref.key) + ", " + y + " in " +
                      root.store->Url(r.key) +
                      "; every process of a staged build must use the same sharding, key "
                      "encoding, layout and custom fields (restage the odd shards under a new "
                      "run id, or all of them)");
  };
  if (a.num_dbs != b.num_dbs) {
    return differ("num_dbs", std::to_string(a.num_dbs), std::to_string(b.num_dbs));
  }
  if (!SameSharding(a.sharding, b.sharding)) {
    return differ("the sharding", ShardingText(a.sharding), ShardingText(b.sharding));
  }
  if (a.key_encoding != b.key_encoding) {
    return differ("key_encoding", std::string(KeyEncodingName(a.key_encoding)),
                  std::string(KeyEncodingName(b.key_encoding)));
  }
  if (a.db_path_template != b.db_path_template) {
    return differ("db_path_template", a.db_path_template, b.db_path_template);
  }
  if (a.shard_prefix != b.shard_prefix)
    return differ("shard_prefix", a.shard_prefix, b.shard_prefix);
  if (a.key_col != b.key_col) return differ("key_col", a.key_col, b.key_col);
  if (a.s3_prefix != b.s3_prefix) return differ("s3_prefix", a.s3_prefix, b.s3_prefix);
  const nlohmann::json ca = SharedCustom(ref);
  const nlohmann::json cb = SharedCustom(r);
  if (ca != cb) return differ("the custom manifest fields", PyJsonDumps(ca), PyJsonDumps(cb));
  return Status::OK();
}

// Reads and parses `keys` with a few threads; the first failure wins.
Result<std::vector<StagedRecord>> ReadRecords(ObjectStore& store,
                                              const std::vector<std::string>& keys) {
  std::vector<std::optional<StagedRecord>> records(keys.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status failure;
  auto work = [&] {
    for (size_t i = next++; i < keys.size(); i = next++) {
      Result<std::optional<std::string>> got = store.Get(keys[i]);
      Status st = got.status();
      if (st.ok() && !*got) {
        st = Status(ErrorCode::kShardCoverage,
                    "the staged shard record " + store.Url(keys[i]) +
                        " vanished while the run was read: is another publish of this run "
                        "running?");
      }
      if (st.ok()) {
        Result<StagedRecord> parsed = ParseStagedRecord(keys[i], **got);
        if (parsed.ok()) {
          records[i] = std::move(parsed).value();
          continue;
        }
        st = parsed.status();
      }
      std::lock_guard<std::mutex> lock(mu);
      if (failure.ok()) failure = st;
    }
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < std::min(keys.size(), kReadThreads); ++t) helpers.emplace_back(work);
  work();
  for (std::thread& t : helpers) t.join();
  if (!failure.ok()) return failure;
  std::vector<StagedRecord> out;
  for (std::optional<StagedRecord>& r : records) out.push_back(std::move(*r));
  return out;
}

std::string ShardList(const std::vector<int64_t>& ids) {
  std::string text;
  for (size_t i = 0; i < ids.size() && i < 20; ++i) {
    if (i) text += ", ";
    text += std::to_string(ids[i]);
  }
  if (ids.size() > 20) text += ", ... (" + std::to_string(ids.size()) + " in all)";
  return text;
}

// After the publish: claimed attempts that never sealed (a stager that died,
// or one still running, which the documentation rules out) hold objects no
// manifest references; delete them, then every staging object of the run.
// `sealed_too` (discarding the run): the sealed attempts' objects as well.
void CleanStaging(ObjectStore& store, const StoreLocation& root, std::string_view run_id,
                  std::string_view shard_prefix, std::string_view db_path_template,
                  const std::string& staged_dir, bool sealed_too) {
  Result<ListResult> listed = store.List(staged_dir, "");
  if (!listed.ok()) {
    Log(LogLevel::kWarning, "staged_cleanup_failed: cannot list " + store.Url(staged_dir) + ": " +
                                listed.status().message());
    return;
  }
  std::set<std::string> names;
  for (const ObjectInfo& o : listed->objects) names.insert(o.key);
  Result<DbPathTemplate> tmpl = DbPathTemplate::Compile(db_path_template);
  std::vector<std::string> doomed;
  for (const ObjectInfo& o : listed->objects) {
    doomed.push_back(o.key);
    if (!tmpl.ok() || !EndsWith(o.key, kClaimSuffix)) continue;
    const std::string stem = o.key.substr(0, o.key.size() - kClaimSuffix.size());
    if (!sealed_too && names.count(stem + std::string(kSealedSuffix))) continue;
    long long db_id = -1;
    int attempt = -1;
    const size_t db_pos = stem.rfind("/db=");
    if (db_pos == std::string::npos ||
        std::sscanf(stem.c_str() + db_pos, "/db=%lld/attempt=%d", &db_id, &attempt) != 2) {
      continue;
    }
    const std::string dir = AttemptKey(root.key, shard_prefix, run_id, *tmpl, db_id, attempt) + "/";
    Result<ListResult> orphan = store.List(dir, "");
    if (!orphan.ok()) continue;
    for (const ObjectInfo& oo : orphan->objects) doomed.push_back(oo.key);
  }
  DeleteBestEffort(store, doomed, "staged_cleanup");
}

}  // namespace

Result<std::string> SerializeStagedRecord(const PublishRequest& base, int64_t db_id,
                                          const ShardAttemptResult* sealed,
                                          const std::vector<std::string>& superseded,
                                          std::string_view staging) {
  PublishRequest request = base;
  nlohmann::json info = nlohmann::json::object();
  info["db_id"] = db_id;
  info["attempt"] = sealed ? nlohmann::json(sealed->shard.attempt) : nlohmann::json(nullptr);
  info["created_objects"] = sealed ? sealed->created_objects : std::vector<std::string>{};
  info["superseded_objects"] = superseded;
  info["staging"] = std::string(staging);
  request.library_custom[kStagedShardKey] = std::move(info);
  std::vector<ShardMeta> shards;
  if (sealed && sealed->shard.row_count > 0) shards.push_back(sealed->shard);
  Manifest manifest = AssembleManifest(request, std::move(shards));
  manifest.meta.created_at = FormatIsoTimestamp(NowMicros());
  return SerializeManifest(manifest);
}

std::string StagedRecordTail(int64_t db_id, std::optional<int64_t> attempt) {
  return RecordTail(db_id, attempt);
}

Result<StagedRecord> ParseStagedRecord(std::string_view key, std::string_view bytes) {
  auto bad = [&](const std::string& why) {
    return Status(ErrorCode::kManifestParse,
                  "the staged shard record " + std::string(key) + " is damaged: " + why);
  };
  Result<Manifest> manifest = ParseManifest(bytes);
  if (!manifest.ok()) return bad(manifest.status().message());
  Result<nlohmann::json> custom = PyJsonLoads(manifest->meta.custom_json);
  if (!custom.ok()) return bad(custom.status().message());
  const auto it = custom->find(kStagedShardKey);
  if (it == custom->end() || !it->is_object()) {
    return bad(std::string("its custom fields have no ") + kStagedShardKey + " object");
  }
  const nlohmann::json& info = *it;
  StagedRecord r;
  r.key = std::string(key);
  if (!info.contains("db_id") || !info["db_id"].is_number_integer()) return bad("no db_id");
  r.db_id = info["db_id"].get<int64_t>();
  if (info.contains("attempt") && info["attempt"].is_number_integer()) {
    r.attempt = info["attempt"].get<int64_t>();
  } else if (!info.contains("attempt") || !info["attempt"].is_null()) {
    return bad("attempt is neither a number nor null");
  }
  Result<std::vector<std::string>> created = StringArray(info, "created_objects");
  if (!created.ok()) return bad(created.status().message());
  Result<std::vector<std::string>> superseded = StringArray(info, "superseded_objects");
  if (!superseded.ok()) return bad(superseded.status().message());
  r.created_objects = std::move(created).value();
  r.superseded_objects = std::move(superseded).value();
  if (info.contains("staging") && info["staging"].is_string()) {
    r.staging = info["staging"].get<std::string>();
  }
  if (r.db_id < 0 || r.db_id >= manifest->meta.num_dbs) {
    return bad("db_id " + std::to_string(r.db_id) + " is outside the run's " +
               std::to_string(manifest->meta.num_dbs) + " shards");
  }
  if (manifest->shards.size() > 1) return bad("it lists more than one shard");
  if (!manifest->shards.empty()) {
    const ShardMeta& s = manifest->shards.front();
    if (s.db_id != r.db_id || !r.attempt || s.attempt != *r.attempt) {
      return bad("its shard row (db_id " + std::to_string(s.db_id) + ", attempt " +
                 std::to_string(s.attempt) + ") contradicts its staging fields");
    }
  }
  if (!EndsWith(key, "/" + RecordTail(r.db_id, r.attempt))) {
    return bad("its contents name " + RecordTail(r.db_id, r.attempt) + ", not its own key");
  }
  r.manifest = std::move(manifest).value();
  return r;
}

namespace {

// The run's root and staging directory, once the names are checked.
Result<std::pair<StoreLocation, std::string>> StagedRoot(const PublishStagedOptions& options) {
  if (!IsSafePathSegment(options.run_id)) {
    return ConfigError("run_id \"" + options.run_id +
                       "\" must be the staged run's id: non-empty, [A-Za-z0-9._-] only");
  }
  if (!IsSafePathSegment(options.shard_prefix)) {
    return ConfigError("shard_prefix \"" + options.shard_prefix +
                       "\" must be one path segment of [A-Za-z0-9._-]");
  }
  WriteConfig where;
  where.s3_prefix = options.s3_prefix;
  where.store = options.store;
  Result<StoreLocation> root = ResolveRoot(where);
  if (!root.ok()) return root.status();
  SHARDY_RETURN_IF_ERROR(CheckRunNotPublished(*root->store, root->key, options.run_id));
  std::string dir = StagedDir(root->key, options.shard_prefix, options.run_id) + "/";
  return std::pair{std::move(root).value(), std::move(dir)};
}

}  // namespace

Status DiscardStagedRun(const PublishStagedOptions& options) {
  SHARDY_ASSIGN_OR_RETURN(auto where, StagedRoot(options));
  const auto& [root, staged_dir] = where;
  // The sealed attempts' objects are listed under their attempt prefixes,
  // as the claims name them: every sealed attempt was claimed first.
  CleanStaging(*root.store, root, options.run_id, options.shard_prefix, options.db_path_template,
               staged_dir, /*sealed_too=*/true);
  return Status::OK();
}

Result<BuildResult> PublishStagedRun(const PublishStagedOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  auto millis = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started)
        .count();
  };
  SHARDY_ASSIGN_OR_RETURN(auto where, StagedRoot(options));
  const std::optional<StoreLocation> root = where.first;
  const std::string& staged_dir = where.second;
  ObjectStore& store = *root->store;
  Result<ListResult> listed = store.List(staged_dir, "");
  if (!listed.ok()) return listed.status();
  std::vector<std::string> keys;
  for (const ObjectInfo& o : listed->objects) {
    if (EndsWith(o.key, kSealedSuffix)) keys.push_back(o.key);
  }
  std::sort(keys.begin(), keys.end());
  if (keys.empty()) {
    return Status(ErrorCode::kShardCoverage,
                  "run \"" + options.run_id + "\" has no staged shards under " +
                      store.Url(staged_dir) + ": stage them first (shardy build --run-id " +
                      options.run_id + " --only-shards A-B --no-publish), then publish");
  }
  Result<std::vector<StagedRecord>> records = ReadRecords(store, keys);
  if (!records.ok()) return records.status();
  const StagedRecord& ref = records->front();
  const BuildMeta& meta = ref.manifest.meta;
  if (meta.run_id != options.run_id) {
    return Status(ErrorCode::kManifestParse, "the staged shard record " + store.Url(ref.key) +
                                                 " names run \"" + meta.run_id + "\", not \"" +
                                                 options.run_id + "\"");
  }
  if (meta.s3_prefix != store.Url(root->key)) {
    return ConfigError("run \"" + options.run_id + "\" was staged for " + meta.s3_prefix +
                       ", not for " + store.Url(root->key) + " (" + store.Url(ref.key) + ")");
  }
  // Every record agrees with the first; each shard's records agree on rows.
  std::map<int64_t, const StagedRecord*> first_of_shard;
  for (const StagedRecord& r : *records) {
    SHARDY_RETURN_IF_ERROR(CheckAgreement(ref, r, *root));
    auto [it, fresh] = first_of_shard.emplace(r.db_id, &r);
    const auto rows = [](const StagedRecord& x) {
      return x.manifest.shards.empty() ? int64_t{0} : x.manifest.shards.front().row_count;
    };
    if (!fresh && rows(*it->second) != rows(r)) {
      return ConfigError(
          "shard " + std::to_string(r.db_id) + " of run \"" + options.run_id +
          "\" was staged twice with different rows: " + std::to_string(rows(*it->second)) + " in " +
          store.Url(it->second->key) + ", " + std::to_string(rows(r)) + " in " + store.Url(r.key) +
          "; the stagers read different inputs (restage under a new run id)");
    }
  }
  std::vector<int64_t> missing;
  for (int64_t db_id = 0; db_id < meta.num_dbs; ++db_id) {
    if (!first_of_shard.count(db_id)) missing.push_back(db_id);
  }
  if (!missing.empty()) {
    return Status(ErrorCode::kShardCoverage,
                  "Shard coverage mismatch: run \"" + options.run_id + "\" has " +
                      std::to_string(meta.num_dbs) + " shards but " +
                      std::to_string(missing.size()) + " are not staged (db_id " +
                      ShardList(missing) + "); stage them (shardy build --run-id " +
                      options.run_id +
                      " --only-shards A-B --no-publish) and publish again; nothing was published");
  }

  PublishRequest request;
  request.root = *root;
  request.run_id = options.run_id;
  request.num_dbs = meta.num_dbs;
  request.sharding = meta.sharding;
  request.db_path_template = meta.db_path_template;
  request.shard_prefix = meta.shard_prefix;
  request.key_encoding = meta.key_encoding;
  request.user_custom = SharedCustom(ref);
  request.options = options.publish;
  request.keep_attempts_on_failure = true;
  if (options.metrics) {
    request.emit = [&](std::string_view event,
                       std::vector<std::pair<std::string_view, double>> numbers) {
      MetricEvent e;
      e.name = event;
      e.numbers = std::move(numbers);
      e.numbers.emplace_back("elapsed_ms", static_cast<double>(millis()));
      options.metrics->Emit(e);
    };
  }
  for (StagedRecord& r : *records) {
    request.superseded_objects.insert(request.superseded_objects.end(),
                                      r.superseded_objects.begin(), r.superseded_objects.end());
    if (!r.attempt) continue;
    ShardAttemptResult a;
    if (!r.manifest.shards.empty()) {
      a.shard = r.manifest.shards.front();
    } else {
      a.shard.db_id = r.db_id;
      a.shard.attempt = *r.attempt;
    }
    a.created_objects = std::move(r.created_objects);
    request.attempts.push_back(std::move(a));
  }
  Result<PublishedSnapshot> published = PublishSnapshot(std::move(request));
  if (!published.ok()) return published.status();
  CleanStaging(store, *root, meta.run_id, meta.shard_prefix, meta.db_path_template, staged_dir,
               /*sealed_too=*/false);

  BuildResult result;
  result.run_id = options.run_id;
  result.num_dbs = meta.num_dbs;
  result.manifest_ref = std::move(published->manifest_ref);
  result.stats.num_attempt_results = published->num_attempt_results;
  result.stats.num_winners = static_cast<int64_t>(published->winners.size());
  for (const ShardMeta& m : published->winners) result.stats.rows_written += m.row_count;
  result.winners = std::move(published->winners);
  result.stats.durations.manifest_ms = published->manifest_ms;
  result.stats.durations.total_ms = millis();
  return result;
}

}  // namespace shardyfusion
