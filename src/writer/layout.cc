#include "writer/layout.h"

#include <cstdio>

#include "shardyfusion/object_store.h"

namespace shardyfusion {
namespace {

Status TemplateError(std::string_view text, const std::string& why) {
  return Status(ErrorCode::kConfigValidation, "db_path_template \"" + std::string(text) +
                                                  "\" is not supported: " + why +
                                                  " (use {db_id} or {db_id:05d})");
}

}  // namespace

Result<DbPathTemplate> DbPathTemplate::Compile(std::string_view text) {
  DbPathTemplate t;
  t.text_ = std::string(text);
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal.push_back('}');
      ++i;
      continue;
    }
    if (c == '}') return TemplateError(text, "single '}'");
    if (c != '{') {
      literal.push_back(c);
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string_view::npos) return TemplateError(text, "unclosed '{'");
    std::string_view field = text.substr(i + 1, close - i - 1);
    Part p;
    p.is_field = true;
    if (field.substr(0, 5) != "db_id")
      return TemplateError(text, "unknown field {" + std::string(field) + "}");
    std::string_view spec = field.substr(5);
    if (!spec.empty()) {
      if (spec[0] != ':') return TemplateError(text, "bad field {" + std::string(field) + "}");
      spec.remove_prefix(1);
      if (spec.empty() || spec.back() != 'd')
        return TemplateError(text, "only integer formats ('d') are supported");
      spec.remove_suffix(1);
      if (!spec.empty() && spec[0] == '0') {
        p.zero_pad = true;
        spec.remove_prefix(1);
      }
      for (char d : spec) {
        if (d < '0' || d > '9')
          return TemplateError(text, "bad width in {" + std::string(field) + "}");
        p.width = p.width * 10 + (d - '0');
        if (p.width > 64) return TemplateError(text, "width too large");
      }
    }
    if (!literal.empty()) t.parts_.push_back(Part{std::move(literal)});
    literal.clear();
    t.parts_.push_back(p);
    i = close;
  }
  if (!literal.empty()) t.parts_.push_back(Part{std::move(literal)});
  return t;
}

std::string DbPathTemplate::Format(int64_t db_id) const {
  std::string out;
  for (const Part& p : parts_) {
    if (!p.is_field) {
      out += p.literal;
      continue;
    }
    char buf[96];
    std::snprintf(buf, sizeof(buf), p.zero_pad ? "%0*lld" : "%*lld", p.width,
                  static_cast<long long>(db_id));
    out += buf;
  }
  return out;
}

bool IsSafePathSegment(std::string_view segment) {
  if (segment.empty() || segment == "." || segment == "..") return false;
  for (char c : segment) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string AttemptDirName(int64_t attempt) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "attempt=%02lld", static_cast<long long>(attempt));
  return buf;
}

std::string RunShardsKey(std::string_view root_key, std::string_view shard_prefix,
                         std::string_view run_id) {
  return JoinPath(root_key, {shard_prefix, "run_id=" + std::string(run_id)});
}

std::string AttemptKey(std::string_view root_key, std::string_view shard_prefix,
                       std::string_view run_id, const DbPathTemplate& db_path, int64_t db_id,
                       int64_t attempt) {
  const std::string run_dir = "run_id=" + std::string(run_id);
  const std::string db_dir = db_path.Format(db_id);
  const std::string attempt_dir = AttemptDirName(attempt);
  return JoinPath(root_key, {shard_prefix, run_dir, db_dir, attempt_dir});
}

std::string StagedDir(std::string_view root_key, std::string_view shard_prefix,
                      std::string_view run_id) {
  return JoinPath(root_key, {shard_prefix, "run_id=" + std::string(run_id), "_staged"});
}

std::string StagedShardDir(std::string_view root_key, std::string_view shard_prefix,
                           std::string_view run_id, int64_t db_id) {
  char db[32];
  std::snprintf(db, sizeof(db), "db=%05lld", static_cast<long long>(db_id));
  return StagedDir(root_key, shard_prefix, run_id) + "/" + db;
}

std::string StagedClaimKey(std::string_view root_key, std::string_view shard_prefix,
                           std::string_view run_id, int64_t db_id, int64_t attempt) {
  return StagedShardDir(root_key, shard_prefix, run_id, db_id) + "/" + AttemptDirName(attempt) +
         ".claim";
}

std::string StagedRecordKey(std::string_view root_key, std::string_view shard_prefix,
                            std::string_view run_id, int64_t db_id,
                            std::optional<int64_t> attempt) {
  return StagedShardDir(root_key, shard_prefix, run_id, db_id) + "/" +
         (attempt ? AttemptDirName(*attempt) : std::string("empty")) + ".sealed";
}

}  // namespace shardyfusion
