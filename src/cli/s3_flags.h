// The S3 connection flags every `shardy` command takes, and how they combine
// with the environment and a credentials.toml profile into one S3Config.
//
//   --s3-option KEY=VALUE   repeatable; the reference's keys (see s3.h)
//   --credentials PATH      a credentials.toml
//   --profile NAME          the profile in it (default: "default")
//
// Precedence, lowest first: the environment (AWS_* and S3_* variables), the
// credentials profile, then --s3-option. The credentials file is the flag's,
// else $SHARDY_CREDENTIALS, else ./credentials.toml or
// ~/.config/shardy/credentials.toml when one of those exists.
//
// Thread-safety: plain functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "shardyfusion/s3.h"

namespace CLI {
class App;
}

namespace shardyfusion::cli {

struct S3Flags {
  std::vector<std::string> options;  // KEY=VALUE
  std::string credentials;
  std::string profile;
};

// Adds the three flags to `app`.
void AddS3Flags(CLI::App& app, S3Flags* flags);

// Combines two sets of flags (say, given before and after a subcommand).
S3Flags MergeS3Flags(const S3Flags& a, const S3Flags& b);

// The configuration for s3:// URLs. Errors (kConfigValidation): a malformed
// or unknown option, an unreadable credentials file, a missing profile.
Result<S3Config> ResolveS3Config(const S3Flags& flags, const GetEnvFn& getenv);

}  // namespace shardyfusion::cli
