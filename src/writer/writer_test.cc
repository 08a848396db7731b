#include "shardyfusion/writer.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <ranges>

#include "core/status_internal.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/routing.h"
#include "writer/layout.h"
#include "writer/winners.h"

namespace shardyfusion {
namespace {

// A shard backend that records what the engine hands it and stores one
// object per attempt, so tests can see batching and cleanup decisions.
struct Recording {
  std::mutex mu;
  std::map<std::string, std::vector<size_t>> batches;              // db_key -> batch sizes
  std::map<std::string, std::map<std::string, std::string>> data;  // db_key -> k -> v
  int opens = 0;
  int abandons = 0;
};

class RecordingWriter : public ShardWriter {
 public:
  RecordingWriter(std::shared_ptr<Recording> rec, ShardWriterContext ctx)
      : rec_(std::move(rec)), ctx_(std::move(ctx)) {}
  Status WriteBatch(const KvBatch& batch) override {
    // Uploads as it goes, as SlateDB's direct mode does.
    SHARDY_RETURN_IF_ERROR(
        ctx_.store->Put(ctx_.db_key + "/batch-" + std::to_string(batches_++), "b", {}).status());
    std::lock_guard<std::mutex> lock(rec_->mu);
    rec_->batches[ctx_.db_key].push_back(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      rec_->data[ctx_.db_key][std::string(batch.key(i))] = std::string(batch.value(i));
    }
    return Status::OK();
  }
  Result<SealResult> Seal() override {
    SHARDY_ASSIGN_OR_RETURN(std::string etag, ctx_.store->Put(ctx_.db_key + "/data", "x", {}));
    (void)etag;
    return SealResult{123};
  }
  void Abandon() override {
    std::lock_guard<std::mutex> lock(rec_->mu);
    ++rec_->abandons;
  }

 private:
  std::shared_ptr<Recording> rec_;
  ShardWriterContext ctx_;
  int batches_ = 0;
};

class RecordingFactory : public ShardWriterFactory {
 public:
  explicit RecordingFactory(std::shared_ptr<Recording> rec) : rec_(std::move(rec)) {}
  std::string name() const override { return "recording"; }
  Result<std::unique_ptr<ShardWriter>> Open(const ShardWriterContext& ctx) override {
    std::lock_guard<std::mutex> lock(rec_->mu);
    ++rec_->opens;
    return std::unique_ptr<ShardWriter>(new RecordingWriter(rec_, ctx));
  }

 private:
  std::shared_ptr<Recording> rec_;
};

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    prefix_ = "memory://writer-test-" + std::to_string(counter++) + "/snap";
    rec_ = std::make_shared<Recording>();
    config_.s3_prefix = prefix_;
    config_.adapter_factory = std::make_shared<RecordingFactory>(rec_);
    config_.local_root = ::testing::TempDir() + "/writer_test_staging";
  }
  std::shared_ptr<ObjectStore> Store() { return OpenStoreForUrl(prefix_)->store; }

  std::string prefix_;
  std::shared_ptr<Recording> rec_;
  HashShardedWriteConfig config_;
};

