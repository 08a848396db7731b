// Checkpoint files (checkpoint.h).
#include "writer/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base64.h"
#include "core/status_internal.h"
#include "storage/local_file.h"
#include "writer/local_staging.h"

namespace shardyfusion {
namespace {

Status ResumeError(const std::string& message) {
  return Status(ErrorCode::kConfigValidation, message);
}

std::string Shown(const nlohmann::json& j) {
  if (j.is_null()) return "unset";
  std::string text = j.dump();
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

}  // namespace

std::string CheckpointPath(const std::string& local_run_dir) {
  return local_run_dir + "/" + kCheckpointFileName;
}

std::string SealedPath(const std::string& local_run_dir, std::string_view tail) {
  return local_run_dir + "/" + kSealedDir + "/" + std::string(tail);
}

nlohmann::json KeyToCheckpointJson(const std::optional<Key>& key) {
  if (!key) return nullptr;
  switch (key->kind()) {
    case Key::Kind::kInt:
      return {{"int", key->int_value()}};
    case Key::Kind::kStr:
      return {{"b64str", Base64Encode(key->bytes())}};
    case Key::Kind::kBytes:
      break;
  }
  return {{"b64bytes", Base64Encode(key->bytes())}};
}

Result<std::optional<Key>> KeyFromCheckpointJson(const nlohmann::json& j) {
  if (j.is_null()) return std::optional<Key>();
  if (j.is_object() && j.size() == 1) {
    if (j.contains("int") && j["int"].is_number_integer()) {
      return std::optional<Key>(Key::Int(j["int"].get<int64_t>()));
    }
    for (const char* field : {"b64str", "b64bytes"}) {
      if (!j.contains(field) || !j[field].is_string()) continue;
      std::optional<std::string> bytes = Base64Decode(j[field].get<std::string>());
      if (!bytes) break;
      return std::optional<Key>(field[3] == 's' ? Key::Str(std::move(*bytes))
                                                : Key::Bytes(std::move(*bytes)));
    }
  }
  return Status(ErrorCode::kConfigValidation, "the checkpoint holds a damaged key: " + Shown(j));
}

Status CompareForResume(std::string_view run_id, std::string_view what, const nlohmann::json& saved,
                        const nlohmann::json& now, std::string_view advice) {
  std::set<std::string> fields;
  for (const auto& [k, v] : saved.items()) fields.insert(k);
  for (const auto& [k, v] : now.items()) fields.insert(k);
  for (const std::string& f : fields) {
    const nlohmann::json a = saved.contains(f) ? saved[f] : nlohmann::json();
    const nlohmann::json b = now.contains(f) ? now[f] : nlohmann::json();
    if (a == b) continue;
    return ResumeError("cannot resume run " + std::string(run_id) + ": " + std::string(what) + " " +
                       f + " was " + Shown(a) + " at the checkpoint and is " + Shown(b) + " now; " +
                       std::string(advice));
  }
  return Status::OK();
}

Status WriteCheckpoint(const std::string& local_run_dir, const nlohmann::json& checkpoint) {
  PendingFileOptions options;
  options.sync_dir = true;
  options.error_code = ErrorCode::kShardWrite;
  Status st = WriteFileAtomically(CheckpointPath(local_run_dir), checkpoint.dump(), options);
  if (!st.ok()) return st.annotate("writing the build's checkpoint");
  return st;
}

Result<std::optional<nlohmann::json>> ReadCheckpoint(const std::string& local_run_dir) {
  const std::string path = CheckpointPath(local_run_dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<nlohmann::json>();
    return ResumeError("cannot read the checkpoint " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("format") || j["format"] != kCheckpointFormat) {
    return ResumeError("the checkpoint " + path +
                       " is damaged or of another format; the run cannot resume, start a new one");
  }
  return std::optional<nlohmann::json>(std::move(j));
}

void PruneExcept(const std::string& dir, const std::set<std::string>& keep) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string path = entry.path().string();
    if (keep.contains(path)) continue;
    bool leads_to_kept = false;
    for (const std::string& k : keep) {
      if (k.size() > path.size() && k.starts_with(path) && k[path.size()] == '/') {
        leads_to_kept = true;
        break;
      }
    }
    if (leads_to_kept && entry.is_directory(ec)) {
      PruneExcept(path, keep);
    } else {
      std::filesystem::remove_all(path, ec);
    }
  }
}

}  // namespace shardyfusion
