#include "shardyfusion/manifest.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <random>

#include "core/py_json.h"

namespace shardyfusion {
namespace {

// A writable copy of a manifest image, for reading columns back and for
// crafting invalid manifests with SQL.
class Image {
 public:
  explicit Image(const std::string& bytes) {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    auto* buf = static_cast<unsigned char*>(sqlite3_malloc64(bytes.size()));
    std::memcpy(buf, bytes.data(), bytes.size());
    EXPECT_EQ(sqlite3_deserialize(db_, "main", buf, bytes.size(), bytes.size(),
                                  SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE),
              SQLITE_OK);
  }
  ~Image() { sqlite3_close(db_); }

  void Exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << sql << ": " << (err ? err : "");
  }

  // The first column of the first row of `sql` as text ("<NULL>" for NULL).
  std::string Scalar(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out = "<none>";
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      out = text ? std::string(text, sqlite3_column_bytes(stmt, 0)) : "<NULL>";
    }
    sqlite3_finalize(stmt);
    return out;
  }

  std::string Bytes() {
    sqlite3_int64 size = 0;
    unsigned char* data = sqlite3_serialize(db_, "main", &size, 0);
    std::string out(reinterpret_cast<char*>(data), size);
    sqlite3_free(data);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

const std::string kInvalidUtf8 = std::string("ab\xff\xfe\xc3", 5);

Manifest HashManifest() {
  Manifest m;
  m.meta.run_id = "r1";
  m.meta.created_at = "2026-01-02T03:04:05.120000Z";
  m.meta.num_dbs = 4;
  m.meta.s3_prefix = "s3://bucket/prefix";
  m.meta.key_encoding = KeyEncoding::kUtf8;
  m.meta.custom_json = "{\"z\":1,\"caf\xc3\xa9\":[true,null,1.5],\"a\":{}}";

  ShardMeta s0;
  s0.db_id = 0;
  s0.db_url = "s3://bucket/prefix/shards/run_id=r1/db=00000/attempt=00";
  s0.row_count = 10;
  s0.db_bytes = 8192;
  s0.min_key = Key::Int(-5);
  s0.max_key = Key::Int(9007199254740993);
  s0.checkpoint_id = "0123456789abcdef0123456789abcdef";
  s0.writer_info = WriterInfo{0, 17, std::nullopt, std::nullopt};

  ShardMeta s1;
  s1.db_id = 1;
  s1.db_url = "s3://bucket/prefix/shards/run_id=r1/db=00001/attempt=02";
  s1.attempt = 2;
  s1.row_count = 3;
  s1.db_bytes = 4096;
  s1.min_key = Key::Str("caf\xc3\xa9");
  s1.max_key = Key::Str("\xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x98\x80\"\\\n");
  s1.writer_info = WriterInfo{2, 5, 7, 9};

  ShardMeta s3;
  s3.db_id = 3;
  s3.db_url = "s3://bucket/prefix/shards/run_id=r1/db=00003/attempt=00";
  s3.row_count = 1;
  s3.db_bytes = 4096;
  s3.min_key = Key::Bytes(std::string("\x00\x01", 2));
  s3.max_key = Key::Bytes(kInvalidUtf8);
  m.shards = {s0, s1, s3};
  return m;
}

std::string Serialized(const Manifest& m) {
  Result<std::string> bytes = SerializeManifest(m);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

TEST(ManifestTest, RoundTripsAHashManifest) {
  const Manifest in = HashManifest();
  const std::string bytes = Serialized(in);
  ASSERT_EQ(bytes.compare(0, 16, std::string("SQLite format 3\0", 16)), 0);

  Result<Manifest> out = ParseManifest(bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const BuildMeta& m = out->meta;
  EXPECT_EQ(m.run_id, "r1");
  EXPECT_EQ(m.created_at, "2026-01-02T03:04:05.120000Z");
  EXPECT_EQ(m.num_dbs, 4);
  EXPECT_EQ(m.s3_prefix, "s3://bucket/prefix");
  EXPECT_EQ(m.key_col, "_key");
  EXPECT_EQ(m.db_path_template, "db={db_id:05d}");
  EXPECT_EQ(m.shard_prefix, "shards");
  EXPECT_EQ(m.format_version, 4);
  EXPECT_EQ(m.key_encoding, KeyEncoding::kUtf8);
  EXPECT_EQ(m.sharding.strategy, ShardingSpec::Strategy::kHash);
  EXPECT_EQ(m.sharding.hash_algorithm, "xxh3_64");
  EXPECT_FALSE(m.sharding.cel_expr || m.sharding.cel_columns || m.sharding.routing_values_json);
  EXPECT_EQ(m.custom_json, "{\"a\": {}, \"caf\\u00e9\": [true, null, 1.5], \"z\": 1}");

  ASSERT_EQ(out->shards.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const ShardMeta& a = in.shards[i];
    const ShardMeta& b = out->shards[i];
    EXPECT_EQ(a.db_id, b.db_id);
    EXPECT_EQ(a.db_url, b.db_url);
    EXPECT_EQ(a.attempt, b.attempt);
    EXPECT_EQ(a.row_count, b.row_count);
    EXPECT_EQ(a.db_bytes, b.db_bytes);
    EXPECT_EQ(a.checkpoint_id, b.checkpoint_id);
    EXPECT_EQ(a.writer_info.attempt, b.writer_info.attempt);
    EXPECT_EQ(a.writer_info.duration_ms, b.writer_info.duration_ms);
    EXPECT_EQ(a.writer_info.stage_id, b.writer_info.stage_id);
    EXPECT_EQ(a.writer_info.task_attempt_id, b.writer_info.task_attempt_id);
  }
  EXPECT_EQ(out->shards[0].min_key, Key::Int(-5));
  EXPECT_EQ(out->shards[0].max_key, Key::Int(9007199254740993));
  EXPECT_EQ(out->shards[1].min_key, in.shards[1].min_key);
  EXPECT_EQ(out->shards[1].max_key, in.shards[1].max_key);
  // Byte strings come back as text (the format cannot tell them apart) with
  // exactly the same bytes, invalid UTF-8 included.
  ASSERT_TRUE(out->shards[2].min_key && out->shards[2].max_key);
  EXPECT_EQ(out->shards[2].min_key->kind(), Key::Kind::kStr);
  EXPECT_EQ(out->shards[2].min_key->bytes(), std::string("\x00\x01", 2));
  EXPECT_EQ(out->shards[2].max_key->bytes(), kInvalidUtf8);
  EXPECT_FALSE(out->shards[2].checkpoint_id);
}

TEST(ManifestTest, WritesTheExactDdl) {
  Image image(Serialized(HashManifest()));
  EXPECT_EQ(image.Scalar("SELECT sql FROM sqlite_master WHERE name = 'build_meta'"),
            "CREATE TABLE build_meta (run_id TEXT NOT NULL, created_at TEXT NOT NULL, num_dbs "
            "INTEGER NOT NULL, s3_prefix TEXT NOT NULL, key_col TEXT NOT NULL, sharding TEXT NOT "
            "NULL, db_path_template TEXT NOT NULL, shard_prefix TEXT NOT NULL, format_version "
            "INTEGER NOT NULL, key_encoding TEXT NOT NULL, custom TEXT NOT NULL DEFAULT '{}')");
  EXPECT_EQ(image.Scalar("SELECT sql FROM sqlite_master WHERE name = 'shards'"),
            "CREATE TABLE shards (db_id INTEGER NOT NULL PRIMARY KEY, db_url TEXT, attempt "
            "INTEGER NOT NULL, row_count INTEGER NOT NULL, db_bytes INTEGER NOT NULL, min_key "
            "TEXT, max_key TEXT, checkpoint_id TEXT, writer_info TEXT NOT NULL DEFAULT '{}')");
  EXPECT_EQ(image.Scalar("SELECT group_concat(name) FROM sqlite_master"), "build_meta,shards");
}

TEST(ManifestTest, WritesExactJsonColumns) {
  Image image(Serialized(HashManifest()));
  // The reference's HASH sharding object, every key present (spec 2.3).
  EXPECT_EQ(image.Scalar("SELECT sharding FROM build_meta"),
            "{\"cel_columns\": null, \"cel_expr\": null, \"hash_algorithm\": \"xxh3_64\", "
            "\"routing_values\": null, \"strategy\": \"hash\"}");
  EXPECT_EQ(image.Scalar("SELECT key_encoding FROM build_meta"), "utf8");
  EXPECT_EQ(image.Scalar("SELECT typeof(num_dbs) || typeof(format_version) FROM build_meta"),
            "integerinteger");
  EXPECT_EQ(image.Scalar("SELECT writer_info FROM shards WHERE db_id = 1"),
            "{\"attempt\": 2, \"duration_ms\": 5, \"stage_id\": 7, \"task_attempt_id\": 9}");
  EXPECT_EQ(image.Scalar("SELECT writer_info FROM shards WHERE db_id = 0"),
            "{\"attempt\": 0, \"duration_ms\": 17, \"stage_id\": null, \"task_attempt_id\": "
            "null}");
  EXPECT_EQ(image.Scalar("SELECT min_key FROM shards WHERE db_id = 0"), "-5");
  // Expected texts from python3: json.dumps("café"), json.dumps("日本😀\"\\\n"),
  // json.dumps(b"ab\xff\xfe\xc3".decode("utf-8", "surrogateescape")).
  EXPECT_EQ(image.Scalar("SELECT min_key FROM shards WHERE db_id = 1"), "\"caf\\u00e9\"");
  EXPECT_EQ(image.Scalar("SELECT max_key FROM shards WHERE db_id = 1"),
            "\"\\u65e5\\u672c\\ud83d\\ude00\\\"\\\\\\n\"");
  EXPECT_EQ(image.Scalar("SELECT min_key FROM shards WHERE db_id = 3"), "\"\\u0000\\u0001\"");
  EXPECT_EQ(image.Scalar("SELECT max_key FROM shards WHERE db_id = 3"),
            "\"ab\\udcff\\udcfe\\udcc3\"");
  EXPECT_EQ(image.Scalar("SELECT checkpoint_id FROM shards WHERE db_id = 3"), "<NULL>");
}

TEST(ManifestTest, AbsentKeysAndUrlAreNull) {
  Manifest m = HashManifest();
  m.shards[0].min_key.reset();
  m.shards[0].max_key.reset();
  m.shards[0].db_url.reset();
  Image image(Serialized(m));
  EXPECT_EQ(image.Scalar("SELECT coalesce(min_key, max_key, db_url, 'all null') FROM shards "
                         "WHERE db_id = 0"),
            "all null");
  Result<Manifest> out = ParseManifest(image.Bytes());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE(out->shards[0].min_key || out->shards[0].max_key || out->shards[0].db_url);
}

Manifest CelManifest() {
  Manifest m = HashManifest();
  m.meta.num_dbs = 3;
  m.meta.sharding.strategy = ShardingSpec::Strategy::kCel;
  m.meta.sharding.cel_expr = "region";
  m.meta.sharding.cel_columns = std::map<std::string, std::string>{{"region", "string"}};
  m.meta.sharding.routing_values_json = std::vector<std::string>{"\"eu\"", "\"us\"", "\"\\u00e9\""};
  m.shards.pop_back();
  return m;
}

TEST(ManifestTest, RoundTripsACategoricalCelManifest) {
  const std::string bytes = Serialized(CelManifest());
  Image image(bytes);
  EXPECT_EQ(image.Scalar("SELECT sharding FROM build_meta"),
            "{\"cel_columns\": {\"region\": \"string\"}, \"cel_expr\": \"region\", "
            "\"hash_algorithm\": \"xxh3_64\", \"routing_values\": [\"eu\", \"us\", \"\\u00e9\"], "
            "\"strategy\": \"cel\"}");
  Result<Manifest> out = ParseManifest(bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->meta.sharding.strategy, ShardingSpec::Strategy::kCel);
  EXPECT_EQ(out->meta.sharding.cel_expr, "region");
  EXPECT_EQ(out->meta.sharding.routing_values_json,
            CelManifest().meta.sharding.routing_values_json);
}

TEST(ManifestTest, SerializeRefusesWhatReadersWouldReject) {
  Manifest m = HashManifest();
  m.meta.custom_json = "[1]";
  Result<std::string> bytes = SerializeManifest(m);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), ErrorCode::kPublishManifest);
  EXPECT_NE(bytes.status().message().find("custom_json"), std::string::npos);

  m = HashManifest();
  m.meta.num_dbs = 3;  // shard 3 is out of range
  bytes = SerializeManifest(m);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), ErrorCode::kPublishManifest);
  EXPECT_NE(bytes.status().message().find("out of range"), std::string::npos);
}

