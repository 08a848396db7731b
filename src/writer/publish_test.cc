// Publish on its own: shard attempts written outside any engine (as other
// processes of a distributed build write them) become a readable snapshot,
// losers' objects are deleted and the winners' kept.
#include "writer/publish.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "shardyfusion/reader.h"
#include "shardyfusion/sqlite_backend.h"
#include "storage/created_objects.h"
#include "storage/memory_store.h"
#include "storage/storage_testing.h"
#include "writer/layout.h"

namespace shardyfusion {
namespace {

class PublishTest : public ::testing::Test {
 protected:
  // Writes `pairs` (key -> value) as attempt `attempt` of shard `db_id`, the
  // way any process with the store and a shard writer factory can.
  ShardAttemptResult WriteAttempt(int64_t db_id, int64_t attempt,
                                  const std::map<int64_t, std::string>& pairs) {
    const std::string db_key = "snap/shards/run_id=r1/" +
                               DbPathTemplate::Compile("db={db_id:05d}")->Format(db_id) + "/" +
                               AttemptDirName(attempt);
    auto created = std::make_shared<CreatedObjectsStore>(store_);
    ShardWriterContext ctx;
    ctx.store = created;
    ctx.db_key = db_key;
    ctx.local_dir = scratch_.path() + "/" + std::to_string(db_id) + "-" + std::to_string(attempt);
    Result<std::unique_ptr<ShardWriter>> writer = NewSqliteWriterFactory()->Open(ctx);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    KvBatch batch;
    std::string encoded;
    for (const auto& [k, v] : pairs) {
      encoded.clear();
      EXPECT_TRUE(EncodeKey(KeyEncoding::kU64BE, Key::Int(k), &encoded).ok());
      batch.Add(encoded, v);
    }
    EXPECT_TRUE((*writer)->WriteBatch(batch).ok());
    Result<SealResult> sealed = (*writer)->Seal();
    EXPECT_TRUE(sealed.ok()) << sealed.status().ToString();
    ShardAttemptResult a;
    a.shard.db_id = db_id;
    a.shard.attempt = attempt;
    a.shard.writer_info.attempt = attempt;
    a.shard.db_url = store_->Url(db_key);
    a.shard.row_count = static_cast<int64_t>(pairs.size());
    a.shard.db_bytes = static_cast<int64_t>(sealed->db_bytes);
    a.shard.min_key = Key::Int(pairs.begin()->first);
    a.shard.max_key = Key::Int(pairs.rbegin()->first);
    a.shard.checkpoint_id = "c" + std::to_string(db_id);
    a.created_objects = created->created();
    return a;
  }

  PublishRequest Request() {
    PublishRequest r;
    r.root = StoreLocation{store_, "snap"};
    r.run_id = "r1";
    r.num_dbs = 2;
    r.db_path_template = "db={db_id:05d}";
    r.shard_prefix = "shards";
    r.user_custom = {{"team", "search"}, {"shard_backend", "overwritten"}};
    r.library_custom = {{"shard_backend", "sqlite"}};
    return r;
  }

  // Keys split by hash routing over two shards.
  std::map<int64_t, std::string> KeysOf(uint32_t db_id) {
    std::map<int64_t, std::string> out;
    std::shared_ptr<const Router> router = NewHashRouter(2);
    for (int64_t k = 0; k < 40; ++k) {
      Result<std::optional<uint32_t>> routed = router->Route(Key::Int(k), {}, nullptr);
      if (routed.ok() && *routed == db_id) out[k] = "v" + std::to_string(k);
    }
    return out;
  }

  bool Exists(const std::string& key) {
    Result<std::optional<ObjectInfo>> head = store_->Head(key);
    return head.ok() && head->has_value();
  }

