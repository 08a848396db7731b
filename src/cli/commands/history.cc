// `shardy history [--limit N]`: published manifests, newest first.
#include <CLI/CLI.hpp>
#include <cstdint>

#include "cli/commands/commands.h"
#include "cli/read_commands.h"
#include "cli/read_flags.h"

namespace shardyfusion::cli {

namespace {

class HistoryCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* history = AddReadSubcommand(
        app, "history", "List published manifests, newest first (offset 0 = latest)");
    history->add_option("--limit", flags_.limit, "Maximum number of manifests to list")
        ->capture_default_str();
    return history;
  }

  int Run(const CommandContext& ctx) override {
    Result<ReadContext> read = ToReadContext(ctx);
    if (!read.ok()) return UsageError(ctx.err, "shardy", read.status().message());
    return RunHistory(*read, flags_.limit, ctx.out, ctx.err);
  }

 private:
  struct Flags {
    uint64_t limit = 10;
  } flags_;
};

}  // namespace

std::unique_ptr<Command> NewHistoryCommand() { return std::make_unique<HistoryCommand>(); }

}  // namespace shardyfusion::cli