// Applies `sql` to a valid manifest and expects ParseManifest to fail with a
// kManifestParse error whose message contains `expected`.
void ExpectRejected(const std::string& sql, const std::string& expected,
                    const Manifest& base = HashManifest()) {
  Image image(Serialized(base));
  image.Exec(sql);
  Result<Manifest> out = ParseManifest(image.Bytes());
  ASSERT_FALSE(out.ok()) << "accepted after: " << sql;
  EXPECT_EQ(out.status().code(), ErrorCode::kManifestParse);
  EXPECT_NE(out.status().message().find(expected), std::string::npos)
      << "message: " << out.status().message();
}

void SetSharding(const std::string& json, const std::string& expected) {
  ExpectRejected("UPDATE build_meta SET sharding = '" + json + "'", expected);
}

TEST(ManifestRulesTest, Rule1Magic) {
  Result<Manifest> out = ParseManifest("{\"required\": {}}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), ErrorCode::kManifestParse);
  EXPECT_NE(out.status().message().find("Unsupported manifest format"), std::string::npos);
  EXPECT_FALSE(ParseManifest("").ok());
}

TEST(ManifestRulesTest, Rule1NotADatabaseAfterTheMagic) {
  std::string bytes = std::string("SQLite format 3\0", 16) + std::string(200, 'x');
  Result<Manifest> out = ParseManifest(bytes);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), ErrorCode::kManifestParse);
}