  ScratchDir scratch_;
  std::shared_ptr<ObjectStore> store_ = std::make_shared<MemoryStore>("publish-test");
};

TEST_F(PublishTest, ShardsWrittenElsewhereBecomeAReadableSnapshot) {
  PublishRequest request = Request();
  request.attempts.push_back(WriteAttempt(1, 0, KeysOf(1)));
  // Shard 0 written twice, by two workers: attempt 00 must win.
  ShardAttemptResult loser = WriteAttempt(0, 1, KeysOf(0));
  request.attempts.push_back(loser);
  request.attempts.push_back(WriteAttempt(0, 0, KeysOf(0)));
  ASSERT_FALSE(loser.created_objects.empty());
  std::vector<std::string> events;
  request.emit = [&](std::string_view e, auto) { events.emplace_back(e); };

  Result<PublishedSnapshot> published = PublishSnapshot(request);
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_EQ(published->num_attempt_results, 3);
  ASSERT_EQ(published->winners.size(), 2u);
  EXPECT_EQ(published->winners[0].attempt, 0);
  EXPECT_EQ(events,
            (std::vector<std::string>{"write.manifest_published", "write.current_published"}));
  for (const std::string& k : loser.created_objects) EXPECT_FALSE(Exists(k)) << k;
  for (const ShardAttemptResult& a : request.attempts) {
    if (a.shard.attempt != 0) continue;
    for (const std::string& k : a.created_objects) EXPECT_TRUE(Exists(k)) << k;
  }

  ReaderOptions ro;
  ro.store = store_;
  ro.local_root = scratch_.path() + "/reader";
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(store_->Url("snap"), ro);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  for (int64_t k = 0; k < 40; ++k) {
    Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(k));
    ASSERT_TRUE(v.ok() && v->has_value()) << k;
    EXPECT_EQ(**v, "v" + std::to_string(k));
  }
  EXPECT_EQ((*reader)->snapshot_info().manifest_ref, published->manifest_ref);
  Result<Manifest> manifest = ManifestStore(store_, "snap").LoadManifest(published->manifest_ref);
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->meta.custom_json, "{\"shard_backend\": \"sqlite\", \"team\": \"search\"}");
  EXPECT_EQ(manifest->meta.s3_prefix, store_->Url("snap"));
}

TEST_F(PublishTest, AShardOutsideTheRunDeletesEverythingAndPublishesNothing) {
  PublishRequest request = Request();
  ShardAttemptResult good = WriteAttempt(0, 0, KeysOf(0));
  ShardAttemptResult extra = WriteAttempt(2, 0, {{1, "x"}});
  request.attempts = {good, extra};
  request.superseded_objects = {"snap/shards/run_id=r1/db=00000/attempt=07/leftover"};
  ASSERT_TRUE(store_->Put(request.superseded_objects[0], "x", PutOptions()).ok());

  Result<PublishedSnapshot> published = PublishSnapshot(request);
  ASSERT_FALSE(published.ok());
  EXPECT_EQ(published.status().code(), ErrorCode::kShardCoverage);
  EXPECT_NE(published.status().message().find("extra=[2]"), std::string::npos);
  for (const ShardAttemptResult& a : {good, extra}) {
    for (const std::string& k : a.created_objects) EXPECT_FALSE(Exists(k)) << k;
  }
  EXPECT_FALSE(Exists(request.superseded_objects[0]));
  EXPECT_FALSE(Exists("snap/_CURRENT"));
}

TEST_F(PublishTest, AManifestThatIsNotMadeCurrentKeepsItsShards) {
  ASSERT_TRUE(store_->Put("snap/_CURRENT", "{}", PutOptions()).ok());  // a rival's pointer
  PublishRequest request = Request();
  request.attempts = {WriteAttempt(0, 0, KeysOf(0)), WriteAttempt(1, 0, KeysOf(1))};
  // A rival moves `_CURRENT` between Publish's read of it and its swap (here:
  // as the manifest object is written).
  class MovesPointerOnManifestPut : public CreatedObjectsStore {
   public:
    using CreatedObjectsStore::CreatedObjectsStore;
    Result<std::string> Put(std::string_view key, std::string_view data,
                            const PutOptions& options) override {
      Result<std::string> r = CreatedObjectsStore::Put(key, data, options);
      if (std::string_view(key).ends_with("/manifest")) {
        (void)CreatedObjectsStore::Put("snap/_CURRENT", "{\"rival\": 1}", PutOptions());
      }
      return r;
    }
  };
  request.root.store = std::make_shared<MovesPointerOnManifestPut>(store_);
  Result<PublishedSnapshot> published = PublishSnapshot(request);
  ASSERT_FALSE(published.ok());
  EXPECT_EQ(published.status().code(), ErrorCode::kPublishCurrent);
  ASSERT_TRUE(published.status().manifest_ref().has_value());
  for (const ShardAttemptResult& a : request.attempts) {
    for (const std::string& k : a.created_objects) EXPECT_TRUE(Exists(k)) << k;
  }
}

}  // namespace
}  // namespace shardyfusion
