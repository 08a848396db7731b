// Test helpers for the databases real SlateDB wrote
// (tests/fixtures/slatedb/<scenario>/: db/, expected.jsonl, absent.txt).
//
// Thread-safety: plain functions reading files.
#pragma once

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/value_codec.h"

namespace shardyfusion::slatedb {

inline std::string FixtureDir(const std::string& scenario) {
  return std::string(SHARDY_SOURCE_DIR) + "/tests/fixtures/slatedb/" + scenario;
}

// key -> value as real SlateDB's full scan reported them.
inline std::map<std::string, std::string> FixtureExpected(const std::string& scenario) {
  std::map<std::string, std::string> out;
  std::ifstream in(FixtureDir(scenario) + "/expected.jsonl");
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    out[cli::Base64Decode(j["k"].get<std::string>()).value()] =
        cli::Base64Decode(j["v"].get<std::string>()).value();
  }
  return out;
}

// Keys real SlateDB reports as missing (including deleted ones).
inline std::vector<std::string> FixtureAbsent(const std::string& scenario) {
  std::vector<std::string> out;
  std::ifstream in(FixtureDir(scenario) + "/absent.txt");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(cli::Base64Decode(line).value());
  }
  return out;
}

}  // namespace shardyfusion::slatedb
