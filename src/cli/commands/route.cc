// `shardy route KEY [--routing-context NAME=VALUE ...]`: the shard a key
// routes to.
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/read_commands.h"
#include "cli/read_flags.h"

namespace shardyfusion::cli {

namespace {

class RouteCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* route = AddReadSubcommand(app, "route", "Print the shard id a key routes to");
    route->add_option("KEY", flags_.key, "The key (an integer for u64be/u32be snapshots)")
        ->required();
    AddRoutingContextFlag(route, &flags_.routing_context);
    return route;
  }

  int Run(const CommandContext& ctx) override {
    Result<ReadContext> read = ToReadContext(ctx, flags_.routing_context);
    if (!read.ok()) return UsageError(ctx.err, "shardy", read.status().message());
    return RunRoute(*read, flags_.key, ctx.out, ctx.err);
  }

 private:
  struct Flags {
    std::string key;
    std::vector<std::string> routing_context;
  } flags_;
};

}  // namespace

std::unique_ptr<Command> NewRouteCommand() { return std::make_unique<RouteCommand>(); }

}  // namespace shardyfusion::cli
