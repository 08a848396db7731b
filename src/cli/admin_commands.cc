#include "cli/admin_commands.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <map>

#include "cli/shardy.h"
#include "core/status_internal.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/object_store.h"

namespace shardyfusion::cli {

namespace {

using Json = nlohmann::ordered_json;

int Fail(const ReadContext& ctx, const char* op, const Status& status, std::ostream& err) {
  EmitError(op, status.ToString(), std::nullopt, ctx.output, err);
  return kExitError;
}

// The manifest URL a rollback target names.
Result<std::string> ResolveTarget(ManifestStore& store, const RollbackTarget& target) {
  if (target.ref) {
    if (target.ref->find("://") != std::string::npos) return *target.ref;
    const std::string& root = store.root_key();
    return store.object_store()->Url(root.empty() ? *target.ref : root + "/" + *target.ref);
  }
  // Every manifest: the reference searched only the 100 newest.
  SHARDY_ASSIGN_OR_RETURN(std::vector<ManifestListing> history,
                          store.ListManifests(target.offset ? *target.offset + 1 : SIZE_MAX));
  if (target.offset) {
    if (*target.offset >= history.size()) {
      return Status(ErrorCode::kInvalidArgument,
                    fmt::format("--offset {} is out of range: only {} manifests are published "
                                "(see `shardy history`)",
                                *target.offset, history.size()));
    }
    return history[*target.offset].ref;
  }
  for (const ManifestListing& m : history) {  // newest first
    if (m.run_id == *target.run_id) return m.ref;
  }
  return Status(
      ErrorCode::kInvalidArgument,
      fmt::format("run {} has no published manifest under {} ({} manifests searched; "
                  "see `shardy history`)",
                  *target.run_id, store.object_store()->Url(store.root_key()), history.size()));
}

}  // namespace

int RunRollback(const ReadContext& ctx, const RollbackTarget& target, std::ostream& out,
                std::ostream& err) {
  Result<ManifestStore> store = OpenManifestStore(ctx);
  if (!store.ok()) return Fail(ctx, "rollback", store.status(), err);
  Result<std::string> ref = ResolveTarget(*store, target);
  if (!ref.ok()) return Fail(ctx, "rollback", ref.status(), err);
  // A manifest that does not load never becomes current.
  Result<Manifest> manifest = store->LoadManifest(*ref);
  if (!manifest.ok()) {
    return Fail(ctx, "rollback",
                manifest.status().annotate("refusing to point _CURRENT at " + *ref), err);
  }
  Result<std::optional<CurrentPointer>> current = store->LoadCurrent();
  if (!current.ok()) return Fail(ctx, "rollback", current.status(), err);
  const std::string previous = *current ? (*current)->manifest_ref : "";
  Json result = {{"op", "rollback"},
                 {"ref", *ref},
                 {"run_id", manifest->meta.run_id},
                 {"previous_ref", previous.empty() ? Json(nullptr) : Json(previous)},
                 {"changed", previous != *ref}};
  if (previous != *ref) {
    if (Status st = store->SetCurrent(*ref); !st.ok()) return Fail(ctx, "rollback", st, err);
  }
  EmitResult(result, ctx.output, out);
  return 0;
}

std::optional<std::chrono::seconds> ParseDuration(std::string_view text) {
  int64_t unit = 1;
  if (!text.empty() && (text.back() < '0' || text.back() > '9')) {
    switch (text.back()) {
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        break;
      default:
        return std::nullopt;
    }
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 12) return std::nullopt;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return std::chrono::seconds(n * unit);
}

int RunCleanup(const ReadContext& ctx, CleanupOptions options, std::ostream& out,
               std::ostream& err) {
  Result<ManifestStore> store = OpenManifestStore(ctx);
  if (!store.ok()) return Fail(ctx, "cleanup", store.status(), err);
  options.store = store->object_store();
  options.s3_prefix = store->object_store()->Url(store->root_key());
  Result<std::pair<std::string, std::string>> split = SplitCurrentUrl(ctx.current_url);
  if (split.ok()) options.current_name = split->second;
  Result<CleanupReport> report = CleanupSnapshot(options);
  if (!report.ok()) return Fail(ctx, "cleanup", report.status(), err);
  const std::string shards_url =
      store->object_store()->Url(JoinPath(store->root_key(), {options.shard_prefix})) + "/";
  Json stale = Json::array();
  Json old_runs = Json::array();
  Json unpublished = Json::array();
  int64_t prefixes = 0;
  int64_t total = 0;
  for (const CleanupAction& a : report->actions) {
    total += static_cast<int64_t>(a.keys.size());
    if (a.kind != CleanupAction::Kind::kStaleObjects) {
      ++prefixes;
      Json run = {{"run_id", a.run_id},
                  {"objects_deleted", a.keys.size()},
                  {"manifests", a.manifests},
                  {"run_records", a.run_records},
                  {"reason", a.why}};
      (a.kind == CleanupAction::Kind::kOldRun ? old_runs : unpublished).push_back(std::move(run));
      continue;
    }
    // Grouped by attempt (the two segments under the run: db dir, attempt).
    std::map<std::string, int64_t> by_prefix;
    for (const std::string& k : a.keys) {
      const std::string url = store->object_store()->Url(k);
      const size_t run_end = url.find('/', shards_url.size());
      size_t end = url.find('/', run_end + 1);
      if (end != std::string::npos) end = url.find('/', end + 1);
      ++by_prefix[url.substr(0, std::min(end, url.rfind('/')))];
    }
    for (const auto& [prefix, n] : by_prefix) {
      const size_t db = prefix.find("/db=");
      Json db_id = nullptr;
      if (db != std::string::npos) {
        int64_t v = 0;
        const char* begin = prefix.data() + db + 4;
        const char* stop = prefix.data() + prefix.size();
        auto [p, ec] = std::from_chars(begin, stop, v);
        if (ec == std::errc() && p != begin) db_id = v;
      }
      stale.push_back({{"db_id", db_id}, {"prefix_url", prefix}, {"objects_deleted", n}});
      ++prefixes;
    }
  }
  Json kept = Json::array();
  for (const auto& [run, why] : report->kept) kept.push_back({{"run_id", run}, {"reason", why}});
  EmitResult(
      {{"op", "cleanup"},
       {"dry_run", report->dry_run},
       {"run_id", report->current_run_id.empty() ? Json(nullptr) : Json(report->current_run_id)},
       {"stale_attempts", std::move(stale)},
       {"old_runs", std::move(old_runs)},
       {"unpublished_runs", std::move(unpublished)},
       {"kept", std::move(kept)},
       {"total_objects_deleted", report->dry_run ? total : report->objects_deleted},
       {"total_prefixes_removed", prefixes}},
      ctx.output, out);
  return 0;
}

}  // namespace shardyfusion::cli
