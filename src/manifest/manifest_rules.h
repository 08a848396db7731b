// The validation rules every manifest obeys (docs/format/manifest.md,
// "Validation"), shared by the builder (which refuses to publish a manifest a
// reader would reject) and the parser.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "shardyfusion/manifest.h"

namespace shardyfusion {

// The rules of spec 2.7 that apply to an already-typed manifest, in order:
// field ranges and sharding (rule 2), format_version (rule 3), shard coverage
// (rule 4) and the categorical shard count (rule 5). On failure returns false
// and sets *rule to a description of the violated rule and the offending
// value, e.g. "num_dbs must be > 0 (got 0)".
bool CheckManifestRules(const Manifest& manifest, std::string* rule);

}  // namespace shardyfusion
