// CleanupSnapshot over a local directory: what each mode deletes, and the
// rules that keep data (kept manifests, live builds, unrecorded and recent
// unpublished runs, the run a rollback made current).
#include <gtest/gtest.h>

#include <ranges>

#include "core/ids.h"
#include "core/time_format.h"
#include "shardyfusion/maintenance.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/writer.h"
#include "storage/storage_testing.h"
#include "writer/run_record_testing.h"

namespace shardyfusion {
namespace {

using std::chrono::hours;

class CleanupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = "file://" + dir_.path() + "/snap";
    store_ = OpenStoreForUrl(root_)->store;
    key_ = OpenStoreForUrl(root_)->key;
  }

  void Build(const std::string& run_id, int64_t n = 500) {
    HashShardedWriteConfig c;
    c.s3_prefix = root_;
    c.num_dbs = 3;
    c.run_id = run_id;
    c.local_root = dir_.path() + "/stage";
    Result<BuildResult> r =
        WriteHashSharded(std::views::iota(int64_t{0}, n), c,
                         RecordInput{[](int64_t i) { return i; },
                                     [run_id](int64_t i) { return run_id + std::to_string(i); }});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void Put(const std::string& rel, const std::string& data = "x") {
    ASSERT_TRUE(store_->Put(key_ + "/" + rel, data, {}).ok()) << rel;
  }
  bool Exists(const std::string& rel) {
    Result<std::optional<ObjectInfo>> h = store_->Head(key_ + "/" + rel);
    return h.ok() && h->has_value();
  }
  size_t Count(const std::string& rel_prefix) {
    Result<ListResult> l = store_->List(key_ + "/" + rel_prefix, "");
    return l.ok() ? l->objects.size() : 0;
  }

  // A run record of `run_id` last updated at `updated` (lease 10 min).
  void Record(const std::string& run_id, RunRecord::State state,
              std::chrono::system_clock::time_point updated) {
    const auto [key, yaml] = RunRecordObjectForTest(run_id, state, updated);
    Put(key, yaml);
  }

  Result<CleanupReport> Cleanup(CleanupOptions o, std::chrono::system_clock::duration later = {}) {
    o.s3_prefix = root_;
    const auto now = std::chrono::system_clock::now() + later;
    o.now = [now] { return now; };
    return CleanupSnapshot(o);
  }

  std::string CurrentRun() {
    ManifestStore m(store_, key_);
    return (*m.LoadCurrent())->run_id;
  }

  void ExpectReads(const std::string& run_id) {
    ReaderOptions ro;
    ro.local_root = dir_.path() + "/cache-" + NewUuid4Hex();
    Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(root_, ro);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    for (int64_t i = 0; i < 500; i += 7) {
      Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i));
      ASSERT_TRUE(v.ok() && v->has_value()) << i;
      EXPECT_EQ(**v, run_id + std::to_string(i));
    }
  }

  ScratchDir dir_;
  std::string root_;
  std::string key_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_F(CleanupTest, StaleAttemptsOfAKeptRunGoAndItsWinnersStay) {
  Build("r1");
  Put("shards/run_id=r1/db=00001/attempt=01/compacted/LOSER.sst");
  Put("shards/run_id=r1/db=00007/attempt=00/orphan.sst");
  Put("shards/run_id=r1/_staged/db=00000/attempt=00.claim");
  const size_t before = Count("shards/run_id=r1/");

  CleanupOptions dry;
  dry.dry_run = true;
  Result<CleanupReport> plan = Cleanup(dry);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->actions.size(), 1u);
  EXPECT_EQ(plan->actions[0].kind, CleanupAction::Kind::kStaleObjects);
  EXPECT_EQ(plan->actions[0].keys.size(), 3u);
  EXPECT_EQ(plan->objects_deleted, 0);
  EXPECT_EQ(Count("shards/run_id=r1/"), before) << "a dry run changes nothing";

  Result<CleanupReport> done = Cleanup({});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->objects_deleted, 3);
  EXPECT_EQ(Count("shards/run_id=r1/"), before - 3);
  EXPECT_FALSE(Exists("shards/run_id=r1/db=00001/attempt=01/compacted/LOSER.sst"));
  ExpectReads("r1");
  Result<CleanupReport> again = Cleanup({});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->actions.empty()) << "nothing left to do";
}

