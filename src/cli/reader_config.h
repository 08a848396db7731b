// reader.toml, the read commands' configuration file, and the search for
// shardy's configuration files.
//
// reader.toml (the reference's sections):
//   [reader]  current_url, local_root, credentials_profile; the reference's
//             other keys (s3_prefix, thread_safety, pool_checkout_timeout,
//             max_workers, slate_env_file, reader_backend, sqlite_mode,
//             sqlite_auto_per_shard_threshold_bytes,
//             sqlite_auto_total_budget_bytes) are accepted and checked for
//             their type; they change nothing here (our reader is
//             thread-safe and reads the backend from the manifest);
//   [manifest_store]  backend = "s3" (the only store; "postgres" is an
//             error), table_name, ensure_table, dsn;
//   [output]  format, value_encoding, null_repr.
// An empty string counts as unset. Any other section or key, or a value of
// the wrong type, is an error naming the file, section and key.
//
// Thread-safety: plain functions.
#pragma once

#include <optional>
#include <string>

#include "shardyfusion/s3.h"
#include "shardyfusion/status.h"

namespace shardyfusion::cli {

// The configuration file to read: `given` (which must exist), else
// $`env_var`, else ./`file_name`, else ~/.config/shardy/`file_name`; "" when
// none was given and none exists. kConfigValidation for a given file that
// does not exist.
Result<std::string> FindConfigFile(const std::string& given, const char* env_var,
                                   const char* file_name, const GetEnvFn& getenv);

struct ReaderConfig {
  std::string path;  // the file read; "" when there is none
  std::optional<std::string> current_url;
  std::optional<std::string> local_root;
  std::optional<std::string> credentials_profile;
  std::optional<std::string> output_format;   // checked: json, jsonl, table, text
  std::optional<std::string> value_encoding;  // checked: base64, hex, utf8
  std::optional<std::string> null_repr;
};

// Finds (FindConfigFile with --config, $SHARDY_CONFIG, reader.toml) and
// reads the file; an empty config when there is none. kConfigValidation
// for a file that cannot be parsed or breaks the rules above.
Result<ReaderConfig> LoadReaderConfig(const std::string& given, const GetEnvFn& getenv);

}  // namespace shardyfusion::cli
