// `shardy get KEY [--strict] [--routing-context NAME=VALUE ...]`
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/read_commands.h"
#include "cli/read_flags.h"

namespace shardyfusion::cli {

namespace {

class GetCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* get =
        AddReadSubcommand(app, "get", "Look up one key; prints {op, key, found, value}");
    get->add_option("KEY", flags_.key, "The key (an integer for u64be/u32be snapshots)")
        ->required();
    get->add_flag("--strict", flags_.strict, "Exit 1 when the key is not found");
    AddRoutingContextFlag(get, &flags_.routing_context);
    return get;
  }

  int Run(const CommandContext& ctx) override {
    Result<ReadContext> read = ToReadContext(ctx, flags_.routing_context);
    if (!read.ok()) return UsageError(ctx.err, "shardy", read.status().message());
    return RunGet(*read, flags_.key, flags_.strict, ctx.out, ctx.err);
  }

 private:
  struct Flags {
    std::string key;
    bool strict = false;
    std::vector<std::string> routing_context;
  } flags_;
};

}  // namespace

std::unique_ptr<Command> NewGetCommand() { return std::make_unique<GetCommand>(); }

}  // namespace shardyfusion::cli