TEST(ManifestRulesTest, RowShape) {
  ExpectRejected("DROP TABLE build_meta", "build_meta");
  ExpectRejected("DROP TABLE shards", "shards");
  ExpectRejected("DELETE FROM build_meta", "build_meta has no row");
  ExpectRejected("ALTER TABLE build_meta DROP COLUMN custom", "missing column 'custom'");
  ExpectRejected("ALTER TABLE shards DROP COLUMN db_bytes", "missing column 'db_bytes'");
  ExpectRejected("UPDATE build_meta SET num_dbs = 'four'", "build_meta.num_dbs must be an INTEGER");
  ExpectRejected("UPDATE shards SET min_key = 'not json' WHERE db_id = 0",
                 "shards.min_key is not JSON");
  ExpectRejected("UPDATE shards SET max_key = '[1]' WHERE db_id = 0",
                 "shards.max_key must be a JSON integer or string");
  ExpectRejected("UPDATE shards SET writer_info = '[]'", "writer_info must be a JSON object");
  ExpectRejected("UPDATE build_meta SET custom = '[]'", "custom must be a JSON object");
  ExpectRejected(
      "CREATE TABLE t AS SELECT * FROM build_meta; DROP TABLE build_meta; "
      "ALTER TABLE t RENAME TO build_meta; UPDATE build_meta SET run_id = NULL",
      "build_meta.run_id must not be NULL");
}

