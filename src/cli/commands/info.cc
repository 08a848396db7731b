// `shardy info`: the snapshot's metadata.
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/read_commands.h"
#include "cli/read_flags.h"

namespace shardyfusion::cli {

namespace {

class InfoCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    return AddReadSubcommand(app, "info", "Show the snapshot's metadata");
  }

  int Run(const CommandContext& ctx) override {
    Result<ReadContext> read = ToReadContext(ctx);
    if (!read.ok()) return UsageError(ctx.err, "shardy", read.status().message());
    return RunInfo(*read, ctx.out, ctx.err);
  }
};

}  // namespace

std::unique_ptr<Command> NewInfoCommand() { return std::make_unique<InfoCommand>(); }

}  // namespace shardyfusion::cli
