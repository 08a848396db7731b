// Staged shards and PublishStagedRun (staged.h, writer.h), on the real
// SlateDB backend over the in-memory store.
#include "writer/staged.h"

#include <gtest/gtest.h>

#include <ranges>
#include <thread>

#include "shardyfusion/reader.h"
#include "shardyfusion/writer.h"
#include "writer/layout.h"

namespace shardyfusion {
namespace {

constexpr int64_t kRecords = 3000;

class StagedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    prefix_ = "memory://staged-test-" + std::to_string(counter++) + "/snap";
    store_ = OpenStoreForUrl(prefix_)->store;
  }

  HashShardedWriteConfig Config(std::optional<std::pair<uint32_t, uint32_t>> range) const {
    HashShardedWriteConfig c;
    c.s3_prefix = prefix_;
    c.num_dbs = 6;
    c.run_id = "run1";
    c.stage_only = true;
    c.only_shards = range;
    c.local_root = ::testing::TempDir() + "/staged_test_staging";
    return c;
  }

  Result<BuildResult> Stage(const HashShardedWriteConfig& c, int64_t n = kRecords) {
    return WriteHashSharded(std::views::iota(int64_t{0}, n), c,
                            RecordInput{[](int64_t i) { return i; },
                                        [](int64_t i) { return "v" + std::to_string(i); }});
  }

  Result<BuildResult> Publish() {
    PublishStagedOptions o;
    o.s3_prefix = prefix_;
    o.run_id = "run1";
    return PublishStagedRun(o);
  }

  std::vector<std::string> Keys(const std::string& under) {
    std::vector<std::string> keys;
    Result<ListResult> listed = store_->List(under, "");
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (!listed.ok()) return keys;
    for (const ObjectInfo& o : listed->objects) keys.push_back(o.key);
    return keys;
  }

  void ExpectAllRecordsReadable() {
    Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    for (int64_t i = 0; i < kRecords; i += 7) {
      Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i));
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      ASSERT_TRUE(v->has_value()) << i;
      EXPECT_EQ(**v, "v" + std::to_string(i));
    }
  }

  std::string prefix_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_F(StagedTest, TwoStagersThenOnePublish) {
  Result<BuildResult> a = Stage(Config(std::pair{0u, 2u}));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->manifest_ref.empty());
  for (const ShardMeta& w : a->winners) EXPECT_LE(w.db_id, 2);
  // Nothing is published by staging.
  EXPECT_FALSE(ManifestStore(store_, "snap").LoadCurrent()->has_value());
  Result<BuildResult> b = Stage(Config(std::pair{3u, 5u}));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->stats.rows_written + b->stats.rows_written, kRecords);

  Result<BuildResult> p = Publish();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->stats.rows_written, kRecords);
  EXPECT_EQ(p->num_dbs, 6);
  Result<Manifest> m = ManifestStore(store_, "snap").LoadManifest(p->manifest_ref);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->shards.size(), 6u);
  EXPECT_EQ(m->meta.custom_json.find(kStagedShardKey), std::string::npos);
  ExpectAllRecordsReadable();
  EXPECT_TRUE(Keys("snap/shards/run_id=run1/_staged/").empty());
  // A published run is never staged into or published again.
  Result<BuildResult> again = Stage(Config(std::pair{0u, 0u}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kConfigValidation);
  Result<BuildResult> twice = Publish();
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), ErrorCode::kConfigValidation);
}

TEST_F(StagedTest, ConcurrentStagersDoNotInterfere) {
  Result<BuildResult> a = Status::OK(), b = Status::OK();
  std::thread ta([&] { a = Stage(Config(std::pair{0u, 2u})); });
  std::thread tb([&] { b = Stage(Config(std::pair{3u, 5u})); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  Result<BuildResult> p = Publish();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->stats.rows_written, kRecords);
  ExpectAllRecordsReadable();
}

TEST_F(StagedTest, MissingShardIsACoverageErrorNamingIt) {
  ASSERT_TRUE(Stage(Config(std::pair{0u, 3u})).ok());
  ASSERT_TRUE(Stage(Config(std::pair{5u, 5u})).ok());
  Result<BuildResult> p = Publish();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kShardCoverage);
  EXPECT_NE(p.status().message().find("db_id 4"), std::string::npos) << p.status().message();
  EXPECT_FALSE(ManifestStore(store_, "snap").LoadCurrent()->has_value());
  // Nothing was deleted: staging the missing shard completes the run.
  ASSERT_TRUE(Stage(Config(std::pair{4u, 4u})).ok());
  Result<BuildResult> done = Publish();
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ExpectAllRecordsReadable();
}

TEST_F(StagedTest, ShardStagedTwiceHasOneWinnerAndTheLoserIsCleaned) {
  ASSERT_TRUE(Stage(Config(std::pair{0u, 5u})).ok());
  Result<BuildResult> retry = Stage(Config(std::pair{2u, 2u}));  // a retried task
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  ASSERT_EQ(retry->winners.size(), 1u);
  EXPECT_EQ(retry->winners[0].attempt, 1);  // attempt 0 is the first stager's
  const std::string loser_dir = "snap/shards/run_id=run1/db=00002/attempt=01/";
  EXPECT_FALSE(Keys(loser_dir).empty());
  Result<BuildResult> p = Publish();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->stats.num_attempt_results, 7);
  for (const ShardMeta& w : p->winners) EXPECT_EQ(w.attempt, 0) << w.db_id;
  EXPECT_TRUE(Keys(loser_dir).empty());
  ExpectAllRecordsReadable();
}

