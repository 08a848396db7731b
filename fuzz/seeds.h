// The seed corpus of each fuzz target, derived from the databases real
// SlateDB wrote (tests/fixtures/slatedb/<scenario>/db/): whole manifests and
// SSTs, and the SsTableInfos, indexes, filters, blocks and compressed
// sections cut from them; plus a few inputs made here for what the fixtures
// lack (V2 manifests, V1 blocks and SSTs, Composite filters, every codec).
// Nothing large is committed: the seeds are rebuilt from the fixtures.
// The CEL target's seeds are expressions, committed in cel_seeds.cc.
//
// Thread-safety: stateless functions reading files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shardyfusion::slatedb::fuzz {

// The targets that have seeds: "manifest", "sst_info", "sst_index", "block",
// "bloom", "compression", "sst", "db", "cel" (expressions, from
// cel_seeds.cc; it needs no fixtures) and "records" (input records for
// `shardy build`, made in seeds.cc).
const std::vector<std::string>& FuzzTargetNames();

// The seeds of `target`, in a fixed order. `fixtures_dir` is
// tests/fixtures/slatedb. Unknown targets have none.
std::vector<std::string> FuzzSeeds(std::string_view target, const std::string& fixtures_dir);

// fuzz_cel's seed expressions (cel_seeds.cc, generated from the CEL
// conformance tests by tools/cel-conformance/fuzz_seeds.mjs).
std::vector<std::string> CelSeeds();

}  // namespace shardyfusion::slatedb::fuzz
