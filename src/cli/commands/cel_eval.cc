// `shardy cel eval --expr EXPR [--column NAME:TYPE=VALUE ...]`
#include <CLI/CLI.hpp>

#include "cli/cel_command.h"
#include "cli/commands/commands.h"

namespace shardyfusion::cli {

namespace {

class CelEvalCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* eval =
        CommandGroup(app, "cel", "CEL tools")
            ->add_subcommand("eval",
                             "Evaluate a CEL expression; prints {\"value\": ..., \"type\": ...} "
                             "or {\"error\": ...} (exit 0 either way). Bytes print as base64, "
                             "non-finite doubles as \"NaN\", \"Infinity\", \"-Infinity\"");
    eval->add_option("--expr", flags_.expr, "The expression")->required();
    eval->add_option("--column", flags_.columns,
                     "NAME:TYPE=VALUE, repeatable: a column and its value (int, uint, double, "
                     "string, bytes as base64, bool as true|false)")
        ->allow_extra_args(false);
    return eval;
  }

  int Run(const CommandContext& ctx) override {
    return RunCelEval(flags_.expr, flags_.columns, ctx.out, ctx.err);
  }

 private:
  struct Flags {
    std::string expr;
    std::vector<std::string> columns;
  } flags_;
};

}  // namespace

std::unique_ptr<Command> NewCelEvalCommand() { return std::make_unique<CelEvalCommand>(); }

}  // namespace shardyfusion::cli