TEST_F(WriterTest, FlushesPerShardBatchesOfBatchSize) {
  config_.num_dbs = 3;
  config_.batch_size = 10;
  auto records = std::views::iota(int64_t{0}, int64_t{1000});
  Result<BuildResult> r = WriteHashSharded(
      records, config_,
      RecordInput{[](int64_t i) { return i; }, [](int64_t) { return std::string("v"); }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->stats.rows_written, 1000);
  EXPECT_EQ(r->num_dbs, 3);
  ASSERT_EQ(rec_->batches.size(), 3u);
  for (const auto& [key, sizes] : rec_->batches) {
    for (size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_EQ(sizes[i], 10u) << key;
    EXPECT_LE(sizes.back(), 10u);
  }
}

TEST_F(WriterTest, RoutesEveryKeyToItsHashShard) {
  config_.num_dbs = 5;
  auto records = std::views::iota(int64_t{0}, int64_t{500});
  Result<BuildResult> r = WriteHashSharded(
      records, config_,
      RecordInput{[](int64_t i) { return i; }, [](int64_t) { return std::string("v"); }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::shared_ptr<const Router> router = NewHashRouter(5);
  for (const ShardMeta& w : r->winners) {
    const std::string key = OpenStoreForUrl(*w.db_url)->key;
    for (const auto& [k, v] : rec_->data[key]) {
      int64_t id = 0;
      for (unsigned char c : k) id = (id << 8) | c;
      EXPECT_EQ(**router->Route(Key::Int(id), {}, nullptr), w.db_id) << id;
    }
  }
}

TEST_F(WriterTest, EmptyShardsAreOmittedAndNeverOpened) {
  config_.num_dbs = 16;
  std::vector<int64_t> keys = {1, 2, 3};
  Result<BuildResult> r = WriteHashSharded(
      keys, config_,
      RecordInput{[](int64_t i) { return i; }, [](int64_t) { return std::string("v"); }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LE(r->winners.size(), 3u);
  EXPECT_EQ(rec_->opens, static_cast<int>(r->winners.size()));
  ManifestStore ms(Store(), "snap");
  Result<Manifest> m = ms.LoadManifest(r->manifest_ref);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->meta.num_dbs, 16);
  EXPECT_EQ(m->shards.size(), r->winners.size());
}

TEST_F(WriterTest, TracksMinMaxAndRowCountsWithDuplicates) {
  config_.num_dbs = 1;
  std::vector<int64_t> keys = {5, 0, 9, 5, 7};
  config_.key_encoding = KeyEncoding::kU64BE;
  Result<BuildResult> r = WriteHashSharded(
      keys, config_,
      RecordInput{[](int64_t i) { return i; }, [](int64_t) { return std::string("v"); }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->winners.size(), 1u);
  EXPECT_EQ(r->winners[0].row_count, 5);  // duplicates counted, as the reference does
  EXPECT_EQ(r->winners[0].min_key, Key::Int(0));
  EXPECT_EQ(r->winners[0].max_key, Key::Int(9));
  EXPECT_EQ(r->winners[0].db_bytes, 123);
}

TEST_F(WriterTest, MemoryCeilingFlushesTheLargestBatch) {
  config_.num_dbs = 4;
  config_.batch_size = 1000000;  // never reached: only the ceiling flushes
  WriteOptions options;
  options.max_total_batched_items = 50;
  auto records = std::views::iota(int64_t{0}, int64_t{2000});
  Result<BuildResult> r = WriteHashSharded(
      records, config_,
      RecordInput{[](int64_t i) { return i; }, [](int64_t) { return std::string("v"); }}, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  size_t flushes = 0;
  for (const auto& [key, sizes] : rec_->batches) {
    for (size_t s : sizes) EXPECT_LE(s, 51u) << key;  // a batch never exceeds the ceiling
    flushes += sizes.size();
  }
  EXPECT_GT(flushes, 2000u / 51);
}

TEST_F(WriterTest, InvalidConfigFailsBeforeAnyIo) {
  auto expect_config_error = [&](HashShardedWriteConfig c, const std::string& needle) {
    Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(c, {}, 10);
    ASSERT_FALSE(w.ok()) << needle;
    EXPECT_EQ(w.status().code(), ErrorCode::kConfigValidation);
    EXPECT_NE(w.status().message().find(needle), std::string::npos) << w.status().message();
  };
  HashShardedWriteConfig c = config_;
  expect_config_error(c, "exactly one of num_dbs");
  c.num_dbs = 0;
  expect_config_error(c, "num_dbs must be > 0");
  c.num_dbs = 2;
  c.max_keys_per_shard = 5;
  expect_config_error(c, "exactly one");
  c.max_keys_per_shard.reset();
  c.batch_size = 0;
  expect_config_error(c, "batch_size");
  c.batch_size = 10;
  c.shard_prefix = "a/b";
  expect_config_error(c, "shard_prefix");
  c.shard_prefix = "shards";
  c.db_path_template = "db={shard}";
  expect_config_error(c, "db_path_template");
  c.db_path_template = "db={db_id:05d}";
  c.run_id = "bad/run";
  expect_config_error(c, "run_id");
  c.run_id.reset();
  c.custom_manifest_fields_json = "[1]";
  expect_config_error(c, "custom_manifest_fields_json");
  c.custom_manifest_fields_json = "{}";
  c.s3_prefix = "memory://writer-test-bucket-only";
  expect_config_error(c, "non-empty key prefix");
  c.s3_prefix = "ftp://host/x";
  expect_config_error(c, "ftp://host/x");
  EXPECT_EQ(rec_->opens, 0);
  Result<ListResult> listed = Store()->List("", "");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->objects.empty());
}

TEST_F(WriterTest, MaxKeysPerShardDerivesShardCount) {
  config_.max_keys_per_shard = 300;
  std::vector<int64_t> keys(1000);
  for (int i = 0; i < 1000; ++i) keys[i] = i;
  Result<BuildResult> r = WriteHashSharded(
      keys, config_,
      RecordInput{[](int64_t i) { return i; }, [](int64_t) { return std::string("v"); }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, 4);  // ceil(1000 / 300)

  Result<std::unique_ptr<HashShardedWriter>> unsized = HashShardedWriter::Open(config_, {});
  EXPECT_EQ(unsized.status().code(), ErrorCode::kConfigValidation);
}

// The manifest records the shard backend the build used (its factory's
// name()), over a user key of the same name, beside the user's other keys.
TEST_F(WriterTest, TheManifestRecordsTheShardBackend) {
  config_.num_dbs = 2;
  config_.custom_manifest_fields_json = R"({"shard_backend": "mine", "team": "search"})";
  std::vector<int64_t> keys = {1, 2, 3};
  Result<BuildResult> r = WriteHashSharded(
      keys, config_,
      RecordInput{[](int64_t i) { return i; }, [](int64_t) { return std::string("v"); }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<Manifest> m =
      ManifestStore(Store(), OpenStoreForUrl(prefix_)->key).LoadManifest(r->manifest_ref);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->meta.custom_json, R"({"shard_backend": "recording", "team": "search"})");
}

// The shard count has an upper limit, kMaxNumDbs, instead of a
// std::bad_alloc: `--num-dbs 4294967295` once aborted the build.
TEST_F(WriterTest, ShardCountsAboveTheLimitAreConfigErrors) {
  config_.num_dbs = kMaxNumDbs + 1;
  Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(config_, {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(w.status().message().find("num_dbs 65537 is more than the 65536 shards"),
            std::string::npos)
      << w.status().ToString();
  config_.num_dbs = UINT32_MAX;
  EXPECT_EQ(HashShardedWriter::Open(config_, {}).status().code(), ErrorCode::kConfigValidation);

  config_.num_dbs.reset();
  config_.max_keys_per_shard = 2;
  w = HashShardedWriter::Open(config_, {}, uint64_t{200000});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(w.status().message().find("gives 100000 shards for 200000 records; at most 65536"),
            std::string::npos)
      << w.status().ToString();
  EXPECT_NE(w.status().message().find("raise max_keys_per_shard to 4 or more"), std::string::npos);
  EXPECT_EQ(rec_->opens, 0);
}

// A build at the limit works end to end: every key routes, reads back
// through a reader, and the manifest names 65536 shards.
TEST_F(WriterTest, ABuildAtTheShardLimitPublishesAndReads) {
  HashShardedWriteConfig c;
  c.s3_prefix = prefix_;
  c.local_root = config_.local_root;
  c.num_dbs = kMaxNumDbs;
  std::vector<int64_t> keys(3000);
  for (int i = 0; i < 3000; ++i) keys[i] = int64_t{i} * 7919;
  Result<BuildResult> r = WriteHashSharded(
      keys, c,
      RecordInput{[](int64_t i) { return i; }, [](int64_t i) { return std::to_string(i); }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->num_dbs, kMaxNumDbs);
  EXPECT_EQ(r->stats.rows_written, 3000);
  ReaderOptions ro;
  ro.local_root = config_.local_root + "/reader";
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, ro);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->snapshot_info().num_dbs, kMaxNumDbs);
  std::vector<Key> lookups;
  for (int64_t k : keys) lookups.push_back(Key::Int(k));
  lookups.push_back(Key::Int(1));  // absent
  Result<std::vector<std::optional<std::string>>> got = (*reader)->MultiGet(lookups);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ((*got)[i], std::optional<std::string>(std::to_string(keys[i]))) << keys[i];
  }
  EXPECT_FALSE(got->back().has_value());
}

TEST_F(WriterTest, BadKeyAbortsAndPublishesNothing) {
  config_.num_dbs = 2;
  config_.batch_size = 2;
  Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(config_);
  ASSERT_TRUE(w.ok());
  for (int64_t i = 0; i < 10; ++i) ASSERT_TRUE((*w)->Add(Key::Int(i), "v").ok());
  Status st = (*w)->Add(Key::Int(-3), "v");
  EXPECT_EQ(st.code(), ErrorCode::kConfigValidation);
  EXPECT_NE(st.message().find("-3"), std::string::npos);
  Result<BuildResult> r = (*w)->Finish();
  EXPECT_FALSE(r.ok());
  ManifestStore ms(Store(), "snap");
  Result<std::optional<CurrentPointer>> cur = ms.LoadCurrent();
  ASSERT_TRUE(cur.ok());
  EXPECT_FALSE(cur->has_value());
  EXPECT_GT(rec_->abandons, 0);
}

// What the attempts uploaded before an Abort (this backend writes an object
// per batch) is deleted: an abandoned build leaves nothing behind.
TEST_F(WriterTest, AbortDeletesWhatTheAttemptsUploaded) {
  config_.num_dbs = 2;
  config_.batch_size = 2;
  Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(config_);
  ASSERT_TRUE(w.ok());
  for (int64_t i = 0; i < 10; ++i) ASSERT_TRUE((*w)->Add(Key::Int(i), "v").ok());
  (*w)->Abort();
  Result<ListResult> left = Store()->List("snap/shards/", "");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->objects.empty()) << left->objects.size() << " objects left, first "
                                     << (left->objects.empty() ? "" : left->objects[0].key);
  EXPECT_GT(rec_->abandons, 0);
}

TEST_F(WriterTest, MixedKeyTypesAreRejected) {
  config_.num_dbs = 2;
  config_.key_encoding = KeyEncoding::kRaw;
  Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(config_);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add(Key::Str("a"), "v").ok());
  ASSERT_TRUE((*w)->Add(Key::Bytes("b"), "v").ok());  // str and bytes are both byte keys
  EXPECT_EQ((*w)->Add(Key::Int(1), "v").code(), ErrorCode::kConfigValidation);
}

TEST_F(WriterTest, PublishesManifestThenCurrent) {
  config_.num_dbs = 2;
  config_.run_id = "run-1";
  std::vector<int64_t> keys = {1, 2, 3, 4};
  Result<BuildResult> r = WriteHashSharded(
      keys, config_,
      RecordInput{[](int64_t i) { return i; }, [](int64_t) { return std::string("v"); }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->run_id, "run-1");
  ManifestStore ms(Store(), "snap");
  Result<std::optional<CurrentPointer>> cur = ms.LoadCurrent();
  ASSERT_TRUE(cur.ok() && cur->has_value());
  EXPECT_EQ((*cur)->manifest_ref, r->manifest_ref);
  EXPECT_EQ((*cur)->run_id, "run-1");
  for (const ShardMeta& w : r->winners) {
    EXPECT_NE(w.db_url->find("/snap/shards/run_id=run-1/db=0000"), std::string::npos) << *w.db_url;
    EXPECT_TRUE(w.db_url->ends_with("/attempt=00"));
  }
}

TEST(WinnersTest, LowestAttemptWinsAndLosersAreListed) {
  auto attempt = [](int64_t db, int64_t n, int64_t rows) {
    ShardAttemptResult a;
    a.shard.db_id = db;
    a.shard.attempt = n;
    const std::string db_key = "root/db=" + std::to_string(db) + "/attempt=" + std::to_string(n);
    a.shard.db_url = "memory://x/" + db_key;
    a.shard.row_count = rows;
    a.created_objects = {db_key + "/a", db_key + "/b"};
    return a;
  };
  Result<WinnerSelection> sel =
      SelectWinners({attempt(0, 1, 5), attempt(0, 0, 5), attempt(1, 0, 0)}, 2);
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ(sel->winners.size(), 1u);  // shard 1 is empty
  EXPECT_EQ(sel->winners[0].attempt, 0);
  EXPECT_EQ(sel->num_attempt_results, 3);
  EXPECT_EQ(sel->loser_objects,
            (std::vector<std::string>{"root/db=0/attempt=1/a", "root/db=0/attempt=1/b",
                                      "root/db=1/attempt=0/a", "root/db=1/attempt=0/b"}));

  Result<WinnerSelection> bad = SelectWinners({attempt(2, 0, 1)}, 2);
  EXPECT_EQ(bad.status().code(), ErrorCode::kShardCoverage);
  EXPECT_NE(bad.status().message().find("extra=[2]"), std::string::npos);
}

TEST(LayoutTest, DbPathTemplatesFormatLikePython) {
  EXPECT_EQ(DbPathTemplate::Compile("db={db_id:05d}")->Format(42), "db=00042");
  EXPECT_EQ(DbPathTemplate::Compile("db={db_id:05d}")->Format(123456), "db=123456");
  EXPECT_EQ(DbPathTemplate::Compile("{db_id}")->Format(7), "7");
  EXPECT_EQ(DbPathTemplate::Compile("p/{db_id:3d}/x{{y}}")->Format(7), "p/  7/x{y}");
  EXPECT_FALSE(DbPathTemplate::Compile("{db_id:05x}").ok());
  EXPECT_FALSE(DbPathTemplate::Compile("{db_id").ok());
  EXPECT_EQ(AttemptDirName(0), "attempt=00");
  EXPECT_EQ(AttemptDirName(100), "attempt=100");
  EXPECT_TRUE(IsSafePathSegment("shards"));
  EXPECT_FALSE(IsSafePathSegment(".."));
  EXPECT_FALSE(IsSafePathSegment("a\\b"));
}

}  // namespace
}  // namespace shardyfusion
