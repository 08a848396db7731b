// `shardy shards`: every shard's row count, key range and URL.
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/read_commands.h"
#include "cli/read_flags.h"

namespace shardyfusion::cli {

namespace {

class ShardsCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    return AddReadSubcommand(app, "shards", "List every shard: row count, key range, URL");
  }

  int Run(const CommandContext& ctx) override {
    Result<ReadContext> read = ToReadContext(ctx);
    if (!read.ok()) return UsageError(ctx.err, "shardy", read.status().message());
    return RunShards(*read, ctx.out, ctx.err);
  }
};

}  // namespace

std::unique_ptr<Command> NewShardsCommand() { return std::make_unique<ShardsCommand>(); }

}  // namespace shardyfusion::cli