TEST_F(CleanupTest, AnUnpublishedRunGoesOnlyWhenItsBuildEndedBeforeTheGrace) {
  Build("r1");
  const auto ended = std::chrono::system_clock::now();
  Record("dead", RunRecord::State::kFailed, ended);
  Put("shards/run_id=dead/db=00000/attempt=00/compacted/A.sst");
  Put("shards/run_id=norecord/db=00000/attempt=00/compacted/B.sst");

  Result<CleanupReport> early = Cleanup({}, hours(1));
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(Exists("shards/run_id=dead/db=00000/attempt=00/compacted/A.sst"));
  Result<CleanupReport> late = Cleanup({}, hours(25));
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_FALSE(Exists("shards/run_id=dead/db=00000/attempt=00/compacted/A.sst"));
  EXPECT_EQ(Count("runs/"), 1u) << "the dead run's record went with it; r1's stays";
  // No run record: nothing shows that its build ended.
  EXPECT_TRUE(Exists("shards/run_id=norecord/db=00000/attempt=00/compacted/B.sst"));
  bool reported = false;
  for (const auto& [run, why] : late->kept) reported |= run == "norecord";
  EXPECT_TRUE(reported);
  ExpectReads("r1");
}

TEST_F(CleanupTest, ALiveBuildIsNeverTouchedInAnyMode) {
  Build("r1");
  Build("r2");
  // A build in progress (no manifest yet), and a published run whose
  // record is live again.
  Record("building", RunRecord::State::kRunning, std::chrono::system_clock::now() + hours(30));
  Put("shards/run_id=building/db=00000/attempt=00/compacted/L0.sst");
  Record("r1", RunRecord::State::kRunning, std::chrono::system_clock::now() + hours(30));
  CleanupOptions all;
  all.include_old_runs = true;
  all.keep_last = 1;
  Result<CleanupReport> r = Cleanup(all, hours(30));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(Exists("shards/run_id=building/db=00000/attempt=00/compacted/L0.sst"));
  EXPECT_GT(Count("shards/run_id=r1/"), 0u);
  for (const CleanupAction& a : r->actions) {
    EXPECT_NE(a.run_id, "building");
    EXPECT_NE(a.run_id, "r1");
  }
}

TEST_F(CleanupTest, OldRunsGoExceptTheKeptAndTheOneARollbackMadeCurrent) {
  Build("r1");
  Build("r2");
  Build("r3");
  ManifestStore m(store_, key_);
  Result<std::vector<ManifestListing>> history = m.ListManifests(10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  ASSERT_TRUE(m.SetCurrent((*history)[1].ref).ok());  // rolled back to r2
  ASSERT_EQ(CurrentRun(), "r2");

  CleanupOptions last;
  last.keep_last = 1;
  Result<CleanupReport> r = Cleanup(last, hours(1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->actions.size(), 1u);
  EXPECT_EQ(r->actions[0].kind, CleanupAction::Kind::kOldRun);
  EXPECT_EQ(r->actions[0].run_id, "r1");
  EXPECT_EQ(r->actions[0].manifests, 1);
  EXPECT_EQ(r->actions[0].run_records, 1);
  EXPECT_EQ(Count("shards/run_id=r1/"), 0u);
  EXPECT_GT(Count("shards/run_id=r2/"), 0u);
  EXPECT_GT(Count("shards/run_id=r3/"), 0u);
  history = m.ListManifests(10);
  ASSERT_EQ(history->size(), 2u) << "r1's manifest went with its shards";
  EXPECT_EQ(CurrentRun(), "r2");
  ExpectReads("r2");

  // --older-than: kept only what was published within it (and the current).
  CleanupOptions recent;
  recent.older_than = std::chrono::hours(2);
  Result<CleanupReport> none = Cleanup(recent, hours(1));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->actions.empty());
  Result<CleanupReport> aged = Cleanup(recent, hours(3));
  ASSERT_TRUE(aged.ok());
  ASSERT_EQ(aged->actions.size(), 1u);
  EXPECT_EQ(aged->actions[0].run_id, "r3") << "r2 is current and stays";
  ExpectReads("r2");
}

TEST_F(CleanupTest, BadOptionsAndUnreadableManifestsDeleteNothing) {
  Build("r1");
  Put("shards/run_id=r1/db=00001/attempt=01/x");
  CleanupOptions zero;
  zero.keep_last = 0;
  Result<CleanupReport> bad = Cleanup(zero);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kConfigValidation);
  ManifestStore m(store_, key_);
  const std::string ref = (*m.ListManifests(1))[0].ref;
  Result<StoreLocation> at = ResolveInStore(store_, ref);
  ASSERT_TRUE(store_->Put(at->key, "not a manifest", {}).ok());
  Result<CleanupReport> broken = Cleanup({});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("nothing was deleted"), std::string::npos)
      << broken.status().ToString();
  EXPECT_TRUE(Exists("shards/run_id=r1/db=00001/attempt=01/x"));
}

}  // namespace
}  // namespace shardyfusion
