// Test helpers for the databases real SlateDB wrote
// (tests/fixtures/slatedb/<scenario>/: db/, expected.jsonl, absent.txt).
//
// Thread-safety: plain functions reading files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "backend/slatedb/fixture_files.h"

namespace shardyfusion::slatedb {

inline std::string FixtureDir(const std::string& scenario) {
  return std::string(SHARDY_SOURCE_DIR) + "/tests/fixtures/slatedb/" + scenario;
}

// key -> value as real SlateDB's full scan reported them (empty if unreadable).
inline std::map<std::string, std::string> FixtureExpected(const std::string& scenario) {
  return ReadExpectedJsonl(FixtureDir(scenario) + "/expected.jsonl")
      .value_or(std::map<std::string, std::string>());
}

// Keys real SlateDB reports as missing (including deleted ones).
inline std::vector<std::string> FixtureAbsent(const std::string& scenario) {
  return ReadBase64Keys(FixtureDir(scenario) + "/absent.txt").value_or(std::vector<std::string>());
}

}  // namespace shardyfusion::slatedb
