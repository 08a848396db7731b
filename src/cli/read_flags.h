// The flags the read commands (get, multiget, info, shards, route, history)
// share. The app takes them before the subcommand:
//
//   --current-url URL          the snapshot's _CURRENT (default: $SHARDY_CURRENT)
//   --output-format, --value-encoding, --null-repr   how results print
//   --local-root DIR           the reader's cache
//   --ref URL | --offset N     read a pinned manifest
//   --config PATH              reader.toml (default: $SHARDY_CONFIG,
//                              ./reader.toml, ~/.config/shardy/reader.toml)
//
// and, since read subcommands fall through to the app, after it too. get,
// multiget and route also take --routing-context NAME=VALUE after their name.
//
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/read_commands.h"
#include "shardyfusion/status.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace shardyfusion::cli {

// As typed; ToReadContext validates and converts them.
struct ReadFlags {
  std::string current_url;
  std::string output_format = "jsonl";
  std::string value_encoding = "base64";
  std::string null_repr = "null";
  std::string local_root;
  std::string ref;
  uint64_t offset = 0;
  // Set by AddReadFlags: a pin applies only when its flag was given.
  CLI::Option* ref_option = nullptr;
  CLI::Option* offset_option = nullptr;
  // --config: reader.toml (reader_config.h); its values fill what no flag
  // gave (ApplyReaderConfig), its current_url after $SHARDY_CURRENT.
  std::string config;
  std::string config_current_url;
  CLI::Option* output_format_option = nullptr;
  CLI::Option* value_encoding_option = nullptr;
  CLI::Option* null_repr_option = nullptr;
  CLI::Option* local_root_option = nullptr;
};

struct ReaderConfig;

// Fills the read flags no flag gave from `config`.
void ApplyReaderConfig(const ReaderConfig& config, ReadFlags* flags);

// Adds the read flags to `app` (the top-level app).
void AddReadFlags(CLI::App& app, ReadFlags* flags);

// Adds a read command's subcommand to `app`; it takes the app's flags after
// its name too.
CLI::App* AddReadSubcommand(CLI::App& app, const std::string& name, const std::string& description);

// Adds --routing-context NAME=VALUE (repeatable) to a read subcommand.
void AddRoutingContextFlag(CLI::App* sub, std::vector<std::string>* routing_context);

// The context a read command runs with: the app's read flags, the resolved
// S3 configuration, and the command's --routing-context arguments. No
// --current-url and no $SHARDY_CURRENT, or a URL that does not name a
// _CURRENT object, is kInvalidArgument (a usage error).
Result<ReadContext> ToReadContext(const CommandContext& ctx,
                                  std::vector<std::string> routing_context = {});

}  // namespace shardyfusion::cli
