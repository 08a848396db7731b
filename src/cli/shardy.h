// The `shardy` command-line tool as a library function, so every command can
// be run and checked in-process (main.cc is a thin wrapper).
//
//   shardy build --input PATH|- --format jsonl|csv|tsv --key-field NAME ...
//   shardy [--current-url URL] [read options] get|multiget|info|shards|route|history ...
//
// Each command is a unit (command.h, commands/): RunShardy sets up the app
// and its shared flags, registers every unit from one table, parses, and runs
// the chosen command.
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

constexpr int kExitOk = 0;
constexpr int kExitError = 1;  // a failed command
constexpr int kExitUsage = 2;

struct ShardyEnvironment {
  // Draw build progress on `err` (main passes isatty(2)).
  bool progress = false;
  // The interactive mode reads its lines with line editing from the
  // terminal (main passes isatty(0) && isatty(1)); else plain lines of `in`.
  bool terminal = false;
  // Environment lookup (SHARDY_CURRENT); null = std::getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

int RunShardy(int argc, const char* const* argv, std::istream& in, std::ostream& out,
              std::ostream& err, const ShardyEnvironment& env = {});

}  // namespace shardyfusion::cli