TEST(ManifestRulesTest, ExtraColumnsAreIgnored) {
  Image image(Serialized(HashManifest()));
  image.Exec("ALTER TABLE build_meta ADD COLUMN future TEXT DEFAULT 'x'");
  image.Exec("ALTER TABLE shards ADD COLUMN future INTEGER");
  EXPECT_TRUE(ParseManifest(image.Bytes()).ok());
}

TEST(ManifestRulesTest, OmittedNullShardingKeysAreAccepted) {
  Image image(Serialized(HashManifest()));
  image.Exec(
      "UPDATE build_meta SET sharding = '{\"hash_algorithm\": \"xxh3_64\", \"strategy\": "
      "\"hash\"}'");
  EXPECT_TRUE(ParseManifest(image.Bytes()).ok());
}

TEST(ManifestRulesTest, Rule2NumDbsPositive) {
  Image image(Serialized(HashManifest()));
  image.Exec("DELETE FROM shards; UPDATE build_meta SET num_dbs = 0");
  Result<Manifest> out = ParseManifest(image.Bytes());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), ErrorCode::kManifestParse);
  EXPECT_EQ(out.status().message(), "manifest validation failed: num_dbs must be > 0 (got 0)");
}

// A manifest naming billions of shards once made the reader abort in an
// allocation; it is a parse error, as are totals that overflow.
TEST(ManifestRulesTest, Rule2AbsurdSizesAreRejected) {
  ExpectRejected("UPDATE build_meta SET num_dbs = 4294967296",
                 "num_dbs 4294967296 is more than the 65536 shards a snapshot may have");
  ExpectRejected("UPDATE build_meta SET num_dbs = 65537", "num_dbs 65537 is more than");
  ExpectRejected("UPDATE shards SET row_count = 9223372036854775807",
                 "row_count or db_bytes add up to more than 2^63-1");
  ExpectRejected("UPDATE shards SET db_bytes = 5000000000000000000",
                 "row_count or db_bytes add up to more than 2^63-1");
}

