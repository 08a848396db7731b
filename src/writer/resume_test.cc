// Checkpoints and resume (WriteConfig::checkpoint, WriteConfig::resume): a
// build in a child process is killed for real (SIGKILL) mid-input or in the
// middle of its seals; a resume in this process finishes the run, and the
// snapshot equals what one uninterrupted build publishes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "core/status_internal.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"
#include "storage/storage_testing.h"

namespace shardyfusion {
namespace {

constexpr int64_t kRecords = 20000;

std::string Value(int64_t i) { return "value-" + std::to_string(i * 7919 % 100003); }

// Kills its own process at the nth Seal of any of its writers: a build that
// dies in the middle of its seal phase.
class KillAtSealFactory : public ShardWriterFactory {
 public:
  KillAtSealFactory(std::shared_ptr<ShardWriterFactory> base, int nth)
      : base_(std::move(base)), nth_(nth) {}
  std::string name() const override { return base_->name(); }
  KeyLimits key_limits() const override { return base_->key_limits(); }
  bool supports_checkpoints() const override { return true; }
  Result<std::unique_ptr<ShardWriter>> Open(const ShardWriterContext& ctx) override {
    return Wrap(base_->Open(ctx));
  }
  Result<std::unique_ptr<ShardWriter>> Resume(const ShardWriterContext& ctx,
                                              std::string_view state) override {
    return Wrap(base_->Resume(ctx, state));
  }

 private:
  class Writer : public ShardWriter {
   public:
    Writer(std::unique_ptr<ShardWriter> w, KillAtSealFactory* f) : w_(std::move(w)), f_(f) {}
    Status WriteBatch(const KvBatch& b) override { return w_->WriteBatch(b); }
    Result<SealResult> Seal() override {
      if (++f_->seals_ == f_->nth_) ::raise(SIGKILL);
      return w_->Seal();
    }
    void Abandon() override { w_->Abandon(); }
    Result<std::string> Checkpoint() override { return w_->Checkpoint(); }
    void Detach() override { w_->Detach(); }

   private:
    std::unique_ptr<ShardWriter> w_;
    KillAtSealFactory* f_;
  };
  Result<std::unique_ptr<ShardWriter>> Wrap(Result<std::unique_ptr<ShardWriter>> w) {
    if (!w.ok()) return w.status();
    return std::unique_ptr<ShardWriter>(new Writer(std::move(w).value(), this));
  }
  std::shared_ptr<ShardWriterFactory> base_;
  int nth_;
  std::atomic<int> seals_{0};
};

class ResumeTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::shared_ptr<ShardWriterFactory> Backend() const {
    if (GetParam() == "sqlite") return NewSqliteWriterFactory();
    SlateDbWriterOptions o;
    o.l0_sst_size_bytes = 64 << 10;  // L0s uploaded as the build goes
    o.sort_memory_bytes = 1 << 20;   // some runs in memory, most spooled
    return NewSlateDbWriterFactory(o);
  }

  HashShardedWriteConfig Config(const std::string& root) const {
    HashShardedWriteConfig c;
    c.s3_prefix = root;
    c.num_dbs = 5;
    c.run_id = "run1";
    c.batch_size = 500;
    c.local_root = dir_.path() + "/staging";
    c.adapter_factory = Backend();
    c.shard_retry = RetryConfig{};
    c.checkpoint.every_records = 3000;
    c.checkpoint.input_identity_json = R"({"input": "iota", "records": 20000})";
    return c;
  }

  // Adds records [from, kRecords) with the position callback reporting the
  // next index; kills the process after `kill_after` records when set.
  static Status Feed(HashShardedWriter& w, int64_t from, int64_t* next,
                     std::optional<int64_t> kill_after = {}) {
    for (int64_t i = from; i < kRecords; ++i) {
      if (kill_after && i == *kill_after) ::raise(SIGKILL);
      Status st = w.Add(Key::Int(i), Value(i));
      if (!st.ok()) return st;
      *next = i + 1;
    }
    return Status::OK();
  }

  // Runs `body` in a child process that must die of SIGKILL.
  static void InKilledChild(const std::function<void()>& body) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      body();
      ::_exit(0);  // not killed: the parent reports it
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  }

