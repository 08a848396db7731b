#include "shardyfusion/sqlite_backend.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shardyfusion/object_store.h"

namespace shardyfusion {
namespace {

constexpr const char* kExpectedSchema =
    "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID";

// Forwards to a real store, counting the calls the tests care about and
// optionally failing uploads.
class CountingStore : public ObjectStore {
 public:
  explicit CountingStore(std::shared_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}

  std::atomic<int> get_to_file_calls{0};
  std::atomic<int> put_file_calls{0};
  bool fail_put_file = false;
  std::string last_content_type;

  std::string Url(std::string_view key) const override { return inner_->Url(key); }
  Result<std::string> Put(std::string_view key, std::string_view data,
                          const PutOptions& options) override {
    return inner_->Put(key, data, options);
  }
  Result<std::string> PutFile(std::string_view key, const std::string& path,
                              const PutOptions& options) override {
    ++put_file_calls;
    last_content_type = options.content_type;
    if (fail_put_file) return Status(ErrorCode::kStorage, "injected upload failure");
    return inner_->PutFile(key, path, options);
  }
  Result<std::optional<std::string>> Get(std::string_view key) override { return inner_->Get(key); }
  Result<bool> GetToFile(std::string_view key, const std::string& path) override {
    ++get_to_file_calls;
    return inner_->GetToFile(key, path);
  }
  Result<std::optional<std::string>> GetRange(std::string_view key, uint64_t offset,
                                              uint64_t length) override {
    return inner_->GetRange(key, offset, length);
  }
  Result<std::optional<ObjectInfo>> Head(std::string_view key) override {
    return inner_->Head(key);
  }
  Result<ListResult> List(std::string_view prefix, std::string_view delimiter) override {
    return inner_->List(prefix, delimiter);
  }
  Status Delete(const std::vector<std::string>& keys) override { return inner_->Delete(keys); }

 private:
  std::shared_ptr<ObjectStore> inner_;
};

using Model = std::map<std::string, std::string>;
using Rows = std::vector<std::pair<std::string, std::string>>;

class SqliteBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/sqlite_backend_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    Result<StoreLocation> loc =
        OpenStoreForUrl(std::string("memory://sqlite-backend-") + info->name() + "/root");
    ASSERT_TRUE(loc.ok()) << loc.status().ToString();
    store_ = std::make_shared<CountingStore>(loc->store);
    db_key_ = loc->key + "/db=00000/attempt=00";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ShardWriterContext WriterContext() const {
    return ShardWriterContext{store_, db_key_, dir_ + "/write"};
  }
  ShardReaderContext ReaderContext(const std::string& checkpoint_id) const {
    return ShardReaderContext{store_, db_key_, store_->Url(db_key_), checkpoint_id,
                              dir_ + "/cache"};
  }
  std::string ShardKey() const { return db_key_ + "/shard.db"; }

  // Writes `batches` as one shard and returns the seal result.
  SealResult WriteShard(const std::vector<KvBatch>& batches, SqliteWriterOptions options = {}) {
    auto factory = NewSqliteWriterFactory(options);
    Result<std::unique_ptr<ShardWriter>> writer = factory->Open(WriterContext());
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    if (!writer.ok()) return {};
    for (const KvBatch& batch : batches) {
      Status st = (*writer)->WriteBatch(batch);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    Result<SealResult> sealed = (*writer)->Seal();
    EXPECT_TRUE(sealed.ok()) << sealed.status().ToString();
    return sealed.ok() ? *sealed : SealResult{};
  }

  // Copies the uploaded shard.db to a local file and returns its path.
  std::string DownloadShard() {
    std::string path = dir_ + "/downloaded.db";
    Result<bool> got = store_->GetToFile(ShardKey(), path);
    EXPECT_TRUE(got.ok() && *got) << "shard object missing: " << ShardKey();
    return path;
  }

  std::shared_ptr<CountingStore> store_;
  std::string db_key_;
  std::string dir_;
};

// Plain sqlite3 access to a shard file, independent of the code under test.
class PlainDb {
 public:
  explicit PlainDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  }
  ~PlainDb() { sqlite3_close(db_); }

