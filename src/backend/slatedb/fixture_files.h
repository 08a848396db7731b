// The two text files that describe a SlateDB database's contents, as the
// real-SlateDB oracle writes them (tools/slatedb-oracle, tests/fixtures/
// slatedb): `expected.jsonl`, one {"k": base64, "v": base64} per line, and a
// key list such as `absent.txt`, one base64 key per line. Read by the tests
// and by slatedb_interop.
//
// Thread-safety: plain functions reading files.
#pragma once

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/base64.h"

namespace shardyfusion::slatedb {

// key -> value, or nullopt if the file is missing or a line is malformed.
inline std::optional<std::map<std::string, std::string>> ReadExpectedJsonl(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::map<std::string, std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j["k"].is_string() || !j["v"].is_string()) return std::nullopt;
    std::optional<std::string> k = Base64Decode(j["k"].get<std::string>());
    std::optional<std::string> v = Base64Decode(j["v"].get<std::string>());
    if (!k || !v) return std::nullopt;
    out[std::move(*k)] = std::move(*v);
  }
  return out;
}

// The keys, or nullopt if the file is missing or a line is not base64.
inline std::optional<std::vector<std::string>> ReadBase64Keys(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::optional<std::string> k = Base64Decode(line);
    if (!k) return std::nullopt;
    out.push_back(std::move(*k));
  }
  return out;
}

}  // namespace shardyfusion::slatedb
