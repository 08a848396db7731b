// ManifestStore: publishing, loading, listing and rolling back manifests
// (docs/format/layout.md and docs/format/current.md).

#include <algorithm>

#include "core/clock.h"
#include "core/time_format.h"
#include "manifest/manifest_names.h"
#include "shardyfusion/manifest.h"
#include "storage/lost_reply.h"

namespace shardyfusion {
namespace {

constexpr const char* kManifestName = "manifest";

// The ETag of the pointer as it is now, or "" when there is none.
struct PointerState {
  bool exists = false;
  std::string etag;
};

PutOptions ConditionalPut(const char* content_type, const PointerState& state, bool force) {
  PutOptions options;
  options.content_type = content_type;
  if (force) return options;
  if (state.exists) {
    options.condition = PutCondition::kIfMatch;
    options.if_match = state.etag;
  } else {
    options.condition = PutCondition::kIfAbsent;
  }
  return options;
}

// The pointer as it is now: what a conditional switch compares against.
Result<PointerState> ReadPointerState(ObjectStore& store, const std::string& current_key) {
  Result<std::optional<ObjectInfo>> head = store.Head(current_key);
  if (!head.ok()) return head.status();
  PointerState state;
  if (head->has_value()) state = PointerState{true, (*head)->etag};
  return state;
}

// How a switch of `_CURRENT` ended; kFailed carries the store's error.
struct SwapOutcome {
  enum class Kind { kSwitched, kConflict, kFailed };
  Kind kind = Kind::kSwitched;
  Status cause;
};

// The one switch of `_CURRENT` to `ref`, for publishes and rollbacks alike:
// conditional on `before` (unless `force`), and a write whose reply was lost
// (a retried PUT refused with 412 or timed out although it landed) counts as
// switched when the pointer now holds exactly these bytes, which are unique
// to this call (a microsecond timestamp).
SwapOutcome SwapCurrent(ObjectStore& store, const std::string& current_key, const std::string& ref,
                        const std::string& run_id, const PointerState& before, bool force,
                        Clock& clock) {
  CurrentPointer pointer;
  pointer.manifest_ref = ref;
  pointer.run_id = run_id;
  pointer.updated_at = FormatIsoTimestamp(clock.NowUtc());
  const std::string bytes = SerializeCurrentPointer(pointer);
  Result<std::string> put =
      store.Put(current_key, bytes, ConditionalPut(kCurrentContentType, before, force));
  if (put.ok() || HoldsExactly(store, current_key, bytes)) return {};
  if (put.status().code() == ErrorCode::kPreconditionFailed) {
    return {SwapOutcome::Kind::kConflict, put.status()};
  }
  return {SwapOutcome::Kind::kFailed, put.status()};
}

}  // namespace

ManifestStore::ManifestStore(std::shared_ptr<ObjectStore> store, std::string root_key,
                             std::string current_name, Clock* clock)
    : store_(std::move(store)),
      root_key_(std::move(root_key)),
      current_name_(std::move(current_name)),
      clock_(clock != nullptr ? clock : SystemClock()) {}

std::string ManifestStore::current_key() const { return JoinPath(root_key_, {current_name_}); }

Result<std::string> ManifestStore::Publish(Manifest manifest, const PublishOptions& options) {
  const std::string& run_id = manifest.meta.run_id;
  if (run_id.empty() || run_id.find('/') != std::string::npos) {
    return Status(ErrorCode::kPublishManifest,
                  "Failed to publish manifest: run_id '" + run_id +
                      "' must be non-empty and contain no '/' (it names a directory)",
                  false);
  }
  const SystemTime now = clock_->NowUtc();
  manifest.meta.created_at = FormatIsoTimestamp(now);
  const std::string manifest_key = JoinPath(
      root_key_, {kManifestsDir, FormatDirTimestamp(now) + "_run_id=" + run_id, kManifestName});
  const std::string ref = store_->Url(manifest_key);
  const auto manifest_error = [&](const std::string& cause, bool retryable) {
    return Status(ErrorCode::kPublishManifest, "Failed to publish manifest " + ref + ": " + cause,
                  retryable);
  };

  Result<std::string> bytes = SerializeManifest(manifest);
  if (!bytes.ok()) return bytes.status();

  // (a) Learn which pointer we are replacing before anything is written, so
  // that a publisher who moves it meanwhile is detected at (c).
  PointerState before;
  if (!options.force_last_writer_wins) {
    Result<PointerState> state = ReadPointerState(*store_, current_key());
    if (!state.ok()) {
      return manifest_error(
          "cannot read " + store_->Url(current_key()) + ": " + state.status().ToString(),
          state.status().retryable());
    }
    before = *state;
  }

  // (b) The manifest object. It is immutable: an existing object means two
  // publishes of the same run_id in the same microsecond.
  PutOptions manifest_put;
  manifest_put.content_type = kManifestContentType;
  manifest_put.condition = PutCondition::kIfAbsent;
  Result<std::string> put = store_->Put(manifest_key, *bytes, manifest_put);
  if (!put.ok() && HoldsExactly(*store_, manifest_key, *bytes)) put = std::string();
  if (!put.ok()) {
    if (put.status().code() == ErrorCode::kPreconditionFailed) {
      return manifest_error("an object already exists at that key (run_id and timestamp clash)",
                            true);
    }
    return manifest_error(put.status().ToString(), put.status().retryable());
  }

  // (c) Switch the pointer, conditionally on (a).
  const SwapOutcome swap = SwapCurrent(*store_, current_key(), ref, run_id, before,
                                       options.force_last_writer_wins, *clock_);
  if (swap.kind == SwapOutcome::Kind::kConflict) {
    return Status(ErrorCode::kPublishCurrent,
                  "another publisher moved " + store_->Url(current_key()) +
                      " while this publish ran; the manifest " + ref +
                      " is written but not current, and the other build's snapshot stays "
                      "published (`shardy history` lists both; to publish this data, build "
                      "it again under a new run id)",
                  false)
        .with_manifest_ref(ref);
  }
  if (swap.kind == SwapOutcome::Kind::kFailed) {
    return Status(ErrorCode::kPublishCurrent,
                  "the manifest " + ref + " is written but " + store_->Url(current_key()) +
                      " could not be switched to it: " + swap.cause.ToString(),
                  true)
        .with_manifest_ref(ref);
  }
  return ref;
}

Result<std::optional<CurrentPointer>> ManifestStore::LoadCurrent() {
  Result<std::optional<std::string>> bytes = store_->Get(current_key());
  if (!bytes.ok()) return bytes.status().annotate("reading " + store_->Url(current_key()));
  if (!bytes->has_value()) return std::optional<CurrentPointer>();
  Result<CurrentPointer> pointer = ParseCurrentPointer(**bytes);
  if (!pointer.ok()) return pointer.status().annotate(store_->Url(current_key()));
  return std::optional<CurrentPointer>(std::move(pointer).value());
}

Result<Manifest> ManifestStore::LoadManifest(const std::string& ref) {
  Result<StoreLocation> loc = ResolveInStore(store_, ref);
  if (!loc.ok() || loc->store != store_) {
    // The reference ignores the bucket of a ref and reads the key from its
    // own bucket; following a ref into another store silently is no better.
    return Status(ErrorCode::kManifestParse, "manifest ref " + ref + " is not inside this store (" +
                                                 store_->Url("") + "); refusing to follow it");
  }
  Result<std::optional<std::string>> bytes = store_->Get(loc->key);
  if (!bytes.ok()) return bytes.status().annotate("reading manifest " + ref);
  if (!bytes->has_value()) {
    return Status(ErrorCode::kReaderState, "manifest object not found: " + ref);
  }
  Result<Manifest> manifest = ParseManifest(**bytes);
  if (!manifest.ok()) return manifest.status().annotate(ref);
  return manifest;
}

Result<std::vector<ManifestListing>> ManifestStore::ListManifests(size_t limit) {
  const std::string prefix = JoinPath(root_key_, {kManifestsDir}) + "/";
  Result<ListResult> listed = store_->List(prefix, "/");
  if (!listed.ok()) return listed.status().annotate("listing " + store_->Url(prefix));
  std::vector<ManifestListing> entries;
  for (const std::string& common : listed->common_prefixes) {
    if (!common.starts_with(prefix)) continue;
    const std::string dir = common.substr(prefix.size());
    std::optional<ManifestDirName> parsed = ParseManifestDirName(dir);
    if (!parsed) continue;
    ManifestListing entry;
    entry.ref = store_->Url(JoinPath(root_key_, {kManifestsDir, dir, kManifestName}));
    entry.run_id = std::move(parsed->run_id);
    entry.published_at = std::move(parsed->timestamp);
    entries.push_back(std::move(entry));
  }
  // The fixed-width timestamps order lexicographically in time; stable so
  // that ties keep the listing's (key) order, as the reference's sort does.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const ManifestListing& a, const ManifestListing& b) {
                     return a.published_at > b.published_at;
                   });
  if (entries.size() > limit) entries.resize(limit);
  return entries;
}

