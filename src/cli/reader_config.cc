#include "cli/reader_config.h"

#include <toml++/toml.h>

#include <filesystem>
#include <set>
#include <vector>

#include "core/status_internal.h"

namespace shardyfusion::cli {

Result<std::string> FindConfigFile(const std::string& given, const char* env_var,
                                   const char* file_name, const GetEnvFn& getenv) {
  std::string path = given;
  if (path.empty()) path = getenv(env_var).value_or("");
  std::error_code ec;
  if (!path.empty()) {
    if (!std::filesystem::is_regular_file(path, ec)) {
      return ConfigError(std::string(file_name) + " file " + path + " does not exist");
    }
    return path;
  }
  std::vector<std::string> candidates = {file_name};
  if (std::optional<std::string> home = getenv("HOME"); home && !home->empty()) {
    candidates.push_back(*home + "/.config/shardy/" + file_name);
  }
  for (const std::string& c : candidates) {
    if (std::filesystem::is_regular_file(c, ec)) return c;
  }
  return std::string();
}

Result<ReaderConfig> LoadReaderConfig(const std::string& given, const GetEnvFn& getenv) {
  ReaderConfig config;
  SHARDY_ASSIGN_OR_RETURN(config.path,
                          FindConfigFile(given, "SHARDY_CONFIG", "reader.toml", getenv));
  if (config.path.empty()) return config;
  toml::table file;
  try {
    file = toml::parse_file(config.path);
  } catch (const toml::parse_error& e) {
    return ConfigError("cannot read " + config.path + ": " + std::string(e.description()) +
                       " (line " + std::to_string(e.source().begin.line) + ")");
  }
  auto where = [&](const std::string& section, const std::string& key) {
    return config.path + " [" + section + "] " + key;
  };
  // Each section's keys: the string ones we use, and the others with the
  // type they must have.
  enum class Kind { kString, kInteger, kNumber, kBool };
  struct Known {
    const char* key;
    Kind kind;
    std::optional<std::string>* into;  // null: checked only
  };
  const std::vector<std::pair<std::string, std::vector<Known>>> sections = {
      {"reader",
       {{"current_url", Kind::kString, &config.current_url},
        {"local_root", Kind::kString, &config.local_root},
        {"credentials_profile", Kind::kString, &config.credentials_profile},
        {"s3_prefix", Kind::kString, nullptr},
        {"thread_safety", Kind::kString, nullptr},
        {"pool_checkout_timeout", Kind::kNumber, nullptr},
        {"max_workers", Kind::kInteger, nullptr},
        {"slate_env_file", Kind::kString, nullptr},
        {"reader_backend", Kind::kString, nullptr},
        {"sqlite_mode", Kind::kString, nullptr},
        {"sqlite_auto_per_shard_threshold_bytes", Kind::kInteger, nullptr},
        {"sqlite_auto_total_budget_bytes", Kind::kInteger, nullptr}}},
      {"manifest_store",
       {{"backend", Kind::kString, nullptr},
        {"dsn", Kind::kString, nullptr},
        {"table_name", Kind::kString, nullptr},
        {"ensure_table", Kind::kBool, nullptr}}},
      {"output",
       {{"format", Kind::kString, &config.output_format},
        {"value_encoding", Kind::kString, &config.value_encoding},
        {"null_repr", Kind::kString, &config.null_repr}}}};
  for (const auto& [name, node] : file) {
    const std::string section(name.str());
    const auto it = std::find_if(sections.begin(), sections.end(),
                                 [&](const auto& s) { return s.first == section; });
    if (it == sections.end() || !node.is_table()) {
      return ConfigError(config.path + ": unknown section [" + section +
                         "] (known: [reader], [manifest_store], [output])");
    }
    for (const auto& [key_name, value] : *node.as_table()) {
      const std::string key(key_name.str());
      const auto known = std::find_if(it->second.begin(), it->second.end(),
                                      [&](const Known& k) { return key == k.key; });
      if (known == it->second.end()) {
        std::string names;
        for (const Known& k : it->second) names += std::string(names.empty() ? "" : ", ") + k.key;
        return ConfigError(where(section, key) + " is not a key of [" + section +
                           "] (known: " + names + ")");
      }
      const bool ok =
          (known->kind == Kind::kString && value.is_string()) ||
          (known->kind == Kind::kInteger && value.is_integer()) ||
          (known->kind == Kind::kNumber && (value.is_integer() || value.is_floating_point())) ||
          (known->kind == Kind::kBool && value.is_boolean());
      if (!ok) {
        static const char* kNames[] = {"a string", "an integer", "a number", "true or false"};
        return ConfigError(where(section, key) + " must be " +
                           kNames[static_cast<int>(known->kind)]);
      }
      if (known->into && !value.as_string()->get().empty()) *known->into = value.as_string()->get();
    }
  }
  if (const toml::node* backend = file["manifest_store"]["backend"].node()) {
    if (backend->as_string()->get() != "s3" && !backend->as_string()->get().empty()) {
      return ConfigError(where("manifest_store", "backend") + " \"" + backend->as_string()->get() +
                         "\" is not supported: manifests are read from the object store (s3)");
    }
  }
  auto one_of = [&](const std::optional<std::string>& v, const char* key,
                    std::set<std::string> allowed) -> Status {
    if (!v || allowed.contains(*v)) return Status::OK();
    std::string names;
    for (const std::string& a : allowed) names += (names.empty() ? "" : ", ") + a;
    return ConfigError(where("output", key) + " \"" + *v + "\" is not one of " + names);
  };
  SHARDY_RETURN_IF_ERROR(
      one_of(config.output_format, "format", {"json", "jsonl", "table", "text"}));
  SHARDY_RETURN_IF_ERROR(
      one_of(config.value_encoding, "value_encoding", {"base64", "hex", "utf8"}));
  return config;
}

}  // namespace shardyfusion::cli
