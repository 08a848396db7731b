// `shardy publish --prefix P --run-id R`: publishes a run staged by
// `shardy build --no-publish` processes (RunPublish, cli/build_command.h).
#include <CLI/CLI.hpp>
#include <string>

#include "cli/build_command.h"
#include "cli/commands/commands.h"
#include "cli/s3_flags.h"

namespace shardyfusion::cli {

namespace {

constexpr const char* kPublishFooter =
    "Every shard 0..num_dbs-1 of the run must be staged (a missing one is a ShardCoverage error "
    "naming it) and all staged shards must agree on the sharding, key encoding and layout (a "
    "ConfigValidation error otherwise). A shard staged twice (a retried task) has two "
    "attempts: the lowest wins, the other is deleted, as are attempts claimed by stagers that "
    "died and the staging records. Run it once every stager has finished. Nothing is deleted "
    "when it fails: stage what is missing and publish again.\n\nExample:\n"
    "  printf '0-3\\n4-7\\n' | xargs -P 2 -I{} shardy build --input events.jsonl --format jsonl "
    "--key-field id --key-type int --num-dbs 8 --prefix ./snap --run-id r1 --no-publish "
    "--only-shards {}\n"
    "  shardy publish --prefix ./snap --run-id r1";

class PublishCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* publish = app.add_subcommand(
        "publish", "Publish a run whose shards were staged by `shardy build --no-publish`.");
    publish->footer(kPublishFooter);
    publish
        ->add_option("--prefix", flags_.prefix,
                     "Snapshot root the run was staged under: s3://bucket/prefix, a directory, "
                     "or a file:// URL")
        ->required();
    publish->add_option("--run-id", flags_.run_id, "The staged run's id")->required();
    AddS3Flags(*publish, &flags_.s3);
    return publish;
  }

  const S3Flags* own_s3_flags() const override { return &flags_.s3; }

  int Run(const CommandContext& ctx) override {
    return RunPublish(flags_.prefix, flags_.run_id, ctx.s3, ctx.out, ctx.err);
  }

 private:
  struct Flags {
    std::string prefix;
    std::string run_id;
    S3Flags s3;
  } flags_;
};

}  // namespace

std::unique_ptr<Command> NewPublishCommand() { return std::make_unique<PublishCommand>(); }

}  // namespace shardyfusion::cli