  // The first column of every row of `sql`, as bytes.
  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    for (const auto& row : Rows2(sql)) out.push_back(row.first);
    return out;
  }
  // Both columns of a two-column query (the second empty for one column).
  Rows Rows2(const std::string& sql) {
    Rows out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      out.emplace_back(Text(stmt, 0), sqlite3_column_count(stmt) > 1 ? Text(stmt, 1) : "");
    }
    EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  static std::string Text(sqlite3_stmt* stmt, int col) {
    const char* p = static_cast<const char*>(sqlite3_column_blob(stmt, col));
    return std::string(p == nullptr ? "" : p, sqlite3_column_bytes(stmt, col));
  }
  sqlite3* db_ = nullptr;
};

// Shuffled keys with duplicates within and across batches, binary bytes, an
// empty key and empty values; `model` receives the last write of each key.
std::vector<KvBatch> MakeBatches(int num_batches, int per_batch, uint32_t seed, Model* model) {
  std::mt19937 rng(seed);
  std::vector<KvBatch> batches(num_batches);
  for (int b = 0; b < num_batches; ++b) {
    for (int i = 0; i < per_batch; ++i) {
      uint32_t n = rng() % 2000;
      std::string key;
      if (n == 0 || (b == 0 && i == 0)) {
        key = "";
      } else if (n % 7 == 0) {
        key = std::string("\0bin\xff", 5) + std::to_string(n);
      } else {
        key = "key-" + std::to_string(n);
      }
      std::string value = (n % 11 == 0) ? "" : "v" + std::to_string(b) + "." + std::to_string(i);
      batches[b].Add(key, value);
      (*model)[key] = value;
    }
  }
  return batches;
}

TEST_F(SqliteBackendTest, FactoriesAreNamedSqlite) {
  EXPECT_EQ(NewSqliteWriterFactory()->name(), "sqlite");
  EXPECT_EQ(NewSqliteReaderFactory()->name(), "sqlite");
}

// Sorted runs in memory, on disk, or both must seal to the same shard.
class SqliteSortMemoryTest : public SqliteBackendTest,
                             public ::testing::WithParamInterface<uint64_t> {};

INSTANTIATE_TEST_SUITE_P(SortMemory, SqliteSortMemoryTest,
                         ::testing::Values(uint64_t{0},         // every run spooled
                                           uint64_t{60000},     // some in memory
                                           uint64_t{1} << 30),  // all in memory
                         [](const ::testing::TestParamInfo<uint64_t>& info) {
                           return "bytes" + std::to_string(info.param);
                         });

TEST_P(SqliteSortMemoryTest, ShuffledBatchesSealToSortedLastWriteWinsShard) {
  Model model;
  std::vector<KvBatch> batches = MakeBatches(/*num_batches=*/19, /*per_batch=*/400, 7, &model);
  SqliteWriterOptions options;
  options.page_size = 8192;
  options.max_merge_fan_in = 4;  // 19 runs -> 5 -> 2: two merge passes
  options.sort_memory_bytes = GetParam();
  SealResult sealed = WriteShard(batches, options);

  EXPECT_EQ(store_->put_file_calls.load(), 1);
  EXPECT_EQ(store_->last_content_type, "application/x-sqlite3");
  Result<std::optional<ObjectInfo>> head = store_->Head(ShardKey());
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ(sealed.db_bytes, (*head)->size);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/write")) << "local files were not removed";

  PlainDb db(DownloadShard());
  EXPECT_EQ(db.Column("SELECT sql FROM sqlite_master"), std::vector<std::string>{kExpectedSchema});
  EXPECT_EQ(db.Column("PRAGMA page_size"), std::vector<std::string>{"8192"});
  EXPECT_EQ(db.Column("SELECT count(*) FROM kv WHERE typeof(k) != 'blob' OR typeof(v) != 'blob'"),
            std::vector<std::string>{"0"});
  // A full scan of a WITHOUT ROWID table walks the primary key B-tree, so
  // comparing with the ordered model checks order, values and count at once.
  Rows expected(model.begin(), model.end());
  EXPECT_EQ(db.Rows2("SELECT k, v FROM kv"), expected);
}

