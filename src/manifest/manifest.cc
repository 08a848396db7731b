// The SQLite manifest: build (SerializeManifest) and parse (ParseManifest).
// The format is docs/format/manifest.md.

#include "shardyfusion/manifest.h"

#include <sqlite3.h>

#include <cstring>
#include <map>
#include <memory>

#include "core/py_json.h"
#include "core/status_internal.h"
#include "manifest/manifest_rules.h"

namespace shardyfusion {
namespace {

// Spec 2.2, column for column. Readers find columns by name, but the
// independent checker compares this text (whitespace normalised).
constexpr const char* kBuildMetaDdl =
    "CREATE TABLE build_meta (run_id TEXT NOT NULL, created_at TEXT NOT NULL, num_dbs INTEGER "
    "NOT NULL, s3_prefix TEXT NOT NULL, key_col TEXT NOT NULL, sharding TEXT NOT NULL, "
    "db_path_template TEXT NOT NULL, shard_prefix TEXT NOT NULL, format_version INTEGER NOT "
    "NULL, key_encoding TEXT NOT NULL, custom TEXT NOT NULL DEFAULT '{}')";
constexpr const char* kShardsDdl =
    "CREATE TABLE shards (db_id INTEGER NOT NULL PRIMARY KEY, db_url TEXT, attempt INTEGER NOT "
    "NULL, row_count INTEGER NOT NULL, db_bytes INTEGER NOT NULL, min_key TEXT, max_key TEXT, "
    "checkpoint_id TEXT, writer_info TEXT NOT NULL DEFAULT '{}')";

constexpr char kSqliteMagic[] = "SQLite format 3";  // 15 chars + the NUL = 16 bytes

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// ---------------------------------------------------------------------------
// Building

Status BuildError(const std::string& what) {
  return Status(ErrorCode::kPublishManifest, "Failed to build manifest: " + what);
}

Status SqliteBuildError(sqlite3* db, const std::string& what) {
  return BuildError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

std::string ShardingJson(const ShardingSpec& s, Status* error) {
  nlohmann::json obj = nlohmann::json::object();
  obj["strategy"] = s.strategy == ShardingSpec::Strategy::kCel ? "cel" : "hash";
  obj["hash_algorithm"] = s.hash_algorithm;
  obj["cel_expr"] = s.cel_expr ? nlohmann::json(*s.cel_expr) : nlohmann::json(nullptr);
  if (s.cel_columns) {
    nlohmann::json cols = nlohmann::json::object();
    for (const auto& [name, type] : *s.cel_columns) cols[name] = type;
    obj["cel_columns"] = std::move(cols);
  } else {
    obj["cel_columns"] = nullptr;
  }
  if (s.routing_values_json) {
    nlohmann::json values = nlohmann::json::array();
    for (const std::string& text : *s.routing_values_json) {
      Result<nlohmann::json> v = PyJsonLoads(text);
      if (!v.ok()) {
        *error = BuildError("routing value " + text + " is not JSON: " + v.status().message());
        return "";
      }
      values.push_back(std::move(v).value());
    }
    obj["routing_values"] = std::move(values);
  } else {
    obj["routing_values"] = nullptr;
  }
  return PyJsonDumps(obj);
}

std::string WriterInfoJson(const WriterInfo& w) {
  nlohmann::json obj = nlohmann::json::object();
  obj["attempt"] = w.attempt;
  obj["duration_ms"] = w.duration_ms;
  obj["stage_id"] = w.stage_id ? nlohmann::json(*w.stage_id) : nlohmann::json(nullptr);
  obj["task_attempt_id"] =
      w.task_attempt_id ? nlohmann::json(*w.task_attempt_id) : nlohmann::json(nullptr);
  return PyJsonDumps(obj);
}

// json.dumps of the logical key. Byte strings are written as the text they
// decode to, with surrogateescape for invalid UTF-8 so nothing is lost.
std::string KeyJson(const Key& key) {
  if (key.is_int()) return std::to_string(key.int_value());
  return PyJsonQuoteBytes(key.bytes());
}

void BindText(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void BindOptionalText(sqlite3_stmt* stmt, int index, const std::optional<std::string>& text) {
  if (text) {
    BindText(stmt, index, *text);
  } else {
    sqlite3_bind_null(stmt, index);
  }
}

Status Prepare(sqlite3* db, const char* sql, StmtPtr* out) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return SqliteBuildError(db, std::string("preparing ") + sql);
  }
  out->reset(stmt);
  return Status::OK();
}

Status InsertBuildMeta(sqlite3* db, const BuildMeta& meta, const std::string& sharding,
                       const std::string& custom) {
  StmtPtr stmt;
  SHARDY_RETURN_IF_ERROR(Prepare(db,
                                 "INSERT INTO build_meta (run_id, created_at, num_dbs, s3_prefix, "
                                 "key_col, sharding, db_path_template, shard_prefix, "
                                 "format_version, key_encoding, custom) VALUES "
                                 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 &stmt));
  sqlite3_stmt* s = stmt.get();
  BindText(s, 1, meta.run_id);
  BindText(s, 2, meta.created_at);
  sqlite3_bind_int64(s, 3, meta.num_dbs);
  BindText(s, 4, meta.s3_prefix);
  BindText(s, 5, meta.key_col);
  BindText(s, 6, sharding);
  BindText(s, 7, meta.db_path_template);
  BindText(s, 8, meta.shard_prefix);
  sqlite3_bind_int64(s, 9, meta.format_version);
  BindText(s, 10, KeyEncodingName(meta.key_encoding));
  BindText(s, 11, custom);
  if (sqlite3_step(s) != SQLITE_DONE) return SqliteBuildError(db, "inserting build_meta");
  return Status::OK();
}

Status InsertShards(sqlite3* db, const std::vector<ShardMeta>& shards) {
  StmtPtr stmt;
  SHARDY_RETURN_IF_ERROR(Prepare(db,
                                 "INSERT INTO shards (db_id, db_url, attempt, row_count, "
                                 "db_bytes, min_key, max_key, checkpoint_id, writer_info) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 &stmt));
  sqlite3_stmt* s = stmt.get();
  for (const ShardMeta& shard : shards) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    sqlite3_bind_int64(s, 1, shard.db_id);
    BindOptionalText(s, 2, shard.db_url);
    sqlite3_bind_int64(s, 3, shard.attempt);
    sqlite3_bind_int64(s, 4, shard.row_count);
    sqlite3_bind_int64(s, 5, shard.db_bytes);
    BindOptionalText(s, 6, shard.min_key ? std::optional(KeyJson(*shard.min_key)) : std::nullopt);
    BindOptionalText(s, 7, shard.max_key ? std::optional(KeyJson(*shard.max_key)) : std::nullopt);
    BindOptionalText(s, 8, shard.checkpoint_id);
    BindText(s, 9, WriterInfoJson(shard.writer_info));
    if (sqlite3_step(s) != SQLITE_DONE) {
      return SqliteBuildError(db, "inserting shard db_id " + std::to_string(shard.db_id));
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Parsing

Status ParseError(const std::string& what) {
  return Status(ErrorCode::kManifestParse, "manifest validation failed: " + what);
}

// One row of a `SELECT *`, with its columns found by name.
class Row {
 public:
  Row(sqlite3_stmt* stmt, const char* table) : stmt_(stmt), table_(table) {
    const int n = sqlite3_column_count(stmt);
    for (int i = 0; i < n; ++i) {
      const char* name = sqlite3_column_name(stmt, i);
      if (name != nullptr) columns_.emplace(name, i);
    }
  }

  Status Int(const char* column, int64_t* out) const {
    int index;
    SHARDY_RETURN_IF_ERROR(Find(column, &index));
    if (sqlite3_column_type(stmt_, index) != SQLITE_INTEGER) {
      return ParseError(Name(column) + " must be an INTEGER");
    }
    *out = sqlite3_column_int64(stmt_, index);
    return Status::OK();
  }

  Status Text(const char* column, std::string* out) const {
    std::optional<std::string> text;
    SHARDY_RETURN_IF_ERROR(OptionalText(column, &text));
    if (!text) return ParseError(Name(column) + " must not be NULL");
    *out = std::move(*text);
    return Status::OK();
  }

  Status OptionalText(const char* column, std::optional<std::string>* out) const {
    int index;
    SHARDY_RETURN_IF_ERROR(Find(column, &index));
    const int type = sqlite3_column_type(stmt_, index);
    if (type == SQLITE_NULL) {
      out->reset();
      return Status::OK();
    }
    if (type != SQLITE_TEXT) return ParseError(Name(column) + " must be TEXT");
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    const int size = sqlite3_column_bytes(stmt_, index);
    if (data == nullptr) return ParseError("could not read " + Name(column) + " (out of memory)");
    out->emplace(data, static_cast<size_t>(size));
    return Status::OK();
  }

  std::string Name(const char* column) const { return std::string(table_) + "." + column; }

 private:
  Status Find(const char* column, int* index) const {
    auto it = columns_.find(column);
    if (it == columns_.end()) {
      return ParseError(std::string(table_) + " is missing column '" + column + "'");
    }
    *index = it->second;
    return Status::OK();
  }

  sqlite3_stmt* stmt_;
  const char* table_;
  std::map<std::string, int> columns_;
};

Status ParseJsonColumn(const Row& row, const char* column, const std::string& text,
                       nlohmann::json* out) {
  Result<nlohmann::json> v = PyJsonLoads(text);
  if (!v.ok()) return ParseError(row.Name(column) + " is not JSON: " + v.status().message());
  *out = std::move(v).value();
  return Status::OK();
}

Status ParseSharding(const Row& row, const std::string& text, ShardingSpec* out) {
  nlohmann::json obj;
  SHARDY_RETURN_IF_ERROR(ParseJsonColumn(row, "sharding", text, &obj));
  if (!obj.is_object()) return ParseError("build_meta.sharding must be a JSON object");
  for (const auto& [key, value] : obj.items()) {
    if (key != "strategy" && key != "hash_algorithm" && key != "cel_expr" && key != "cel_columns" &&
        key != "routing_values") {
      return ParseError("build_meta.sharding has an unknown key '" + key +
                        "' (extra keys are forbidden)");
    }
  }
  const auto field = [&](const char* key) -> const nlohmann::json* {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  };

  const nlohmann::json* strategy = field("strategy");
  if (strategy == nullptr || !strategy->is_string()) {
    return ParseError("sharding.strategy is required and must be a string");
  }
  const std::string& name = strategy->get_ref<const std::string&>();
  if (name == "hash") {
    out->strategy = ShardingSpec::Strategy::kHash;
  } else if (name == "cel") {
    out->strategy = ShardingSpec::Strategy::kCel;
  } else {
    return ParseError("sharding.strategy must be 'hash' or 'cel' (got " + PyJsonDumps(*strategy) +
                      ")");
  }

  const nlohmann::json* algorithm = field("hash_algorithm");
  if (algorithm == nullptr || !algorithm->is_string()) {
    return ParseError("sharding.hash_algorithm is required and must be a string");
  }
  out->hash_algorithm = algorithm->get<std::string>();

  out->cel_expr.reset();
  if (const nlohmann::json* expr = field("cel_expr")) {
    if (!expr->is_string()) return ParseError("sharding.cel_expr must be a string or null");
    out->cel_expr = expr->get<std::string>();
  }

  out->cel_columns.reset();
  if (const nlohmann::json* cols = field("cel_columns")) {
    if (!cols->is_object()) return ParseError("sharding.cel_columns must be an object or null");
    std::map<std::string, std::string> columns;
    for (const auto& [col, type] : cols->items()) {
      if (!type.is_string()) {
        return ParseError("sharding.cel_columns['" + col + "'] must be a type name string");
      }
      columns[col] = type.get<std::string>();
    }
    out->cel_columns = std::move(columns);
  }

  out->routing_values_json.reset();
  if (const nlohmann::json* values = field("routing_values")) {
    if (!values->is_array()) return ParseError("sharding.routing_values must be a list or null");
    std::vector<std::string> texts;
    for (const auto& v : *values) texts.push_back(PyJsonDumps(v));
    out->routing_values_json = std::move(texts);
  }
  return Status::OK();
}

Status ParseKey(const Row& row, const char* column, std::optional<Key>* out) {
  std::optional<std::string> text;
  SHARDY_RETURN_IF_ERROR(row.OptionalText(column, &text));
  out->reset();
  if (!text) return Status::OK();
  nlohmann::json v;
  SHARDY_RETURN_IF_ERROR(ParseJsonColumn(row, column, *text, &v));
  if (v.is_null()) return Status::OK();
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    *out = Key::Int(v.get<int64_t>());
  } else if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) {
      return ParseError(row.Name(column) + " is outside the int64 key domain: " + *text);
    }
    *out = Key::Int(static_cast<int64_t>(u));
  } else if (v.is_string()) {
    *out = Key::Str(v.get<std::string>());
  } else {
    return ParseError(row.Name(column) + " must be a JSON integer or string (got " + *text + ")");
  }
  return Status::OK();
}

Status OptionalInt(const nlohmann::json& obj, const char* key, std::optional<int64_t>* out) {
  auto it = obj.find(key);
  out->reset();
  if (it == obj.end() || it->is_null()) return Status::OK();
  if (!it->is_number_integer()) {
    return ParseError(std::string("shards.writer_info.") + key + " must be an integer or null");
  }
  *out = it->get<int64_t>();
  return Status::OK();
}

Status ParseWriterInfo(const Row& row, const std::string& text, WriterInfo* out) {
  nlohmann::json obj;
  SHARDY_RETURN_IF_ERROR(ParseJsonColumn(row, "writer_info", text, &obj));
  if (!obj.is_object()) return ParseError("shards.writer_info must be a JSON object");
  std::optional<int64_t> v;
  SHARDY_RETURN_IF_ERROR(OptionalInt(obj, "attempt", &v));
  out->attempt = v.value_or(0);
  SHARDY_RETURN_IF_ERROR(OptionalInt(obj, "duration_ms", &v));
  out->duration_ms = v.value_or(0);
  SHARDY_RETURN_IF_ERROR(OptionalInt(obj, "stage_id", &out->stage_id));
  return OptionalInt(obj, "task_attempt_id", &out->task_attempt_id);
}

Status ReadBuildMeta(const Row& row, BuildMeta* meta) {
  SHARDY_RETURN_IF_ERROR(row.Text("run_id", &meta->run_id));
  SHARDY_RETURN_IF_ERROR(row.Text("created_at", &meta->created_at));
  SHARDY_RETURN_IF_ERROR(row.Int("num_dbs", &meta->num_dbs));
  SHARDY_RETURN_IF_ERROR(row.Text("s3_prefix", &meta->s3_prefix));
  SHARDY_RETURN_IF_ERROR(row.Text("key_col", &meta->key_col));
  std::string sharding;
  SHARDY_RETURN_IF_ERROR(row.Text("sharding", &sharding));
  SHARDY_RETURN_IF_ERROR(row.Text("db_path_template", &meta->db_path_template));
  SHARDY_RETURN_IF_ERROR(row.Text("shard_prefix", &meta->shard_prefix));
  SHARDY_RETURN_IF_ERROR(row.Int("format_version", &meta->format_version));
  std::string key_encoding;
  SHARDY_RETURN_IF_ERROR(row.Text("key_encoding", &key_encoding));
  SHARDY_RETURN_IF_ERROR(row.Text("custom", &meta->custom_json));

  std::optional<KeyEncoding> encoding = ParseKeyEncoding(key_encoding);
  if (!encoding) {
    return ParseError("key_encoding must be one of u64be, u32be, utf8, raw (got '" + key_encoding +
                      "')");
  }
  meta->key_encoding = *encoding;
  SHARDY_RETURN_IF_ERROR(ParseSharding(row, sharding, &meta->sharding));
  nlohmann::json custom;
  SHARDY_RETURN_IF_ERROR(ParseJsonColumn(row, "custom", meta->custom_json, &custom));
  if (!custom.is_object()) return ParseError("build_meta.custom must be a JSON object");
  return Status::OK();
}

Status ReadShard(const Row& row, ShardMeta* shard) {
  SHARDY_RETURN_IF_ERROR(row.Int("db_id", &shard->db_id));
  SHARDY_RETURN_IF_ERROR(row.OptionalText("db_url", &shard->db_url));
  SHARDY_RETURN_IF_ERROR(row.Int("attempt", &shard->attempt));
  SHARDY_RETURN_IF_ERROR(row.Int("row_count", &shard->row_count));
  SHARDY_RETURN_IF_ERROR(row.Int("db_bytes", &shard->db_bytes));
  SHARDY_RETURN_IF_ERROR(ParseKey(row, "min_key", &shard->min_key));
  SHARDY_RETURN_IF_ERROR(ParseKey(row, "max_key", &shard->max_key));
  SHARDY_RETURN_IF_ERROR(row.OptionalText("checkpoint_id", &shard->checkpoint_id));
  std::string writer_info;
  SHARDY_RETURN_IF_ERROR(row.Text("writer_info", &writer_info));
  return ParseWriterInfo(row, writer_info, &shard->writer_info);
}

Status SqliteParseError(sqlite3* db, const std::string& what) {
  return ParseError(what + ": " + sqlite3_errmsg(db));
}

Status OpenImage(std::string_view bytes, DbPtr* out) {
  if (bytes.size() < sizeof(kSqliteMagic) ||
      std::memcmp(bytes.data(), kSqliteMagic, sizeof(kSqliteMagic)) != 0) {
    return Status(ErrorCode::kManifestParse,
                  "Unsupported manifest format: the object does not start with the SQLite "
                  "header \"SQLite format 3\\0\" (" +
                      std::to_string(bytes.size()) + " bytes)");
  }
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) !=
      SQLITE_OK) {
    sqlite3_close_v2(raw);
    return Status(ErrorCode::kManifestParse, "could not open an in-memory SQLite database");
  }
  out->reset(raw);
  // Untrusted bytes: refuse schema tricks and check cells as pages load.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  auto* image = static_cast<unsigned char*>(sqlite3_malloc64(bytes.size()));
  if (image == nullptr) return ParseError("out of memory copying the manifest");
  std::memcpy(image, bytes.data(), bytes.size());
  const int rc = sqlite3_deserialize(raw, "main", image, bytes.size(), bytes.size(),
                                     SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
  if (rc != SQLITE_OK) return SqliteParseError(raw, "SQLite deserialize failed");
  if (sqlite3_exec(raw, "PRAGMA cell_size_check = ON", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteParseError(raw, "SQLite setup failed");
  }
  return Status::OK();
}

Status ReadManifest(sqlite3* db, Manifest* manifest) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT * FROM build_meta LIMIT 1", -1, &raw, nullptr) != SQLITE_OK) {
    return SqliteParseError(db, "cannot read table build_meta");
  }
  StmtPtr meta_stmt(raw);
  const int rc = sqlite3_step(meta_stmt.get());
  if (rc == SQLITE_DONE) return ParseError("build_meta has no row");
  if (rc != SQLITE_ROW) return SqliteParseError(db, "cannot read table build_meta");
  SHARDY_RETURN_IF_ERROR(ReadBuildMeta(Row(meta_stmt.get(), "build_meta"), &manifest->meta));

  raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT * FROM shards ORDER BY db_id", -1, &raw, nullptr) !=
      SQLITE_OK) {
    return SqliteParseError(db, "cannot read table shards");
  }
  StmtPtr shards_stmt(raw);
  while (true) {
    const int step = sqlite3_step(shards_stmt.get());
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) return SqliteParseError(db, "cannot read table shards");
    ShardMeta shard;
    SHARDY_RETURN_IF_ERROR(ReadShard(Row(shards_stmt.get(), "shards"), &shard));
    manifest->shards.push_back(std::move(shard));
  }
  return Status::OK();
}

}  // namespace

Result<std::string> SerializeManifest(const Manifest& manifest) {
  std::string rule;
  if (!CheckManifestRules(manifest, &rule)) {
    return BuildError("it would not pass reader validation: " + rule);
  }
  Status error;
  const std::string sharding = ShardingJson(manifest.meta.sharding, &error);
  if (!error.ok()) return error;
  Result<nlohmann::json> custom = PyJsonLoads(manifest.meta.custom_json);
  if (!custom.ok() || !custom->is_object()) {
    return BuildError("custom_json must be a JSON object; got: " + manifest.meta.custom_json);
  }

  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) !=
      SQLITE_OK) {
    Status s = SqliteBuildError(raw, "opening an in-memory database");
    sqlite3_close_v2(raw);
    return s;
  }
  DbPtr db(raw);
  for (const char* ddl : {kBuildMetaDdl, kShardsDdl}) {
    if (sqlite3_exec(raw, ddl, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return SqliteBuildError(raw, "creating the manifest tables");
    }
  }
  SHARDY_RETURN_IF_ERROR(InsertBuildMeta(raw, manifest.meta, sharding, PyJsonDumps(*custom)));
  SHARDY_RETURN_IF_ERROR(InsertShards(raw, manifest.shards));

  sqlite3_int64 size = 0;
  unsigned char* image = sqlite3_serialize(raw, "main", &size, 0);
  if (image == nullptr) return SqliteBuildError(raw, "serializing the manifest");
  std::string bytes(reinterpret_cast<const char*>(image), static_cast<size_t>(size));
  sqlite3_free(image);
  return bytes;
}

Result<Manifest> ParseManifest(std::string_view bytes) {
  DbPtr db;
  SHARDY_RETURN_IF_ERROR(OpenImage(bytes, &db));
  Manifest manifest;
  SHARDY_RETURN_IF_ERROR(ReadManifest(db.get(), &manifest));
  std::string rule;
  if (!CheckManifestRules(manifest, &rule)) return ParseError(rule);
  return manifest;
}

}  // namespace shardyfusion