  // A checkpointing build of `root` killed before record `kill_at`.
  void KilledBuild(const std::string& root, int64_t kill_at) {
    InKilledChild([&] {
      HashShardedWriteConfig c = Config(root);
      int64_t next = 0;
      c.checkpoint.input_position = [&next] { return std::to_string(next); };
      Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(c);
      if (!w.ok()) ::_exit(3);
      (void)Feed(**w, 0, &next, kill_at);
    });
  }

  // A checkpointing build of `root` killed as its third shard seals.
  void KilledAtThirdSeal(const std::string& root) {
    InKilledChild([&] {
      HashShardedWriteConfig c = Config(root);
      c.adapter_factory = std::make_shared<KillAtSealFactory>(Backend(), 3);
      int64_t next = 0;
      c.checkpoint.input_position = [&next] { return std::to_string(next); };
      WriteOptions one_seal_at_a_time;
      one_seal_at_a_time.seal_threads = 1;
      Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(c, one_seal_at_a_time);
      if (!w.ok()) ::_exit(3);
      if (!Feed(**w, 0, &next).ok()) ::_exit(4);
      (void)(*w)->Finish();
    });
  }

  // A clean build of the same records; its manifest's rows per shard.
  std::map<int64_t, int64_t> CleanRows() {
    HashShardedWriteConfig c = Config(dir_.path() + "/clean");
    c.checkpoint = {};
    Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(c);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    int64_t next = 0;
    EXPECT_TRUE(Feed(**w, 0, &next).ok());
    Result<BuildResult> r = (*w)->Finish();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::map<int64_t, int64_t> rows;
    if (r.ok()) {
      for (const ShardMeta& m : r->winners) rows[m.db_id] = m.row_count;
    }
    return rows;
  }

  // Resumes run1 under `root` and finishes it.
  Result<BuildResult> Resume(const std::string& root, int64_t* resumed_from) {
    HashShardedWriteConfig c = Config(root);
    c.resume = true;
    int64_t next = 0;
    c.checkpoint.input_position = [&next] { return std::to_string(next); };
    SHARDY_ASSIGN_OR_RETURN(std::unique_ptr<HashShardedWriter> w, HashShardedWriter::Open(c));
    if (!w->resume_position()) return Status(ErrorCode::kInternal, "no resume position");
    *resumed_from = std::stoll(*w->resume_position());
    next = *resumed_from;
    EXPECT_EQ(w->records_added(), static_cast<uint64_t>(*resumed_from));
    SHARDY_RETURN_IF_ERROR(Feed(*w, *resumed_from, &next));
    return w->Finish();
  }

  void ExpectSnapshot(const std::string& root, const BuildResult& r) {
    std::map<int64_t, int64_t> rows;
    for (const ShardMeta& m : r.winners) rows[m.db_id] = m.row_count;
    EXPECT_EQ(rows, CleanRows());
    Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(root);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    for (int64_t i = 0; i < kRecords; i += 13) {
      Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i));
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      ASSERT_TRUE(v->has_value()) << i;
      ASSERT_EQ(**v, Value(i)) << i;
    }
    // Nothing of the killed process is left: only what the manifest names
    // (and no local staging).
    std::set<std::string> named;
    for (const ShardMeta& m : r.winners) named.insert(m.db_url.value_or(""));
    for (const auto& e : std::filesystem::recursive_directory_iterator(root + "/shards")) {
      if (!e.is_regular_file()) continue;
      const std::string url = "file://" + e.path().string();
      bool under_winner = false;
      for (const std::string& u : named) under_winner |= url.starts_with(u + "/");
      EXPECT_TRUE(under_winner) << "stray object " << e.path();
    }
    EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/staging/run_id=run1"));
    // One run record, the killed build's, taken over and finished.
    int records = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root + "/runs")) {
      if (e.path().filename() != "run.yaml") continue;
      ++records;
      std::ifstream in(e.path());
      const std::string yaml((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      EXPECT_NE(yaml.find("status: succeeded\n"), std::string::npos) << yaml;
    }
    EXPECT_EQ(records, 1);
  }

  ScratchDir dir_;
};