TEST_F(SqliteBackendTest, EmptyShardSealsToValidEmptyDb) {
  SealResult sealed = WriteShard({});
  EXPECT_GT(sealed.db_bytes, 0u);
  PlainDb db(DownloadShard());
  EXPECT_EQ(db.Column("SELECT sql FROM sqlite_master"), std::vector<std::string>{kExpectedSchema});
  EXPECT_EQ(db.Column("PRAGMA page_size"), std::vector<std::string>{"4096"});
  EXPECT_EQ(db.Column("SELECT count(*) FROM kv"), std::vector<std::string>{"0"});
}

TEST_F(SqliteBackendTest, AbandonUploadsNothingAndRemovesLocalFiles) {
  Model model;
  std::vector<KvBatch> batches = MakeBatches(3, 100, 1, &model);
  SqliteWriterOptions spool_everything;
  spool_everything.sort_memory_bytes = 0;
  auto factory = NewSqliteWriterFactory(spool_everything);
  Result<std::unique_ptr<ShardWriter>> writer = factory->Open(WriterContext());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (const KvBatch& batch : batches) ASSERT_TRUE((*writer)->WriteBatch(batch).ok());
  ASSERT_GT(std::distance(std::filesystem::directory_iterator(dir_ + "/write"),
                          std::filesystem::directory_iterator()),
            1);  // shard.db and the spooled runs
  (*writer)->Abandon();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/write"));
  EXPECT_EQ(store_->put_file_calls.load(), 0);
  Result<ListResult> listed = store_->List(db_key_, "");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->objects.empty());
  // The writer is finished: it takes no more data and cannot seal.
  EXPECT_FALSE((*writer)->WriteBatch(batches[0]).ok());
  EXPECT_FALSE((*writer)->Seal().ok());
}

TEST_F(SqliteBackendTest, DestroyingUnsealedWriterActsLikeAbandon) {
  Model model;
  std::vector<KvBatch> batches = MakeBatches(2, 50, 2, &model);
  {
    Result<std::unique_ptr<ShardWriter>> writer = NewSqliteWriterFactory()->Open(WriterContext());
    ASSERT_TRUE(writer.ok());
    for (const KvBatch& batch : batches) ASSERT_TRUE((*writer)->WriteBatch(batch).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/write"));
  EXPECT_EQ(store_->put_file_calls.load(), 0);
}

TEST_F(SqliteBackendTest, FailedUploadReturnsRetryableErrorNamingKey) {
  Model model;
  std::vector<KvBatch> batches = MakeBatches(2, 50, 3, &model);
  store_->fail_put_file = true;
  Result<std::unique_ptr<ShardWriter>> writer = NewSqliteWriterFactory()->Open(WriterContext());
  ASSERT_TRUE(writer.ok());
  for (const KvBatch& batch : batches) ASSERT_TRUE((*writer)->WriteBatch(batch).ok());
  Result<SealResult> sealed = (*writer)->Seal();
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.status().code(), ErrorCode::kStorage);
  EXPECT_TRUE(sealed.status().retryable());
  EXPECT_NE(sealed.status().message().find(ShardKey()), std::string::npos)
      << sealed.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/write"));
  Result<std::optional<ObjectInfo>> head = store_->Head(ShardKey());
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  EXPECT_FALSE((*writer)->Seal().ok());
}

TEST_F(SqliteBackendTest, SealTwiceIsRejected) {
  Result<std::unique_ptr<ShardWriter>> writer = NewSqliteWriterFactory()->Open(WriterContext());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Seal().ok());
  Result<SealResult> again = (*writer)->Seal();
  EXPECT_EQ(again.status().code(), ErrorCode::kInvalidArgument);
  KvBatch batch;
  batch.Add("k", "v");
  EXPECT_EQ((*writer)->WriteBatch(batch).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->put_file_calls.load(), 1);
}

