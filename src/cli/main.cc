// The `shardy` executable: all behaviour lives in cli/shardy.h.
#include <unistd.h>

#include <iostream>

#include "cli/build_command.h"
#include "cli/shardy.h"

int main(int argc, char** argv) {
  shardyfusion::cli::InstallInterruptHandlers();
  shardyfusion::cli::ShardyEnvironment env;
  env.progress = isatty(STDERR_FILENO) != 0;
  env.terminal = isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0;
  return shardyfusion::cli::RunShardy(argc, argv, std::cin, std::cout, std::cerr, env);
}