TEST(ManifestRulesTest, Rule2ShardFieldsNonNegative) {
  ExpectRejected("UPDATE shards SET db_id = -1 WHERE db_id = 0",
                 "shard db_id must be >= 0 (db_id -1, got -1)");
  ExpectRejected("UPDATE shards SET attempt = -1 WHERE db_id = 1",
                 "shard attempt must be >= 0 (db_id 1, got -1)");
  ExpectRejected("UPDATE shards SET row_count = -2 WHERE db_id = 1",
                 "shard row_count must be >= 0");
  ExpectRejected("UPDATE shards SET db_bytes = -3 WHERE db_id = 3", "shard db_bytes must be >= 0");
}

TEST(ManifestRulesTest, Rule2KeyEncoding) {
  ExpectRejected("UPDATE build_meta SET key_encoding = 'u16be'",
                 "key_encoding must be one of u64be, u32be, utf8, raw (got 'u16be')");
}

TEST(ManifestRulesTest, Rule2Strategy) {
  SetSharding("{\"hash_algorithm\": \"xxh3_64\", \"strategy\": \"range\"}",
              "sharding.strategy must be 'hash' or 'cel'");
  SetSharding("{\"hash_algorithm\": \"xxh3_64\"}", "sharding.strategy is required");
  SetSharding("[]", "sharding must be a JSON object");
  SetSharding("{\"hash_algorithm\": \"xxh3_64\", \"strategy\": \"hash\", \"num_dbs\": 4}",
              "unknown key 'num_dbs' (extra keys are forbidden)");
}

TEST(ManifestRulesTest, Rule2HashAlgorithm) {
  SetSharding("{\"strategy\": \"hash\"}", "sharding.hash_algorithm is required");
  SetSharding("{\"hash_algorithm\": \"md5\", \"strategy\": \"hash\"}",
              "sharding.hash_algorithm must be 'xxh3_64' (got 'md5')");
}

TEST(ManifestRulesTest, Rule2CelNeedsExpressionAndColumns) {
  SetSharding(
      "{\"cel_columns\": {\"k\": \"int\"}, \"hash_algorithm\": \"xxh3_64\", \"strategy\": "
      "\"cel\"}",
      "CEL sharding requires a non-empty sharding.cel_expr");
  SetSharding(
      "{\"cel_columns\": {\"k\": \"int\"}, \"cel_expr\": \"\", \"hash_algorithm\": \"xxh3_64\", "
      "\"strategy\": \"cel\"}",
      "CEL sharding requires a non-empty sharding.cel_expr");
  SetSharding(
      "{\"cel_columns\": {}, \"cel_expr\": \"k % 4\", \"hash_algorithm\": \"xxh3_64\", "
      "\"strategy\": \"cel\"}",
      "CEL sharding requires a non-empty sharding.cel_columns");
}

