#include "cli/command.h"

#include <CLI/CLI.hpp>
#include <vector>

namespace shardyfusion::cli {

int UsageError(std::ostream& err, std::string_view who, std::string_view message) {
  err << who << ": " << message << "\nRun with --help for more information.\n";
  return kExitUsage;
}

CLI::App* CommandGroup(CLI::App& app, const std::string& name, const std::string& description) {
  const std::vector<CLI::App*> found =
      app.get_subcommands([&name](const CLI::App* sub) { return sub->get_name() == name; });
  if (!found.empty()) return found.front();
  CLI::App* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

}  // namespace shardyfusion::cli
