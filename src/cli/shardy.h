// The `shardy` command-line tool as a library function, so every command can
// be run and checked in-process (main.cc is a thin wrapper).
//
//   shardy build --input PATH|- --format jsonl|csv|tsv --key-field NAME ...
//   shardy [--current-url URL] [read options] get|multiget|info|shards|route|history ...
//
// Exit codes: 0 success; 1 a failed command (bad input, library error, or a
// `get --strict` miss); 2 a usage error.
//
// Thread-safety: RunShardy keeps no global state apart from reading the
// environment through ShardyEnvironment::getenv.
#pragma once

#include <functional>
#include <istream>
#include <optional>
#include <ostream>
#include <string>

namespace shardyfusion::cli {

struct ShardyEnvironment {
  // Draw build progress on `err` (main passes isatty(2)).
  bool progress = false;
  // Environment lookup (SHARDY_CURRENT); null = std::getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

int RunShardy(int argc, const char* const* argv, std::istream& in, std::ostream& out,
              std::ostream& err, const ShardyEnvironment& env = {});

}  // namespace shardyfusion::cli
