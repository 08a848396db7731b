// Command units on their own: registered into a bare app, parsed and run
// without RunShardy's table.
#include "cli/commands/commands.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <sstream>

#include "cli/read_flags.h"

namespace shardyfusion::cli {
namespace {

// Parses `args` (without the program name) as a command line.
void Parse(CLI::App& app, std::vector<std::string> args) {
  args.insert(args.begin(), "shardy");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

struct Streams {
  std::istringstream in;
  std::ostringstream out, err;
};

TEST(CliCommandTest, AUnitRegistersParsesAndRunsOnItsOwn) {
  CLI::App app;
  std::unique_ptr<Command> eval = NewCelEvalCommand();
  CLI::App* sub = eval->Register(app);
  Parse(app, {"cel", "eval", "--expr", "x * 3", "--column", "x:int=2"});
  ASSERT_TRUE(sub->parsed());
  EXPECT_EQ(eval->own_s3_flags(), nullptr);

  Streams s;
  const ShardyEnvironment env;
  const GetEnvFn getenv = [](const std::string&) { return std::optional<std::string>(); };
  const ReadFlags read;
  const S3Config s3;
  EXPECT_EQ(eval->Run(CommandContext{s.in, s.out, s.err, env, getenv, read, s3}), kExitOk);
  EXPECT_EQ(s.out.str(), "{\"value\":6,\"type\":\"int\"}\n");
  EXPECT_EQ(s.err.str(), "");
}

TEST(CliCommandTest, ReadUnitsTakeTheAppsReadFlagsAndNeedASnapshot) {
  CLI::App app;
  ReadFlags read;
  AddReadFlags(app, &read);
  std::unique_ptr<Command> info = NewInfoCommand();
  CLI::App* sub = info->Register(app);
  // After the subcommand too: read subcommands fall through to the app.
  Parse(app, {"info", "--output-format", "json"});
  ASSERT_TRUE(sub->parsed());
  EXPECT_EQ(read.output_format, "json");

  Streams s;
  const ShardyEnvironment env;
  const GetEnvFn getenv = [](const std::string&) { return std::optional<std::string>(); };
  const S3Config s3;
  EXPECT_EQ(info->Run(CommandContext{s.in, s.out, s.err, env, getenv, read, s3}), kExitUsage);
  EXPECT_EQ(s.err.str(),
            "shardy: no snapshot given: pass --current-url URL (the full URL of _CURRENT), set "
            "SHARDY_CURRENT, or set [reader] current_url in reader.toml (--config)\nRun with "
            "--help for more information.\n");
}

TEST(CliCommandTest, BuildTakesS3FlagsOfItsOwn) {
  CLI::App app;
  std::unique_ptr<Command> build = NewBuildCommand();
  build->Register(app);
  Parse(app, {"build", "--input", "x", "--format", "jsonl", "--key-field", "id", "--key-type",
              "int", "--prefix", "/tmp/x", "--num-dbs", "1", "--profile", "p"});
  ASSERT_NE(build->own_s3_flags(), nullptr);
  EXPECT_EQ(build->own_s3_flags()->profile, "p");
}

TEST(CliCommandTest, AGroupIsAddedOnceForAllItsUnits) {
  CLI::App app;
  CLI::App* cel = CommandGroup(app, "cel", "CEL tools");
  EXPECT_EQ(CommandGroup(app, "cel", "ignored"), cel);
  EXPECT_EQ(cel->get_description(), "CEL tools");
  EXPECT_EQ(cel->get_require_subcommand_min(), 1u);
}

}  // namespace
}  // namespace shardyfusion::cli
