// The rule that keeps a published snapshot immutable against a rerun: a
// build may only write under a run id that has no objects under the prefix
// yet. A run id names the build's shard directory
// (<shard_prefix>/run_id=<id>/), its manifest directory
// (manifests/<ts>_run_id=<id>/) and its run record
// (<runs>/<ts>_run_id=<id>_<uuid>/); any of them existing means another
// build (maybe a published snapshot) already owns the id, and writing into
// its shard directory would overwrite or, on cleanup, delete its objects.
//
// A build with a fresh run id (none configured: a new uuid4) cannot collide
// and is not checked. Writing into a run id on purpose (staging shards of
// one run from several processes, resuming a killed build) is to be an
// explicit mode of its own that names what it may touch (staged builds:
// CheckRunNotPublished); no setting turns this check off.
//
// Thread-safety: pure function over store I/O (three listings).
#pragma once

#include <string_view>

#include "shardyfusion/object_store.h"
#include "shardyfusion/status.h"

namespace shardyfusion {

// OK if nothing under `root_key` belongs to `run_id`; otherwise a
// kConfigValidation error naming the run id and the first object found,
// and saying what to do. A listing failure is returned as is.
Status CheckRunIdUnused(ObjectStore& store, std::string_view root_key,
                        std::string_view shard_prefix, std::string_view runs_prefix,
                        std::string_view run_id);

// The staged modes' rule (WriteConfig::stage_only, PublishStagedRun): the
// run may hold staged shards, but OK only if no manifest of `run_id`
// exists; otherwise a kConfigValidation error naming it.
Status CheckRunNotPublished(ObjectStore& store, std::string_view root_key, std::string_view run_id);

}  // namespace shardyfusion
