// `shardy rollback (--ref REF | --run-id RUN_ID | --offset N)`: point
// `_CURRENT` at an earlier manifest.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/admin_commands.h"
#include "cli/commands/commands.h"
#include "cli/read_flags.h"

namespace shardyfusion::cli {

namespace {

constexpr const char* kRollbackFooter =
    "Exactly one selector. The manifest must load and validate; _CURRENT is switched with the "
    "same conditional write a publish uses, so a publisher that moved it meanwhile is reported "
    "(exit 1) and nothing is overwritten. No data moves; the manifests and shards of every run "
    "stay.\n\nExamples:\n"
    "  shardy --current-url file:///data/snap/_CURRENT rollback --offset 1   # the one before\n"
    "  shardy --current-url s3://bkt/snap/_CURRENT rollback --run-id 2026-12-03";

class RollbackCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = AddReadSubcommand(
        app, "rollback", "Point _CURRENT at an earlier published manifest (see `history`)");
    sub->footer(kRollbackFooter);
    CLI::Option* ref =
        sub->add_option("--ref", ref_,
                        "The manifest: its full URL, or its key under the snapshot root "
                        "(manifests/<ts>_run_id=<id>/manifest)");
    CLI::Option* run_id = sub->add_option("--run-id", run_id_, "The newest manifest of this run");
    CLI::Option* offset =
        sub->add_option("--offset", offset_, "The Nth newest manifest (0 = latest)");
    ref->excludes(run_id)->excludes(offset);
    run_id->excludes(offset);
    ref_option_ = ref;
    run_id_option_ = run_id;
    offset_option_ = offset;
    return sub;
  }

  int Run(const CommandContext& ctx) override {
    const size_t given = ref_option_->count() + run_id_option_->count() + offset_option_->count();
    if (given != 1) {
      return UsageError(ctx.err, "shardy rollback",
                        "give exactly one of --ref, --run-id and --offset");
    }
    Result<ReadContext> read = ToReadContext(ctx);
    if (!read.ok()) return UsageError(ctx.err, "shardy", read.status().message());
    RollbackTarget target;
    if (ref_option_->count() > 0) target.ref = ref_;
    if (run_id_option_->count() > 0) target.run_id = run_id_;
    if (offset_option_->count() > 0) target.offset = offset_;
    return RunRollback(*read, target, ctx.out, ctx.err);
  }

 private:
  std::string ref_;
  std::string run_id_;
  uint64_t offset_ = 0;
  CLI::Option* ref_option_ = nullptr;
  CLI::Option* run_id_option_ = nullptr;
  CLI::Option* offset_option_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> NewRollbackCommand() { return std::make_unique<RollbackCommand>(); }

}  // namespace shardyfusion::cli
