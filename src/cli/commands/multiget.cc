// `shardy multiget KEY... | - [--routing-context NAME=VALUE ...]`
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/read_commands.h"
#include "cli/read_flags.h"

namespace shardyfusion::cli {

namespace {

class MultiGetCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* multiget =
        AddReadSubcommand(app, "multiget", "Look up several keys; prints {op, results: [...]}");
    multiget
        ->add_option("KEYS", flags_.keys, "The keys, or - to read them from stdin, one per line")
        ->required();
    AddRoutingContextFlag(multiget, &flags_.routing_context);
    return multiget;
  }

  int Run(const CommandContext& ctx) override {
    Result<ReadContext> read = ToReadContext(ctx, flags_.routing_context);
    if (!read.ok()) return UsageError(ctx.err, "shardy", read.status().message());
    return RunMultiGet(*read, flags_.keys, ctx.in, ctx.out, ctx.err);
  }

 private:
  struct Flags {
    std::vector<std::string> keys;
    std::vector<std::string> routing_context;
  } flags_;
};

}  // namespace

std::unique_ptr<Command> NewMultiGetCommand() { return std::make_unique<MultiGetCommand>(); }

}  // namespace shardyfusion::cli
