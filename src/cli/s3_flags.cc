#include "cli/s3_flags.h"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "cli/reader_config.h"
#include "core/status_internal.h"

namespace shardyfusion::cli {

void AddS3Flags(CLI::App& app, S3Flags* flags) {
  app.add_option("--s3-option", flags->options,
                 "S3 connection option KEY=VALUE, repeatable: endpoint_url, region_name, "
                 "addressing_style (path|virtual), verify_ssl, connect_timeout, read_timeout, "
                 "max_attempts");
  app.add_option("--credentials", flags->credentials,
                 "credentials.toml with S3 profiles (default: $SHARDY_CREDENTIALS, "
                 "./credentials.toml, ~/.config/shardy/credentials.toml)");
  app.add_option("--profile", flags->profile, "Profile in the credentials file (default: default)");
}

S3Flags MergeS3Flags(const S3Flags& a, const S3Flags& b) {
  S3Flags out = a;
  out.options.insert(out.options.end(), b.options.begin(), b.options.end());
  if (!b.credentials.empty()) out.credentials = b.credentials;
  if (!b.profile.empty()) out.profile = b.profile;
  return out;
}

Result<S3Config> ResolveS3Config(const S3Flags& flags, const GetEnvFn& getenv) {
  S3Config config = S3ConfigFromEnvironment(getenv);
  SHARDY_ASSIGN_OR_RETURN(std::string path, FindConfigFile(flags.credentials, "SHARDY_CREDENTIALS",
                                                           "credentials.toml", getenv));
  if (!path.empty()) {
    SHARDY_RETURN_IF_ERROR(
        LoadCredentialsProfile(path, flags.profile.empty() ? "default" : flags.profile, &config));
  } else if (!flags.profile.empty()) {
    return Status(ErrorCode::kConfigValidation,
                  "--profile " + flags.profile + " needs a credentials file (--credentials PATH)");
  }
  for (const std::string& option : flags.options) {
    const size_t eq = option.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status(
          ErrorCode::kConfigValidation,
          "--s3-option '" + option + "' must be KEY=VALUE, e.g. endpoint_url=http://host:7480");
    }
    SHARDY_RETURN_IF_ERROR(
        ApplyS3Option(option.substr(0, eq), option.substr(eq + 1), &config.options));
  }
  return config;
}

}  // namespace shardyfusion::cli