TEST_F(SqliteBackendTest, InvalidWriterOptionsAreConfigErrors) {
  SqliteWriterOptions bad_page;
  bad_page.page_size = 3000;
  EXPECT_EQ(NewSqliteWriterFactory(bad_page)->Open(WriterContext()).status().code(),
            ErrorCode::kConfigValidation);
  SqliteWriterOptions bad_fan_in;
  bad_fan_in.max_merge_fan_in = 1;
  EXPECT_EQ(NewSqliteWriterFactory(bad_fan_in)->Open(WriterContext()).status().code(),
            ErrorCode::kConfigValidation);
}

TEST_F(SqliteBackendTest, ReaderRoundTripWithMisses) {
  Model model;
  WriteShard(MakeBatches(6, 300, 11, &model));
  ASSERT_TRUE(model.count("") == 1) << "the data set should include the empty key";

  Result<std::unique_ptr<ShardReader>> reader =
      NewSqliteReaderFactory()->Open(ReaderContext("ckpt-1"));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  for (const auto& [key, value] : model) {
    Result<std::optional<std::string>> got = (*reader)->Get(key);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value()) << "missing key " << key;
    EXPECT_EQ(**got, value);
  }
  for (const std::string& absent : {std::string("key-2000"), std::string("nope"),
                                    std::string("key-1\0", 6), std::string("\xff", 1)}) {
    Result<std::optional<std::string>> got = (*reader)->Get(absent);
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->has_value()) << absent;
  }

  std::ifstream identity(dir_ + "/cache/shard.identity.json");
  std::stringstream text;
  text << identity.rdbuf();
  EXPECT_EQ(text.str(),
            "{\"checkpoint_id\": \"ckpt-1\", \"db_url\": \"" + store_->Url(db_key_) + "\"}");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/cache/shard.db"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/cache/.cache.lock"));
}

TEST_F(SqliteBackendTest, ReaderReusesCacheUntilIdentityChanges) {
  std::vector<KvBatch> first(1);
  first[0].Add("k", "first");
  WriteShard(first);
  auto factory = NewSqliteReaderFactory();

  auto read_k = [&](const std::string& checkpoint_id) -> std::string {
    Result<std::unique_ptr<ShardReader>> reader = factory->Open(ReaderContext(checkpoint_id));
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return "<open failed>";
    Result<std::optional<std::string>> got = (*reader)->Get("k");
    return got.ok() && got->has_value() ? **got : "<missing>";
  };

  EXPECT_EQ(read_k("c1"), "first");
  EXPECT_EQ(store_->get_to_file_calls.load(), 1);

  // Replace the object behind the same key: a reader with the same identity
  // must keep serving its cached copy without downloading.
  std::vector<KvBatch> second(1);
  second[0].Add("k", "second");
  WriteShard(second);
  EXPECT_EQ(read_k("c1"), "first");
  EXPECT_EQ(store_->get_to_file_calls.load(), 1);

  // A new checkpoint id is a new identity: download again.
  EXPECT_EQ(read_k("c2"), "second");
  EXPECT_EQ(store_->get_to_file_calls.load(), 2);
}

