// S3 configuration from the environment, credentials.toml and KEY=VALUE
// options (shardyfusion/s3.h).

#include <sys/stat.h>
#include <toml++/toml.h>

#include <cstdlib>

#include "core/log.h"
#include "core/status_internal.h"
#include "shardyfusion/s3.h"

namespace shardyfusion {

namespace {

// The first of `names` that is set and non-empty.
std::optional<std::string> FirstSet(const GetEnvFn& getenv,
                                    std::initializer_list<const char*> names) {
  for (const char* name : names) {
    std::optional<std::string> v = getenv(name);
    if (v && !v->empty()) return v;
  }
  return std::nullopt;
}

Result<bool> ParseBool(std::string_view key, std::string_view value) {
  if (value == "true" || value == "1" || value == "yes" || value == "True") return true;
  if (value == "false" || value == "0" || value == "no" || value == "False") return false;
  return ConfigError("S3 option " + std::string(key) + "='" + std::string(value) +
                     "' is not a boolean (use true/1/yes or false/0/no)");
}

Result<int> ParsePositiveInt(std::string_view key, std::string_view value) {
  int out = 0;
  if (value.empty() || value.size() > 9) {
    return ConfigError("S3 option " + std::string(key) + "='" + std::string(value) +
                       "' is not a positive integer");
  }
  for (char c : value) {
    if (c < '0' || c > '9') {
      return ConfigError("S3 option " + std::string(key) + "='" + std::string(value) +
                         "' is not a positive integer");
    }
    out = out * 10 + (c - '0');
  }
  if (out <= 0) {
    return ConfigError("S3 option " + std::string(key) + "='" + std::string(value) +
                       "' is not a positive integer");
  }
  return out;
}

}  // namespace

GetEnvFn ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

S3Config S3ConfigFromEnvironment(const GetEnvFn& getenv) {
  S3Config c;
  if (auto v = FirstSet(getenv, {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL",
                                 "SLATEDB_S3_ENDPOINT_URL", "S3_ENDPOINT_URL"})) {
    c.options.endpoint_url = *v;
  }
  if (auto v = FirstSet(getenv, {"AWS_REGION", "S3_REGION", "AWS_DEFAULT_REGION"})) {
    c.options.region = *v;
  }
  if (auto v = FirstSet(getenv, {"AWS_ACCESS_KEY_ID", "S3_ACCESS_KEY_ID"})) {
    c.credentials.access_key_id = *v;
  }
  if (auto v = FirstSet(getenv, {"AWS_SECRET_ACCESS_KEY", "S3_SECRET_ACCESS_KEY"})) {
    c.credentials.secret_access_key = *v;
  }
  if (auto v = FirstSet(getenv, {"AWS_SESSION_TOKEN", "S3_SESSION_TOKEN"})) {
    c.credentials.session_token = *v;
  }
  if (auto v = FirstSet(getenv, {"AWS_VIRTUAL_HOSTED_STYLE_REQUEST"})) {
    Result<bool> b = ParseBool("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", *v);
    if (b.ok()) c.options.addressing_style = *b ? "virtual" : "path";
  }
  return c;
}

Status ApplyS3Option(std::string_view key, std::string_view value, S3ConnectionOptions* o) {
  if (key == "endpoint_url") {
    o->endpoint_url = std::string(value);
  } else if (key == "region_name" || key == "region") {
    o->region = std::string(value);
  } else if (key == "addressing_style") {
    if (value != "path" && value != "virtual" && value != "auto") {
      return ConfigError("S3 option addressing_style='" + std::string(value) +
                         "' is invalid; use path, virtual or auto");
    }
    o->addressing_style = std::string(value);
  } else if (key == "verify_ssl") {
    SHARDY_ASSIGN_OR_RETURN(o->verify_ssl, ParseBool(key, value));
  } else if (key == "connect_timeout") {
    SHARDY_ASSIGN_OR_RETURN(o->connect_timeout_seconds, ParsePositiveInt(key, value));
  } else if (key == "read_timeout") {
    SHARDY_ASSIGN_OR_RETURN(o->read_timeout_seconds, ParsePositiveInt(key, value));
  } else if (key == "max_attempts") {
    SHARDY_ASSIGN_OR_RETURN(o->max_attempts, ParsePositiveInt(key, value));
  } else if (key == "signature_version") {
    // Accepted and ignored, as the reference does: requests are always SigV4.
  } else {
    return ConfigError("unknown S3 option '" + std::string(key) +
                       "' (known: endpoint_url, region_name, addressing_style, verify_ssl, "
                       "connect_timeout, read_timeout, max_attempts)");
  }
  return Status::OK();
}

Status LoadCredentialsProfile(const std::string& path, const std::string& profile,
                              S3Config* config) {
  toml::table file;
  try {
    file = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return ConfigError("cannot read credentials file " + path + ": " +
                       std::string(e.description()) + " (line " + std::to_string(where.line) + ")");
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    Log(LogLevel::kWarning,
        "credentials file " + path + " is readable by group or others; chmod 600 it");
  }
  const toml::table* section = file[profile].as_table();
  if (section == nullptr) {
    return ConfigError("credentials file " + path + " has no profile [" + profile + "]");
  }
  auto where = [&](const std::string& key) {
    return "credentials file " + path + ", profile [" + profile + "], key " + key;
  };
  auto string_key = [&](const char* key, std::string* out) -> Status {
    const toml::node* n = section->get(key);
    if (n == nullptr) return Status::OK();
    if (!n->is_string()) return ConfigError(where(key) + ": expected a string");
    *out = n->as_string()->get();
    return Status::OK();
  };
  auto int_key = [&](const char* key, int* out) -> Status {
    const toml::node* n = section->get(key);
    if (n == nullptr) return Status::OK();
    if (!n->is_integer() || n->as_integer()->get() <= 0 || n->as_integer()->get() > 1000000) {
      return ConfigError(where(key) + ": expected a positive integer");
    }
    *out = static_cast<int>(n->as_integer()->get());
    return Status::OK();
  };
  S3Config c = *config;
  SHARDY_RETURN_IF_ERROR(string_key("endpoint_url", &c.options.endpoint_url));
  SHARDY_RETURN_IF_ERROR(string_key("region", &c.options.region));
  SHARDY_RETURN_IF_ERROR(string_key("access_key_id", &c.credentials.access_key_id));
  SHARDY_RETURN_IF_ERROR(string_key("secret_access_key", &c.credentials.secret_access_key));
  SHARDY_RETURN_IF_ERROR(string_key("session_token", &c.credentials.session_token));
  std::string style = c.options.addressing_style;
  SHARDY_RETURN_IF_ERROR(string_key("addressing_style", &style));
  if (style != c.options.addressing_style) {
    SHARDY_RETURN_IF_ERROR(ApplyS3Option("addressing_style", style, &c.options));
  }
  if (const toml::node* n = section->get("verify_ssl")) {
    if (n->is_boolean()) {
      c.options.verify_ssl = n->as_boolean()->get();
    } else if (n->is_string()) {
      c.options.verify_ssl = true;
      c.options.ca_bundle = n->as_string()->get();
    } else {
      return ConfigError(where("verify_ssl") + ": expected true, false or a CA bundle path");
    }
  }
  // The file's defaults replace the library's, as in the reference.
  c.options.connect_timeout_seconds = 10;
  c.options.read_timeout_seconds = 30;
  c.options.max_attempts = 3;
  SHARDY_RETURN_IF_ERROR(int_key("connect_timeout", &c.options.connect_timeout_seconds));
  SHARDY_RETURN_IF_ERROR(int_key("read_timeout", &c.options.read_timeout_seconds));
  SHARDY_RETURN_IF_ERROR(int_key("max_attempts", &c.options.max_attempts));
  if (c.credentials.access_key_id.empty() != c.credentials.secret_access_key.empty()) {
    return ConfigError(where("access_key_id") +
                       ": access_key_id and secret_access_key must be given together");
  }
  *config = std::move(c);
  return Status::OK();
}

}  // namespace shardyfusion