TEST(ManifestRulesTest, Rule2HashForbidsCelFields) {
  SetSharding("{\"hash_algorithm\": \"xxh3_64\", \"routing_values\": [1], \"strategy\": \"hash\"}",
              "HASH sharding requires sharding.routing_values to be null");
  SetSharding("{\"cel_expr\": \"k\", \"hash_algorithm\": \"xxh3_64\", \"strategy\": \"hash\"}",
              "HASH sharding requires sharding.cel_expr to be null");
  SetSharding(
      "{\"cel_columns\": {\"k\": \"int\"}, \"hash_algorithm\": \"xxh3_64\", \"strategy\": "
      "\"hash\"}",
      "HASH sharding requires sharding.cel_columns to be null");
}

std::string CelSharding(const std::string& routing_values) {
  return "{\"cel_columns\": {\"k\": \"string\"}, \"cel_expr\": \"k\", \"hash_algorithm\": "
         "\"xxh3_64\", \"routing_values\": " +
         routing_values + ", \"strategy\": \"cel\"}";
}

TEST(ManifestRulesTest, Rule2RoutingValueElements) {
  SetSharding(CelSharding("[\"a\", null, \"b\", \"c\"]"),
              "sharding.routing_values[1] must not be null");
  SetSharding(CelSharding("[1, true, 2, 3]"), "sharding.routing_values[1] must not be a boolean");
  SetSharding(CelSharding("[1, 2.5, 3, 4]"),
              "sharding.routing_values[1] must be an int or a string");
  SetSharding(CelSharding("[1, \"2\", 3, 4]"), "sharding.routing_values must all share one type");
  SetSharding(CelSharding("[\"a\", \"b\", \"a\", \"c\"]"),
              "sharding.routing_values must be unique; duplicate \"a\"");
}

TEST(ManifestRulesTest, Rule3FormatVersion) {
  ExpectRejected("UPDATE build_meta SET format_version = 3",
                 "Unsupported manifest format_version 3 (only 4 is supported)");
}

TEST(ManifestRulesTest, Rule4ShardCountAndIds) {
  ExpectRejected("UPDATE build_meta SET num_dbs = 2", "manifest lists 3 shards but num_dbs is 2");
  ExpectRejected("UPDATE build_meta SET num_dbs = 3",
                 "shard db_id 3 is out of range for num_dbs 3");
  // Only a file without the PRIMARY KEY can hold a duplicate id; readers
  // accept any SQLite file with the right columns, so it must be caught.
  ExpectRejected(
      "CREATE TABLE t AS SELECT * FROM shards; DROP TABLE shards; ALTER TABLE t RENAME TO "
      "shards; DELETE FROM shards WHERE db_id = 3; INSERT INTO shards SELECT * FROM shards "
      "WHERE db_id = 1",
      "duplicate shard db_id 1");
}

TEST(ManifestRulesTest, Rule5CategoricalShardCount) {
  ExpectRejected("UPDATE build_meta SET num_dbs = 4",
                 "num_dbs must equal max(1, len(routing_values)) = 3 (got 4)", CelManifest());
  Image image(Serialized(CelManifest()));
  image.Exec("DELETE FROM shards; UPDATE build_meta SET num_dbs = 1, sharding = '" +
             CelSharding("[]") + "'");
  EXPECT_TRUE(ParseManifest(image.Bytes()).ok()) << "empty routing_values means num_dbs 1";
}

// Truncated and bit-flipped manifests must only ever produce errors or a
// valid parse; the sanitizer build turns any memory error into a failure.
TEST(ManifestFuzzTest, CorruptedImagesNeverCrash) {
  const std::string good = Serialized(CelManifest());
  std::mt19937 rng(12345);
  int rejected = 0;
  auto check = [&](const std::string& bytes) {
    Result<Manifest> out = ParseManifest(bytes);
    if (!out.ok()) {
      ++rejected;
      EXPECT_EQ(out.status().code(), ErrorCode::kManifestParse) << out.status().ToString();
    }
  };
  for (size_t len = 0; len < good.size(); len += 61) check(good.substr(0, len));
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) {
      const size_t pos = rng() % bytes.size();
      bytes[pos] = static_cast<char>(bytes[pos] ^ (1u << (rng() % 8)));
    }
    check(bytes);
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace shardyfusion
