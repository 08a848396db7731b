// The shardy commands as Command units (cli/command.h), one file each in this
// directory. A unit holds its command's flags, defaults, validators and help
// text, and hands the parsed values to the library function that does the
// work: RunBuild (cli/build_command.h), RunGet ... RunHistory
// (cli/read_commands.h), RunCelEval (cli/cel_command.h), RunRollback and
// RunCleanup (cli/admin_commands.h).
//
// A new command is a file here with its factory declared below, and one line
// in RunShardy's table (shardy.cc).
#pragma once

#include <memory>

#include "cli/command.h"

namespace shardyfusion::cli {

std::unique_ptr<Command> NewBuildCommand();     // build.cc: build
std::unique_ptr<Command> NewPublishCommand();   // publish.cc: publish
std::unique_ptr<Command> NewGetCommand();       // get.cc: get
std::unique_ptr<Command> NewMultiGetCommand();  // multiget.cc: multiget
std::unique_ptr<Command> NewInfoCommand();      // info.cc: info
std::unique_ptr<Command> NewShardsCommand();    // shards.cc: shards
std::unique_ptr<Command> NewRouteCommand();     // route.cc: route
std::unique_ptr<Command> NewHistoryCommand();   // history.cc: history
std::unique_ptr<Command> NewCelEvalCommand();   // cel_eval.cc: cel eval
std::unique_ptr<Command> NewRollbackCommand();  // rollback.cc: rollback
std::unique_ptr<Command> NewCleanupCommand();   // cleanup.cc: cleanup
std::unique_ptr<Command> NewHealthCommand();    // health.cc: health

}  // namespace shardyfusion::cli
