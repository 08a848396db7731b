#include "cli/admin_commands.h"

#include <fmt/format.h>

#include <cstdint>

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

}  // namespace shardyfusion::cli
