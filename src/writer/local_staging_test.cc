// Local staging ownership, and the sweep of dead builds' staging.
#include "writer/local_staging.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backend/fault_shard_writer.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"

namespace shardyfusion {
namespace {

namespace fs = std::filesystem;

class LocalStagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/staging_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  // What a build killed with SIGKILL leaves: its directory and its
  // (now unlocked) lock file.
  void LeaveDeadRun(const std::string& run_id) {
    fs::create_directories(root_ + "/run_id=" + run_id + "/db=00000/attempt=00");
    std::ofstream(root_ + "/run_id=" + run_id + "/db=00000/attempt=00/spool-0.spool") << "x";
    std::ofstream(root_ + "/run_id=" + run_id + ".lock");
  }

  std::string root_;
};

TEST_F(LocalStagingTest, AcquireLocksAndRemoveCleansUp) {
  Result<std::unique_ptr<LocalStaging>> s = LocalStaging::Acquire(root_, "r1");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->dir(), root_ + "/run_id=r1");
  EXPECT_TRUE(fs::exists(root_ + "/run_id=r1.lock"));
  fs::create_directories((*s)->dir() + "/db=00000");
  // The same run id cannot be taken while the first holds it.
  Result<std::unique_ptr<LocalStaging>> again =
      LocalStaging::Acquire(root_, "r1", std::chrono::milliseconds(0));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(again.status().message().find("another build with run_id r1"), std::string::npos);
  (*s)->Remove();
  EXPECT_TRUE(fs::is_empty(root_));
  (*s)->Remove();  // idempotent
}

// A live build holds the run id: Acquire polls every 50 ms for `wait`,
// then gives up.
TEST_F(LocalStagingTest, AcquirePollsTheLockUntilTheWaitIsOver) {
  Result<std::unique_ptr<LocalStaging>> live = LocalStaging::Acquire(root_, "r1");
  ASSERT_TRUE(live.ok());
  FakeClock clock;
  Result<std::unique_ptr<LocalStaging>> again =
      LocalStaging::Acquire(root_, "r1", std::chrono::milliseconds(5000), &clock);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kConfigValidation);
  EXPECT_EQ(clock.sleep_log(), std::vector<double>(100, 0.05));
  EXPECT_EQ(clock.NowSeconds(), 5.0);
}

// A sweeper holds a lock only for the moment it deletes a dead build's
// directory: an Acquire that meets it waits it out.
TEST_F(LocalStagingTest, AcquireWaitsOutAMomentaryHolder) {
  FileLock sweeper;
  ASSERT_EQ(sweeper.Open(root_ + "/run_id=r1.lock"), 0);
  ASSERT_EQ(sweeper.Lock(), 0);
  // Lets go of the lock during the third wait.
  class SweeperDoneClock : public FakeClock {
   public:
    explicit SweeperDoneClock(FileLock* lock) : lock_(lock) {}
    using FakeClock::SleepFor;
    void SleepFor(double seconds) override {
      FakeClock::SleepFor(seconds);
      if (sleeps() == 3) lock_->Release();
    }

   private:
    FileLock* lock_;
  } clock(&sweeper);
  Result<std::unique_ptr<LocalStaging>> s =
      LocalStaging::Acquire(root_, "r1", std::chrono::milliseconds(5000), &clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(clock.sleeps(), 3);
  EXPECT_NEAR(clock.NowSeconds(), 0.15, 1e-9);
}

TEST_F(LocalStagingTest, SweepRemovesOnlyRunsNoLiveBuildHolds) {
  LeaveDeadRun("dead1");
  LeaveDeadRun("dead2");
  Result<std::unique_ptr<LocalStaging>> live = LocalStaging::Acquire(root_, "live");
  ASSERT_TRUE(live.ok());
  fs::create_directories((*live)->dir());
  fs::create_directories(root_ + "/run_id=nolock");  // no lock file: nothing proves it dead
  fs::create_directories(root_ + "/unrelated");
  std::ofstream(root_ + "/run_id=lockonly.lock");  // killed before its directory existed
  EXPECT_EQ(SweepAbandonedStaging(root_), 2);
  EXPECT_FALSE(fs::exists(root_ + "/run_id=lockonly.lock"));
  EXPECT_TRUE(fs::exists(root_ + "/run_id=live.lock"));
  EXPECT_FALSE(fs::exists(root_ + "/run_id=dead1"));
  EXPECT_FALSE(fs::exists(root_ + "/run_id=dead1.lock"));
  EXPECT_FALSE(fs::exists(root_ + "/run_id=dead2"));
  EXPECT_TRUE(fs::exists((*live)->dir()));
  EXPECT_TRUE(fs::exists(root_ + "/run_id=nolock"));
  EXPECT_TRUE(fs::exists(root_ + "/unrelated"));
  EXPECT_EQ(SweepAbandonedStaging(root_), 0);
  EXPECT_EQ(SweepAbandonedStaging(root_ + "/missing"), 0);
}

// A build removes what dead builds left under its local root, and leaves
// nothing of its own once it has published.
TEST_F(LocalStagingTest, ABuildSweepsDeadStagingAndLeavesNone) {
  LeaveDeadRun("killed");
  HashShardedWriteConfig c;
  c.s3_prefix = "memory://local-staging-test/snap";
  c.num_dbs = 2;
  c.local_root = root_;
  c.adapter_factory = NewSqliteWriterFactory();
  c.shard_retry = RetryConfig{};  // a spool too
  std::vector<int64_t> keys = {1, 2, 3, 4, 5};
  Result<BuildResult> r = WriteHashSharded(
      keys, c, RecordInput{[](int64_t k) { return k; }, [](int64_t) { return std::string("v"); }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(fs::is_empty(root_)) << fs::directory_iterator(root_)->path();
}

TEST_F(LocalStagingTest, AnUnwritableRootIsAConfigError) {
  const std::string file = root_ + "/plain-file";
  std::ofstream(file) << "x";
  Result<std::unique_ptr<LocalStaging>> s = LocalStaging::Acquire(file + "/sub", "r");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(s.status().message().find("local staging root"), std::string::npos)
      << s.status().ToString();
}

}  // namespace
}  // namespace shardyfusion
