// `shardy cleanup [--dry-run] [--include-old-runs] [--older-than D]
// [--keep-last N] [--max-retries N]`: delete what no kept manifest needs.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/admin_commands.h"
#include "cli/commands/commands.h"
#include "cli/read_flags.h"

namespace shardyfusion::cli {

namespace {

constexpr const char* kCleanupFooter =
    "Always: the objects of published runs that their manifest does not name (losing attempts, "
    "attempts of builds that died) and unpublished runs whose run records show every build "
    "ended more than 24 h ago (or --older-than). With --include-old-runs, --older-than or "
    "--keep-last: also the published runs not kept (kept = the runs with a manifest that meet "
    "every given flag, plus the one _CURRENT names), with their manifests and run records. "
    "Never: anything a kept manifest or _CURRENT references, or a run whose run-record lease "
    "is live (a build in progress), also after a rollback. A run with no run record and no "
    "manifest is kept. --dry-run prints the same result and deletes nothing (docs/cleanup.md)."
    "\n\nExamples:\n"
    "  shardy --current-url s3://bkt/snap/_CURRENT cleanup --dry-run\n"
    "  shardy --current-url s3://bkt/snap/_CURRENT cleanup --keep-last 5 --older-than 7d";

class CleanupCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = AddReadSubcommand(
        app, "cleanup", "Delete losing and orphaned attempts, dead runs and (optionally) old runs");
    sub->footer(kCleanupFooter);
    sub->add_flag("--dry-run", options_.dry_run, "List what would be deleted; delete nothing");
    sub->add_flag("--include-old-runs", options_.include_old_runs,
                  "Also delete published runs that are not kept, with their manifests and run "
                  "records");
    older_than_option_ = sub->add_option(
        "--older-than", older_than_,
        "Keep only runs with a manifest published within DURATION (7d, 24h, 30m, 90s); implies "
        "old-runs mode. Unpublished runs must have ended longer ago than it");
    keep_last_option_ = sub->add_option("--keep-last", keep_last_,
                                        "Keep only the runs of the N newest manifests; implies "
                                        "old-runs mode")
                            ->check(CLI::Range(uint64_t{1}, UINT64_MAX));
    max_retries_option_ =
        sub->add_option("--max-retries", max_retries_, "S3 retries per request (default 5)")
            ->check(CLI::Range(0, 100));
    return sub;
  }

  int Run(const CommandContext& ctx) override {
    CleanupOptions options = options_;
    if (older_than_option_->count() > 0) {
      options.older_than = ParseDuration(older_than_);
      if (!options.older_than) {
        return UsageError(
            ctx.err, "shardy cleanup",
            "--older-than takes a duration like 7d, 24h, 30m or 90s, not \"" + older_than_ + "\"");
      }
    }
    if (keep_last_option_->count() > 0) options.keep_last = keep_last_;
    Result<ReadContext> read = ToReadContext(ctx);
    if (!read.ok()) return UsageError(ctx.err, "shardy", read.status().message());
    if (max_retries_option_->count() > 0) read->s3.options.max_attempts = max_retries_ + 1;
    return RunCleanup(*read, options, ctx.out, ctx.err);
  }

 private:
  CleanupOptions options_;
  std::string older_than_;
  uint64_t keep_last_ = 0;
  int max_retries_ = 5;
  CLI::Option* older_than_option_ = nullptr;
  CLI::Option* keep_last_option_ = nullptr;
  CLI::Option* max_retries_option_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> NewCleanupCommand() { return std::make_unique<CleanupCommand>(); }

}  // namespace shardyfusion::cli
