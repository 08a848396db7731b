// One `shardy` subcommand as a unit, the way RocksDB's ldb tool has one
// command class per command: the unit owns its flags, adds its subcommand
// with those flags and their help text to the app (Register), and, when the
// parsed command line names that subcommand, runs it (Run) and returns the
// exit code. RunShardy (shardy.h) registers every unit from one table; a new
// command is one unit (commands/commands.h) and one line in that table.
//
// The flag groups several commands share belong to the app, not to a unit:
// the S3 flags (s3_flags.h) and the read flags (read_flags.h), given before
// the subcommand. RunShardy resolves the S3 flags, merged with the unit's own
// if it has some, before Run: a problem with them is a usage error whatever
// the command.
//
// Thread-safety: a Command serves one RunShardy call; distinct calls use
// distinct units.
#pragma once

#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "cli/s3_flags.h"
#include "cli/shardy.h"
#include "shardyfusion/s3.h"

namespace CLI {
class App;
}

namespace shardyfusion::cli {

struct ReadFlags;  // read_flags.h

// What a command runs with: its streams, the environment, and the app's
// shared flags.
struct CommandContext {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  const ShardyEnvironment& env;
  const GetEnvFn& getenv;  // env.getenv, else the process environment
  const ReadFlags& read;   // as typed; read commands resolve them (ToReadContext)
  const S3Config& s3;      // resolved
};

class Command {
 public:
  virtual ~Command() = default;

  // Adds the command's subcommand, its flags (bound to this unit) and help
  // to `app`, and returns the subcommand; Run is called when the parse
  // selects it. REQUIRES: called once, before the parse.
  virtual CLI::App* Register(CLI::App& app) = 0;

  // S3 flags the command also takes after its name, merged over the app's
  // (MergeS3Flags); null when it takes none.
  virtual const S3Flags* own_s3_flags() const { return nullptr; }

  // Runs the parsed command: prints its result on ctx.out, problems on
  // ctx.err, and returns the exit code.
  virtual int Run(const CommandContext& ctx) = 0;
};

using CommandFactory = std::unique_ptr<Command> (*)();

// Prints "<who>: <message>" and the --help hint on `err`; returns kExitUsage.
int UsageError(std::ostream& err, std::string_view who, std::string_view message);

// The subcommand `name` of `app` that groups commands (`cel` for `cel eval`
// and any later `cel ...`): added, with `description` and requiring one of
// its subcommands, by the first unit that asks for it.
CLI::App* CommandGroup(CLI::App& app, const std::string& name, const std::string& description);

}  // namespace shardyfusion::cli
