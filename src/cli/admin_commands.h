// shardy's snapshot administration commands (rollback, cleanup) as
// library functions in the style of read_commands.h: each opens what it
// needs from the `_CURRENT` URL, prints one result object (output.h) on `out`
// or an error object on `err`, and returns the process exit code.
//
// Thread-safety: the functions share no state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "cli/read_commands.h"
#include "shardyfusion/maintenance.h"

namespace shardyfusion::cli {

// Which manifest a rollback makes current: exactly one is set.
struct RollbackTarget {
  // A manifest's URL, or its key relative to the snapshot root
  // ("manifests/<ts>_run_id=<id>/manifest").
  std::optional<std::string> ref;
  std::optional<std::string> run_id;  // that run's newest manifest, all history searched
  std::optional<uint64_t> offset;     // the Nth newest manifest (0 = latest)
};

// `shardy rollback`: points `_CURRENT` at the target manifest with the
// same conditional swap a publish uses (a publisher that moved `_CURRENT`
// meanwhile is reported, never overwritten), after checking that the
// manifest loads and validates. Moves no data. A target that is already
// current changes nothing. Exit 0, or 1 with an error object.
int RunRollback(const ReadContext& ctx, const RollbackTarget& target, std::ostream& out,
                std::ostream& err);

// `shardy cleanup`: CleanupSnapshot (maintenance.h) on the snapshot of
// `ctx.current_url`, with `options` (its s3_prefix and store are filled
// in). Prints {"op":"cleanup", "dry_run", "run_id" (the current run),
// "stale_attempts": [{db_id, prefix_url, objects_deleted}], "old_runs",
// "unpublished_runs": [{run_id, objects_deleted, manifests, run_records,
// reason}], "kept": [{run_id, reason}], "total_objects_deleted",
// "total_prefixes_removed"}; in a dry run the counts are what would go.
int RunCleanup(const ReadContext& ctx, CleanupOptions options, std::ostream& out,
               std::ostream& err);

// "7d", "24h", "30m", "90s" (or plain seconds) as seconds; nullopt when
// malformed.
std::optional<std::chrono::seconds> ParseDuration(std::string_view text);

}  // namespace shardyfusion::cli
