// A run id must be unused before a build writes under it (run_id_check.h).
#include "writer/run_id_check.h"

#include <functional>
#include <optional>
#include <string>

#include "manifest/manifest_names.h"

namespace shardyfusion {
namespace {

bool IsHex32(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The first common prefix under `dir`/ whose name `owned` accepts.
Result<std::optional<std::string>> FindDir(ObjectStore& store, const std::string& dir,
                                           const std::function<bool(std::string_view)>& owned) {
  Result<ListResult> listed = store.List(dir + "/", "/");
  if (!listed.ok()) return listed.status();
  for (const std::string& p : listed->common_prefixes) {
    std::string_view name(p);
    name.remove_prefix(dir.size() + 1);
    if (owned(name)) return std::optional<std::string>(p);
  }
  return std::optional<std::string>();
}

}  // namespace

Status CheckRunIdUnused(ObjectStore& store, std::string_view root_key,
                        std::string_view shard_prefix, std::string_view runs_prefix,
                        std::string_view run_id) {
  const std::string run_dir = "run_id=" + std::string(run_id);
  std::optional<std::string> found;
  std::string what;
  {
    // The shard directory: any object at all under it.
    const std::string shards = JoinPath(root_key, {shard_prefix, run_dir});
    Result<ListResult> listed = store.List(shards + "/", "/");
    if (!listed.ok()) return listed.status();
    if (!listed->common_prefixes.empty()) {
      found = listed->common_prefixes.front();
    } else if (!listed->objects.empty()) {
      found = listed->objects.front().key;
    }
    what = "shard objects";
  }
  if (!found) {
    Result<std::optional<std::string>> m =
        FindDir(store, JoinPath(root_key, {kManifestsDir}), [&](std::string_view name) {
          std::optional<ManifestDirName> parsed = ParseManifestDirName(name);
          return parsed && parsed->run_id == run_id;
        });
    if (!m.ok()) return m.status();
    found = *m;
    what = "a manifest";
  }
  if (!found) {
    // <ts>_run_id=<id>_<uuid4 hex>: the run id is what precedes the uuid.
    Result<std::optional<std::string>> r =
        FindDir(store, JoinPath(root_key, {runs_prefix}), [&](std::string_view name) {
          std::optional<ManifestDirName> parsed = ParseManifestDirName(name);
          if (!parsed || parsed->run_id.size() != run_id.size() + 33) return false;
          const std::string_view rest(parsed->run_id);
          return rest.starts_with(run_id) && rest[run_id.size()] == '_' &&
                 IsHex32(rest.substr(run_id.size() + 1));
        });
    if (!r.ok()) return r.status();
    found = *r;
    what = "a run record";
  }
  if (!found) return Status::OK();
  return Status(ErrorCode::kConfigValidation,
                "run_id \"" + std::string(run_id) + "\" is already used under " +
                    store.Url(root_key) + ": it has " + what + " (" + store.Url(*found) +
                    "). A build never writes into an existing run, which may be a published "
                    "snapshot; choose a new run id, or leave it unset for a fresh one");
}

Status CheckRunNotPublished(ObjectStore& store, std::string_view root_key,
                            std::string_view run_id) {
  Result<std::optional<std::string>> m =
      FindDir(store, JoinPath(root_key, {kManifestsDir}), [&](std::string_view name) {
        std::optional<ManifestDirName> parsed = ParseManifestDirName(name);
        return parsed && parsed->run_id == run_id;
      });
  if (!m.ok()) return m.status();
  if (!*m) return Status::OK();
  return Status(ErrorCode::kConfigValidation,
                "run_id \"" + std::string(run_id) + "\" is published under " + store.Url(root_key) +
                    " (" + store.Url(**m) +
                    "): a published run is never staged into or published again; choose a new "
                    "run id");
}

}  // namespace shardyfusion
