#include "writer/run_record.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "storage/fault_store.h"
#include "storage/memory_store.h"

namespace shardyfusion {
namespace {

RunRecord Initial() {
  RunRecord r;
  r.run_id = "abc123";
  r.s3_prefix = "s3://bucket/snap";
  r.shard_prefix = "shards";
  r.db_path_template = "db={db_id:05d}";
  return r;
}

std::string Field(const std::string& yaml, const std::string& key) {
  size_t at = yaml.find("\n" + key + ": ");
  if (at == std::string::npos && yaml.rfind(key + ": ", 0) == 0)
    at = 0;
  else if (at != std::string::npos)
    ++at;
  if (at == std::string::npos) return "<missing>";
  size_t start = at + key.size() + 2;
  return yaml.substr(start, yaml.find('\n', start) - start);
}

TEST(RunRecordTest, YamlHasEveryKeySortedWithQuotedStrings) {
  RunRecord r = Initial();
  r.run_id = "it's 1e10";  // a quote, and text that YAML would read as a number
  r.error_message = "line one\nline two";
  std::string y = RunRecordYaml(r);
  EXPECT_EQ(y.substr(0, y.find('\n')), "db_path_template: 'db={db_id:05d}'");
  std::vector<std::string> keys;
  for (size_t pos = 0; pos < y.size();) {
    size_t eol = y.find('\n', pos);
    keys.push_back(y.substr(pos, y.find(':', pos) - pos));
    pos = eol + 1;
  }
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(keys, sorted);
  EXPECT_EQ(keys.size(), 13u);
  EXPECT_EQ(Field(y, "run_id"), "'it''s 1e10'");
  EXPECT_EQ(Field(y, "error_message"), "\"line one\\nline two\"");
  EXPECT_EQ(Field(y, "error_type"), "null");
  EXPECT_EQ(Field(y, "status"), "running");
  EXPECT_EQ(Field(y, "format_version"), "1");
}

std::string Quoted(SystemTime t) { return "'" + FormatIsoTimestamp(t) + "'"; }

// On a fake clock the test steps the heartbeat: a record written at start,
// rewritten every `heartbeat` fake seconds with the lease pushed forward.
TEST(RunRecordTest, LifecycleWritesRunningThenHeartbeatsThenSucceeds) {
  auto store = std::make_shared<MemoryStore>("mem");
  FakeClock clock(FakeClock::Sleeps::kAwaitAdvance);
  const SystemTime t0 = clock.NowUtc();
  RunRecordOptions opts;
  opts.heartbeat = std::chrono::seconds(60);
  opts.lease = std::chrono::minutes(10);
  opts.clock = &clock;
  auto life = RunRecordLifecycle::Start(store, "snap", Initial(), opts);
  ASSERT_FALSE(life->record_key().empty());
  EXPECT_EQ(life->record_key().rfind("snap/runs/" + FormatDirTimestamp(t0) + "_run_id=abc123_", 0),
            0u)
      << life->record_key();
  auto record = [&] { return **store->Get(life->record_key()); };
  std::string y = record();
  EXPECT_EQ(Field(y, "status"), "running");
  EXPECT_EQ(Field(y, "started_at"), Quoted(t0));
  EXPECT_EQ(Field(y, "updated_at"), Quoted(t0));
  EXPECT_EQ(Field(y, "lease_expires_at"), Quoted(t0 + std::chrono::minutes(10)));

  for (int beat = 1; beat <= 3; ++beat) {
    clock.AwaitSleeps(beat);  // the heartbeat waits for its next beat
    clock.Advance(59);
    EXPECT_EQ(Field(record(), "updated_at"), Quoted(t0 + std::chrono::seconds(60 * (beat - 1))))
        << "no beat before its time";
    clock.Advance(1);
    clock.AwaitSleeps(beat + 1);  // it wrote, and sleeps again
    y = record();
    const SystemTime at = t0 + std::chrono::seconds(60 * beat);
    EXPECT_EQ(Field(y, "updated_at"), Quoted(at)) << "beat " << beat;
    EXPECT_EQ(Field(y, "lease_expires_at"), Quoted(at + std::chrono::minutes(10)));
    EXPECT_EQ(Field(y, "started_at"), Quoted(t0));
  }
  EXPECT_EQ(clock.sleep_log(), std::vector<double>(4, 60.0));

  life->SetManifestRef("snap/manifests/x/manifest");
  life->Succeed();  // wakes the sleeping heartbeat instead of waiting a beat
  y = record();
  EXPECT_EQ(Field(y, "status"), "succeeded");
  EXPECT_EQ(Field(y, "manifest_ref"), "'snap/manifests/x/manifest'");
  EXPECT_EQ(Field(y, "updated_at"), Quoted(t0 + std::chrono::minutes(3)));
  EXPECT_EQ(Field(y, "lease_expires_at"), Field(y, "updated_at"));
}

// On the real clock a heartbeat an hour away does not hold up Succeed.
TEST(RunRecordTest, FinishingStopsTheHeartbeatPromptly) {
  auto store = std::make_shared<MemoryStore>("mem");
  RunRecordOptions opts;
  opts.heartbeat = std::chrono::hours(1);
  auto life = RunRecordLifecycle::Start(store, "snap", Initial(), opts);
  const auto start = std::chrono::steady_clock::now();
  life->Succeed();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(Field(**store->Get(life->record_key()), "status"), "succeeded");
}

TEST(RunRecordTest, FailureRecordsTheError) {
  auto store = std::make_shared<MemoryStore>("mem");
  auto life = RunRecordLifecycle::Start(store, "snap", Initial());
  life->Fail("ShardWrite", "shard 3: injected fault");
  std::string y = **store->Get(life->record_key());
  EXPECT_EQ(Field(y, "status"), "failed");
  EXPECT_EQ(Field(y, "error_type"), "'ShardWrite'");
  EXPECT_EQ(Field(y, "error_message"), "'shard 3: injected fault'");
}

TEST(RunRecordTest, AFailedFirstWriteLeavesTheBuildWithoutARecord) {
  auto fault = std::make_shared<FaultInjectingStore>(std::make_shared<MemoryStore>("mem"));
  fault->FailNthCall(StoreOp::kPut, 1, Status(ErrorCode::kStorage, "injected"));
  auto life = RunRecordLifecycle::Start(fault, "snap", Initial());
  EXPECT_TRUE(life->record_key().empty());
  life->Succeed();  // no record, no write, no crash
  EXPECT_EQ(fault->CallCount(StoreOp::kPut), 1);
}

// What cleanup reads back: our YAML, and the reference's with plain scalars
// and +00:00 offsets; a broken record is an error naming it.
TEST(RunRecordTest, ParseReadsTheLivenessFieldsBack) {
  RunRecord r = Initial();
  r.status = RunRecord::State::kRunning;
  r.started_at = SystemTime(std::chrono::microseconds(1764806400123456));
  r.updated_at = r.started_at + std::chrono::seconds(5);
  r.lease_expires_at = r.updated_at + std::chrono::minutes(10);
  Result<RunRecord> ours = ParseRunRecordYaml(RunRecordYaml(r), "ours");
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  EXPECT_EQ(ours->run_id, r.run_id);
  EXPECT_EQ(ours->status, RunRecord::State::kRunning);
  EXPECT_EQ(ours->started_at, r.started_at);
  EXPECT_EQ(ours->lease_expires_at, r.lease_expires_at);
  Result<RunRecord> theirs = ParseRunRecordYaml(
      "lease_expires_at: '2026-12-04T10:00:00+00:00'\nrun_id: abc\nstarted_at: "
      "2026-12-04T09:00:00Z\nstatus: failed\nupdated_at: '2026-12-04T09:50:00.5Z'\n",
      "theirs");
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  EXPECT_EQ(theirs->status, RunRecord::State::kFailed);
  EXPECT_EQ((theirs->lease_expires_at - theirs->updated_at),
            std::chrono::seconds(599) + std::chrono::milliseconds(500));
  Result<RunRecord> broken = ParseRunRecordYaml("run_id: abc\nstatus: done\n", "runs/x/run.yaml");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("runs/x/run.yaml"), std::string::npos);
}

}  // namespace
}  // namespace shardyfusion