Status ManifestStore::SetCurrent(const std::string& ref) {
  std::optional<std::string> run_id = RunIdFromRef(ref);
  if (!run_id) {
    return Status(ErrorCode::kInvalidArgument,
                  "Cannot extract run_id from manifest ref " + ref + " (no 'run_id=' segment)");
  }
  Result<StoreLocation> loc = ResolveInStore(store_, ref);
  if (!loc.ok() || loc->store != store_) {
    return Status(ErrorCode::kInvalidArgument,
                  "manifest ref " + ref + " is not inside this store (" + store_->Url("") + ")");
  }
  Result<std::optional<ObjectInfo>> manifest = store_->Head(loc->key);
  if (!manifest.ok()) return manifest.status().annotate("checking manifest " + ref);
  if (!manifest->has_value()) {
    return Status(ErrorCode::kReaderState, "manifest object not found: " + ref);
  }

  // Rollbacks race like publishes do; the same compare-and-swap guards them.
  Result<PointerState> before = ReadPointerState(*store_, current_key());
  if (!before.ok()) return before.status().annotate("reading " + store_->Url(current_key()));
  const SwapOutcome swap =
      SwapCurrent(*store_, current_key(), ref, *run_id, *before, false, *clock_);
  if (swap.kind != SwapOutcome::Kind::kSwitched) {
    const bool conflict = swap.kind == SwapOutcome::Kind::kConflict;
    return Status(ErrorCode::kPublishCurrent,
                  conflict ? "another publisher moved " + store_->Url(current_key()) +
                                 " while pointing it at " + ref + "; nothing was changed"
                           : "could not point " + store_->Url(current_key()) + " at " + ref + ": " +
                                 swap.cause.ToString(),
                  !conflict)
        .with_manifest_ref(ref);
  }
  return Status::OK();
}

}  // namespace shardyfusion
