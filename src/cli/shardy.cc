#include "cli/shardy.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "cli/commands/commands.h"
#include "cli/read_flags.h"
#include "cli/reader_config.h"
#include "cli/repl.h"
#include "cli/s3_flags.h"

#ifndef SHARDY_VERSION
#define SHARDY_VERSION "unknown"
#endif

namespace shardyfusion::cli {

namespace {

// Every command, in the order `shardy --help` lists them. A new command is a
// unit in commands/ and one line here.
constexpr CommandFactory kCommands[] = {
    NewBuildCommand,   NewPublishCommand,  NewGetCommand,     NewMultiGetCommand,
    NewInfoCommand,    NewShardsCommand,   NewRouteCommand,   NewHistoryCommand,
    NewCelEvalCommand, NewRollbackCommand, NewCleanupCommand, NewHealthCommand,
};

// The top-level app: its help, version and the flags shared by the commands.
void SetUpApp(CLI::App& app, ReadFlags* read, S3Flags* s3) {
  app.set_version_flag("--version", std::string("shardy ") + SHARDY_VERSION,
                       "Print the version and exit");
  app.require_subcommand(0, 1);  // none: the interactive mode (repl.h)
  app.footer(
      "Read commands take the global options before the subcommand, e.g.\n"
      "  shardy --current-url file:///data/snap/_CURRENT get 42\n"
      "Keys are read as the snapshot's key encoding needs: integers for u64be/u32be, text "
      "otherwise.\nExit codes: 0 ok, 1 failure (get --strict: also not found), 2 usage error.");
  AddReadFlags(app, read);
  AddS3Flags(app, s3);
}

std::optional<std::string> LookupEnv(const ShardyEnvironment& env, const std::string& name) {
  if (env.getenv) return env.getenv(name);
  const char* v = std::getenv(name.c_str());
  return v ? std::optional<std::string>(v) : std::nullopt;
}

// A registered command and the subcommand it registered.
struct Registered {
  std::unique_ptr<Command> command;
  CLI::App* subcommand;
};

}  // namespace

int RunShardy(int argc, const char* const* argv, std::istream& in, std::ostream& out,
              std::ostream& err, const ShardyEnvironment& env) {
  CLI::App app("Build and query shardyfusion snapshots: immutable, sharded key-value stores.",
               "shardy");
  ReadFlags read;
  S3Flags s3_flags;
  SetUpApp(app, &read, &s3_flags);
  std::vector<Registered> commands;
  for (CommandFactory make : kCommands) {
    std::unique_ptr<Command> command = make();
    CLI::App* subcommand = command->Register(app);
    commands.push_back({std::move(command), subcommand});
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err) == 0 ? kExitOk : kExitUsage;
  }
  const auto chosen = std::find_if(commands.begin(), commands.end(),
                                   [](const Registered& r) { return r.subcommand->parsed(); });

  const GetEnvFn getenv = [&env](const std::string& name) { return LookupEnv(env, name); };
  Result<ReaderConfig> config = LoadReaderConfig(read.config, getenv);
  if (!config.ok()) return UsageError(err, "shardy", config.status().message());
  ApplyReaderConfig(*config, &read);
  if (config->credentials_profile && s3_flags.profile.empty()) {
    s3_flags.profile = *config->credentials_profile;
  }
  const S3Flags* own_s3 = chosen == commands.end() ? nullptr : chosen->command->own_s3_flags();
  Result<S3Config> s3 =
      ResolveS3Config(own_s3 ? MergeS3Flags(s3_flags, *own_s3) : s3_flags, getenv);
  if (!s3.ok()) return UsageError(err, "shardy", s3.status().message());
  const CommandContext ctx{in, out, err, env, getenv, read, *s3};
  if (chosen != commands.end()) return chosen->command->Run(ctx);
  Result<ReadContext> session_ctx = ToReadContext(ctx);
  if (!session_ctx.ok()) return UsageError(err, "shardy", session_ctx.status().message());
  // On a terminal, indented json instead of one line per result.
  if (env.terminal && session_ctx->output.format == OutputFormat::kJsonl) {
    session_ctx->output.format = OutputFormat::kJson;
  }
  ReadSession session(std::move(session_ctx).value());
  return RunRepl(session, in, out, err, env.terminal);
}

}  // namespace shardyfusion::cli