// A shard.db cut by one byte once served a wrong value with rc 0: the
// reader now holds every copy to the manifest's db_bytes.
TEST_F(SqliteBackendTest, ACopyOfTheWrongSizeIsNeverServed) {
  std::vector<KvBatch> batches(1);
  for (int i = 0; i < 2000; ++i) batches[0].Add("k" + std::to_string(i), std::string(50, 'v'));
  const SealResult sealed = WriteShard(batches);
  ASSERT_GT(sealed.db_bytes, 0u);
  auto factory = NewSqliteReaderFactory();
  ShardReaderContext ctx = ReaderContext("c1");
  ctx.db_bytes = sealed.db_bytes;

  // A damaged cached copy (cut by one byte) is downloaded again, once.
  ASSERT_TRUE(factory->Open(ctx).ok());
  EXPECT_EQ(store_->get_to_file_calls.load(), 1);
  const std::string cached = dir_ + "/cache/shard.db";
  std::filesystem::resize_file(cached, sealed.db_bytes - 1);
  Result<std::unique_ptr<ShardReader>> reader = factory->Open(ctx);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(store_->get_to_file_calls.load(), 2);
  EXPECT_EQ(std::filesystem::file_size(cached), sealed.db_bytes);
  EXPECT_EQ((*reader)->Get("k1999")->value_or("<missing>"), std::string(50, 'v'));

  // The object itself cut by one byte: refused, naming the shard and sizes.
  Result<std::optional<std::string>> whole = store_->Get(ShardKey());
  ASSERT_TRUE(whole.ok() && whole->has_value());
  ASSERT_TRUE(store_->Put(ShardKey(), whole->value().substr(0, sealed.db_bytes - 1), {}).ok());
  ctx.checkpoint_id = "c2";
  reader = factory->Open(ctx);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kDbAdapter);
  EXPECT_NE(reader.status().message().find(
                store_->Url(ShardKey()) + " is " + std::to_string(sealed.db_bytes - 1) +
                " bytes but the manifest records db_bytes " + std::to_string(sealed.db_bytes)),
            std::string::npos)
      << reader.status().message();
  EXPECT_EQ(store_->get_to_file_calls.load(), 4) << "one download, then one more";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/cache/shard.identity.json"));
}

TEST_F(SqliteBackendTest, MissingShardObjectIsDbAdapterErrorNamingUrl) {
  Result<std::unique_ptr<ShardReader>> reader = NewSqliteReaderFactory()->Open(ReaderContext("c1"));
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kDbAdapter);
  EXPECT_NE(reader.status().message().find(store_->Url(ShardKey())), std::string::npos)
      << reader.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/cache/shard.identity.json"));
}

TEST_F(SqliteBackendTest, NonSqliteObjectIsRejectedAndNotCached) {
  ASSERT_TRUE(store_->Put(ShardKey(), std::string(8192, 'x'), PutOptions{}).ok());
  auto factory = NewSqliteReaderFactory();
  Result<std::unique_ptr<ShardReader>> reader = factory->Open(ReaderContext("c1"));
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kDbAdapter);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/cache/shard.identity.json"));

  // A second Open downloads again rather than trusting the bad copy.
  reader = factory->Open(ReaderContext("c1"));
  EXPECT_FALSE(reader.ok());
  EXPECT_EQ(store_->get_to_file_calls.load(), 2);
}

TEST_F(SqliteBackendTest, SqliteFileWithoutKvTableIsRejected) {
  std::string path = dir_ + "/other.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE other (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ASSERT_TRUE(store_->PutFile(ShardKey(), path, PutOptions{}).ok());

  Result<std::unique_ptr<ShardReader>> reader = NewSqliteReaderFactory()->Open(ReaderContext("c1"));
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kDbAdapter);
  EXPECT_NE(reader.status().message().find("kv"), std::string::npos) << reader.status().message();
}

TEST_F(SqliteBackendTest, ConcurrentGetsSeeConsistentValues) {
  Model model;
  WriteShard(MakeBatches(4, 500, 5, &model));
  Result<std::unique_ptr<ShardReader>> reader = NewSqliteReaderFactory()->Open(ReaderContext("c1"));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ShardReader* shared = reader->get();

  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (const auto& [key, value] : model) {
          Result<std::optional<std::string>> got = shared->Get(key);
          if (!got.ok() || !got->has_value() || **got != value) ++wrong;
        }
        Result<std::optional<std::string>> miss = shared->Get("absent-" + std::to_string(t));
        if (!miss.ok() || miss->has_value()) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace shardyfusion
