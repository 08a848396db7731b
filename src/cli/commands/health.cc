// `shardy health [--staleness-threshold SECONDS]`: is the snapshot readable
// and fresh? Exit 0 healthy, 1 degraded, 2 unhealthy.
#include <CLI/CLI.hpp>
#include <cstdint>

#include "cli/commands/commands.h"
#include "cli/read_commands.h"
#include "cli/read_flags.h"

namespace shardyfusion::cli {

namespace {

constexpr const char* kHealthFooter =
    "Exit 0 healthy; 1 degraded: the snapshot was published longer ago than "
    "--staleness-threshold, or an older manifest is served because the one _CURRENT names is "
    "malformed; 2 unhealthy: the snapshot cannot be opened. The result says why.\n\nExamples:\n"
    "  shardy --current-url s3://bkt/snap/_CURRENT health --staleness-threshold 90000\n"
    "  shardy --current-url file:///data/snap/_CURRENT --output-format text health";

class HealthCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = AddReadSubcommand(app, "health", "Check that the snapshot opens and is fresh");
    sub->footer(kHealthFooter);
    threshold_option_ = sub->add_option("--staleness-threshold", threshold_,
                                        "Degraded when the snapshot was published more than "
                                        "SECONDS ago (default: no limit)");
    return sub;
  }

  int Run(const CommandContext& ctx) override {
    Result<ReadContext> read = ToReadContext(ctx);
    if (!read.ok()) return UsageError(ctx.err, "shardy", read.status().message());
    std::optional<uint64_t> threshold;
    if (threshold_option_->count() > 0) threshold = threshold_;
    return RunHealth(*read, threshold, ctx.out, ctx.err);
  }

 private:
  uint64_t threshold_ = 0;
  CLI::Option* threshold_option_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> NewHealthCommand() { return std::make_unique<HealthCommand>(); }

}  // namespace shardyfusion::cli