TEST_P(ResumeTest, AKilledBuildResumesFromItsCheckpoint) {
  const std::string root = dir_.path() + "/snap";
  KilledBuild(root, 15500);
  ASSERT_TRUE(std::filesystem::exists(dir_.path() + "/staging/run_id=run1/checkpoint.json"));
  int64_t from = -1;
  Result<BuildResult> r = Resume(root, &from);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The last checkpoint that reached the disk before the kill (the one at
  // 15,000 records is written behind the producer, maybe too late).
  EXPECT_TRUE(from == 15000 || from == 12000) << from;
  EXPECT_EQ(r->stats.resumed_records, static_cast<uint64_t>(from));
  EXPECT_EQ(r->stats.rows_written, kRecords);
  ExpectSnapshot(root, *r);
}

TEST_P(ResumeTest, AKillDuringTheSealsKeepsTheShardsSealedBeforeIt) {
  const std::string root = dir_.path() + "/snap";
  KilledAtThirdSeal(root);
  size_t sealed = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(dir_.path() + "/staging/run_id=run1/sealed")) {
    (void)e;
    ++sealed;
  }
  EXPECT_EQ(sealed, 2u) << "two seals finished before the third killed the process";
  int64_t from = -1;
  Result<BuildResult> r = Resume(root, &from);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(from, 18000);
  ExpectSnapshot(root, *r);
}

TEST_P(ResumeTest, AResumeThatCannotBeIsAConfigErrorThatLeavesTheCheckpoint) {
  const std::string root = dir_.path() + "/snap";
  KilledBuild(root, 7000);
  auto expect_refused = [&](HashShardedWriteConfig c, const std::string& says) {
    c.resume = true;
    Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(c);
    ASSERT_FALSE(w.ok()) << says;
    EXPECT_EQ(w.status().code(), ErrorCode::kConfigValidation) << w.status().ToString();
    EXPECT_NE(w.status().message().find(says), std::string::npos) << w.status().ToString();
  };
  HashShardedWriteConfig other_shards = Config(root);
  other_shards.num_dbs = 6;
  expect_refused(other_shards, "num_dbs was 5 at the checkpoint and is 6 now");
  HashShardedWriteConfig other_input = Config(root);
  other_input.checkpoint.input_identity_json = R"({"input": "iota", "records": 30000})";
  expect_refused(other_input, "the input's records was 20000");
  HashShardedWriteConfig other_run = Config(root);
  other_run.run_id = "run2";
  expect_refused(other_run, "nothing to resume: run run2 has no checkpoint");
  HashShardedWriteConfig no_retries = Config(root);
  no_retries.shard_retry.reset();
  expect_refused(no_retries, "shard_retries was true");
  // A fresh build may not take the run id either (issue 7's rule).
  Result<std::unique_ptr<HashShardedWriter>> fresh = HashShardedWriter::Open(Config(root));
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(fresh.status().code(), ErrorCode::kConfigValidation);

  // None of that touched the checkpoint: the right resume still works.
  int64_t from = -1;
  Result<BuildResult> r = Resume(root, &from);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(from == 6000 || from == 3000) << from;
  ExpectSnapshot(root, *r);
  // And a published run never resumes.
  expect_refused(Config(root), "already published");
}

// What a checkpoint names must still be in the store: a shard sealed before
// the kill whose object was deleted since (a cleanup) makes the resume fail
// instead of publishing a shard with nothing behind it.
TEST_P(ResumeTest, AResumeRefusesWhenObjectsItsCheckpointNamesAreGone) {
  const std::string root = dir_.path() + "/snap";
  KilledAtThirdSeal(root);
  std::vector<std::filesystem::path> objects;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root + "/shards")) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') objects.push_back(e.path());
  }
  ASSERT_FALSE(objects.empty());
  std::filesystem::remove(objects.front());
  HashShardedWriteConfig c = Config(root);
  c.resume = true;
  Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(c);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(w.status().message().find("is gone from the store"), std::string::npos)
      << w.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Backends, ResumeTest, ::testing::Values("sqlite", "slatedb"));

}  // namespace
}  // namespace shardyfusion
