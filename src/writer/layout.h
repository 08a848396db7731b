// Attempt paths and names of the object layout (docs/format/layout.md).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shardyfusion/status.h"

namespace shardyfusion {

// A compiled `db_path_template`: literal text with `{db_id}` or
// `{db_id:0Nd}` / `{db_id:Nd}` / `{db_id:d}` placeholders, as Python's
// str.format renders them ("db={db_id:05d}" -> "db=00042").
class DbPathTemplate {
 public:
  // kConfigValidation if the template has an unsupported or unbalanced field.
  static Result<DbPathTemplate> Compile(std::string_view text);
  std::string Format(int64_t db_id) const;
  const std::string& text() const { return text_; }
  // False when the template has no {db_id} field: every shard would get the
  // same path.
  bool names_db_id() const {
    for (const Part& p : parts_) {
      if (p.is_field) return true;
    }
    return false;
  }

 private:
  struct Part {
    std::string literal;
    bool is_field = false;
    int width = 0;
    bool zero_pad = false;
  };
  std::string text_;
  std::vector<Part> parts_;
};

// True if `segment` is one non-empty path segment of [A-Za-z0-9._-], not "." or "..".
bool IsSafePathSegment(std::string_view segment);

// "attempt=00", "attempt=07", "attempt=100".
std::string AttemptDirName(int64_t attempt);

// The run's shard directory: <root>/<shard_prefix>/run_id=<run>.
std::string RunShardsKey(std::string_view root_key, std::string_view shard_prefix,
                         std::string_view run_id);

// The attempt prefix key: <root>/<shard_prefix>/run_id=<run>/<db_path>/attempt=<NN>.
std::string AttemptKey(std::string_view root_key, std::string_view shard_prefix,
                       std::string_view run_id, const DbPathTemplate& db_path, int64_t db_id,
                       int64_t attempt);

// Staged shards (docs/format/layout.md, "Staged shards"): beside a run's
// shard directories, <root>/<shard_prefix>/run_id=<run>/_staged/ holds, per
// shard db=<NNNNN> (whatever the db_path_template), the attempt claims
// (attempt=<NN>.claim, written if absent before the attempt opens) and the
// sealed-shard records (attempt=<NN>.sealed, or empty.sealed for a shard
// that received no records).
std::string StagedDir(std::string_view root_key, std::string_view shard_prefix,
                      std::string_view run_id);
std::string StagedClaimKey(std::string_view root_key, std::string_view shard_prefix,
                           std::string_view run_id, int64_t db_id, int64_t attempt);
std::string StagedRecordKey(std::string_view root_key, std::string_view shard_prefix,
                            std::string_view run_id, int64_t db_id, std::optional<int64_t> attempt);

}  // namespace shardyfusion