TEST_F(StagedTest, EmptyShardsAreRecorded) {
  HashShardedWriteConfig c = Config(std::nullopt);
  c.num_dbs = 64;
  ASSERT_TRUE(Stage(c, 5).ok());  // most shards get nothing
  int empty = 0;
  for (const std::string& k : Keys("snap/shards/run_id=run1/_staged/")) {
    empty += k.ends_with("/empty.sealed");
  }
  EXPECT_GE(empty, 59);
  Result<BuildResult> p = Publish();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->stats.rows_written, 5);
  EXPECT_EQ(p->num_dbs, 64);
}

TEST_F(StagedTest, DisagreeingStagersAreAConfigError) {
  ASSERT_TRUE(Stage(Config(std::pair{0u, 2u})).ok());
  HashShardedWriteConfig other = Config(std::pair{3u, 5u});
  other.key_encoding = KeyEncoding::kU32BE;
  ASSERT_TRUE(Stage(other).ok());
  Result<BuildResult> p = Publish();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(p.status().message().find("key_encoding"), std::string::npos) << p.status().message();
  EXPECT_FALSE(ManifestStore(store_, "snap").LoadCurrent()->has_value());
}

TEST_F(StagedTest, ShardCountDisagreementIsAConfigError) {
  ASSERT_TRUE(Stage(Config(std::pair{0u, 5u})).ok());
  HashShardedWriteConfig other = Config(std::pair{6u, 6u});
  other.num_dbs = 7;
  ASSERT_TRUE(Stage(other).ok());
  Result<BuildResult> p = Publish();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(p.status().message().find("num_dbs"), std::string::npos) << p.status().message();
}

TEST_F(StagedTest, OrphanClaimedAttemptIsCleanedOnPublish) {
  ASSERT_TRUE(Stage(Config(std::pair{0u, 5u})).ok());
  // A stager that died after claiming attempt 1 of shard 3 and uploading.
  const std::string claim = StagedClaimKey("snap", "shards", "run1", 3, 1);
  ASSERT_TRUE(store_->Put(claim, "run1\n", {}).ok());
  const std::string orphan =
      "snap/shards/run_id=run1/db=00003/attempt=01/manifest/00000001.manifest";
  ASSERT_TRUE(store_->Put(orphan, "x", {}).ok());
  Result<BuildResult> p = Publish();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(store_->Head(orphan)->has_value());
  EXPECT_FALSE(store_->Head(claim)->has_value());
  ExpectAllRecordsReadable();
}

TEST_F(StagedTest, DiscardDeletesEveryStagedObjectOfTheRun) {
  ASSERT_TRUE(Stage(Config(std::pair{0u, 2u})).ok());
  ASSERT_TRUE(Stage(Config(std::pair{2u, 3u})).ok());  // shard 2 twice
  const std::string claim = StagedClaimKey("snap", "shards", "run1", 4, 0);
  ASSERT_TRUE(store_->Put(claim, "run1\n", {}).ok());
  ASSERT_TRUE(store_->Put("snap/shards/run_id=run1/db=00004/attempt=00/x.sst", "x", {}).ok());
  ASSERT_TRUE(store_->Put("snap/shards/run_id=other/db=00000/attempt=00/x.sst", "x", {}).ok());
  PublishStagedOptions o;
  o.s3_prefix = prefix_;
  o.run_id = "run1";
  ASSERT_TRUE(DiscardStagedRun(o).ok());
  EXPECT_TRUE(Keys("snap/shards/run_id=run1/").empty());
  EXPECT_EQ(Keys("snap/shards/run_id=other/").size(), 1u);  // another run's: untouched
  EXPECT_FALSE(Publish().ok());
}

TEST_F(StagedTest, DiscardRefusesAPublishedRun) {
  ASSERT_TRUE(Stage(Config(std::nullopt)).ok());
  ASSERT_TRUE(Publish().ok());
  PublishStagedOptions o;
  o.s3_prefix = prefix_;
  o.run_id = "run1";
  Status st = DiscardStagedRun(o);
  EXPECT_EQ(st.code(), ErrorCode::kConfigValidation);
  ExpectAllRecordsReadable();
}

TEST_F(StagedTest, ConfigurationRules) {
  HashShardedWriteConfig c = Config(std::pair{0u, 6u});  // beyond 6 shards
  Result<BuildResult> r = Stage(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConfigValidation);
  c = Config(std::nullopt);
  c.run_id.reset();
  r = Stage(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("run_id"), std::string::npos);
  c = Config(std::pair{0u, 1u});
  c.stage_only = false;
  r = Stage(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("stage_only"), std::string::npos);
  // Without staged records there is nothing to publish.
  Result<BuildResult> p = Publish();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kShardCoverage);
}

TEST_F(StagedTest, RecordsRoundTripAndRejectDamage) {
  ASSERT_TRUE(Stage(Config(std::pair{0u, 0u})).ok());
  std::vector<std::string> keys = Keys("snap/shards/run_id=run1/_staged/db=00000/");
  std::string sealed;
  for (const std::string& k : keys) {
    if (k.ends_with(".sealed")) sealed = k;
  }
  ASSERT_FALSE(sealed.empty());
  std::string bytes = **store_->Get(sealed);
  Result<StagedRecord> r = ParseStagedRecord(sealed, bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->db_id, 0);
  ASSERT_TRUE(r->attempt.has_value());
  EXPECT_FALSE(r->created_objects.empty());
  // Under another shard's name it contradicts its key.
  Result<StagedRecord> moved =
      ParseStagedRecord(StagedRecordKey("snap", "shards", "run1", 1, 0), bytes);
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.status().code(), ErrorCode::kManifestParse);
  Result<StagedRecord> junk = ParseStagedRecord(sealed, "not a manifest");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), ErrorCode::kManifestParse);
}

}  // namespace
}  // namespace shardyfusion
