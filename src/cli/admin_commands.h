// shardy's snapshot administration commands (rollback; more to come) as
// library functions in the style of read_commands.h: each opens what it
// needs from the `_CURRENT` URL, prints one result object (output.h) on `out`
// or an error object on `err`, and returns the process exit code.
//
// Thread-safety: the functions share no state.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "cli/read_commands.h"

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

}  // namespace shardyfusion::cli
