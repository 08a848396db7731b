#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>

#include "core/clock.h"
#include "core/time_format.h"
#include "manifest/manifest_names.h"
#include "shardyfusion/manifest.h"
#include "storage/fault_store.h"
#include "storage/memory_store.h"

namespace shardyfusion {
namespace {

// Forwards to a base store, remembers the options of every Put, and runs a
// hook after each Head (to move `_CURRENT` between a publisher's read and
// its conditional write).
class HookedStore : public ObjectStore {
 public:
  explicit HookedStore(std::shared_ptr<ObjectStore> base) : base_(std::move(base)) {}

  std::function<void(std::string_view key)> after_head;
  std::vector<std::pair<std::string, PutOptions>> puts;

  std::string Url(std::string_view key) const override { return base_->Url(key); }
  Result<std::string> Put(std::string_view key, std::string_view data,
                          const PutOptions& options) override {
    puts.emplace_back(std::string(key), options);
    return base_->Put(key, data, options);
  }
  Result<std::string> PutFile(std::string_view key, const std::string& path,
                              const PutOptions& options) override {
    return base_->PutFile(key, path, options);
  }
  Result<std::optional<std::string>> Get(std::string_view key) override { return base_->Get(key); }
  Result<bool> GetToFile(std::string_view key, const std::string& path) override {
    return base_->GetToFile(key, path);
  }
  Result<std::optional<std::string>> GetRange(std::string_view key, uint64_t offset,
                                              uint64_t length) override {
    return base_->GetRange(key, offset, length);
  }
  Result<std::optional<ObjectInfo>> Head(std::string_view key) override {
    auto r = base_->Head(key);
    if (after_head) after_head(key);
    return r;
  }
  Result<ListResult> List(std::string_view prefix, std::string_view delimiter) override {
    return base_->List(prefix, delimiter);
  }
  Status Delete(const std::vector<std::string>& keys) override { return base_->Delete(keys); }

 private:
  std::shared_ptr<ObjectStore> base_;
};

Manifest SmallManifest(const std::string& run_id) {
  Manifest m;
  m.meta.run_id = run_id;
  m.meta.num_dbs = 2;
  m.meta.s3_prefix = "memory://x/root";
  ShardMeta s;
  s.db_id = 1;
  s.db_url = "memory://x/root/shards/run_id=" + run_id + "/db=00001/attempt=00";
  s.row_count = 1;
  s.min_key = Key::Int(6);
  s.max_key = Key::Int(6);
  m.shards = {s};
  return m;
}

// A fresh in-memory store per test.
std::shared_ptr<MemoryStore> FreshMemoryStore() {
  static std::atomic<int> counter{0};
  return std::make_shared<MemoryStore>("manifest-test-" + std::to_string(getpid()) + "-" +
                                       std::to_string(counter++));
}

std::string GetOrEmpty(ObjectStore& store, const std::string& key) {
  auto r = store.Get(key);
  EXPECT_TRUE(r.ok());
  return r.ok() && r->has_value() ? **r : std::string();
}

// ISO-8601 UTC as written in JSON: the fraction only when non-zero.
bool IsIsoTimestamp(const std::string& s) {
  if (IsDirTimestamp(s)) return !s.ends_with(".000000Z");
  return s.size() == 20 && IsDirTimestamp(s.substr(0, 19) + ".000001Z");
}

TEST(ManifestStoreTest, PublishWritesManifestThenCurrent) {
  auto base = FreshMemoryStore();
  auto hooked = std::make_shared<HookedStore>(base);
  ManifestStore ms(hooked, "root");
  EXPECT_EQ(ms.current_key(), "root/_CURRENT");

  Result<std::optional<CurrentPointer>> none = ms.LoadCurrent();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  Result<std::string> ref = ms.Publish(SmallManifest("run-a"));
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  const std::string dir_prefix = base->Url("root/manifests/");
  const std::string suffix = "_run_id=run-a/manifest";
  ASSERT_TRUE(ref->starts_with(dir_prefix) && ref->ends_with(suffix)) << *ref;
  const std::string dir_ts = ref->substr(dir_prefix.size(), 27);
  EXPECT_TRUE(IsDirTimestamp(dir_ts)) << *ref;
  EXPECT_EQ(ref->size(), dir_prefix.size() + 27 + suffix.size()) << *ref;

  ASSERT_EQ(hooked->puts.size(), 2u);
  EXPECT_EQ(hooked->puts[0].first, "root/manifests/" + dir_ts + "_run_id=run-a/manifest");
  EXPECT_EQ(hooked->puts[0].second.content_type, "application/x-sqlite3");
  EXPECT_EQ(hooked->puts[0].second.condition, PutCondition::kIfAbsent);
  EXPECT_EQ(hooked->puts[1].first, "root/_CURRENT");
  EXPECT_EQ(hooked->puts[1].second.content_type, "application/json");
  EXPECT_EQ(hooked->puts[1].second.condition, PutCondition::kIfAbsent);  // nothing was current

  Result<std::optional<CurrentPointer>> current = ms.LoadCurrent();
  ASSERT_TRUE(current.ok() && current->has_value());
  EXPECT_EQ((*current)->manifest_ref, *ref);
  EXPECT_EQ((*current)->run_id, "run-a");
  EXPECT_EQ((*current)->manifest_content_type, "application/x-sqlite3");
  EXPECT_TRUE(IsIsoTimestamp((*current)->updated_at)) << (*current)->updated_at;
  EXPECT_EQ(GetOrEmpty(*base, "root/_CURRENT"), SerializeCurrentPointer(**current));

  Result<Manifest> loaded = ms.LoadManifest(*ref);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->meta.run_id, "run-a");
  ASSERT_EQ(loaded->shards.size(), 1u);
  EXPECT_EQ(loaded->shards[0].min_key, Key::Int(6));
  // created_at is the directory's instant in the pydantic ISO form.
  const std::string& created = loaded->meta.created_at;
  EXPECT_TRUE(IsIsoTimestamp(created)) << created;
  EXPECT_TRUE(created == dir_ts ||
              (dir_ts.ends_with(".000000Z") && created == dir_ts.substr(0, 19) + "Z"))
      << created << " vs " << dir_ts;

  // A second publish switches conditionally on the first pointer's ETag.
  Result<std::string> ref2 = ms.Publish(SmallManifest("run-b"));
  ASSERT_TRUE(ref2.ok()) << ref2.status().ToString();
  ASSERT_EQ(hooked->puts.size(), 4u);
  EXPECT_EQ(hooked->puts[3].second.condition, PutCondition::kIfMatch);
  EXPECT_FALSE(hooked->puts[3].second.if_match.empty());
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *ref2);
}

TEST(ManifestStoreTest, FailedCurrentPutReportsTheWrittenManifest) {
  auto base = FreshMemoryStore();
  auto faulty = std::make_shared<FaultInjectingStore>(base);
  ManifestStore ms(faulty, "root");
  ASSERT_TRUE(ms.Publish(SmallManifest("run-a")).ok());
  const std::string before = GetOrEmpty(*base, "root/_CURRENT");

  FaultRule rule;
  rule.op = StoreOp::kPut;
  rule.key_contains = "_CURRENT";
  rule.error = Status(ErrorCode::kStorage, "injected: connection reset");
  faulty->AddRule(rule);
  Result<std::string> ref = ms.Publish(SmallManifest("run-b"));
  ASSERT_FALSE(ref.ok());
  const Status& st = ref.status();
  EXPECT_EQ(st.code(), ErrorCode::kPublishCurrent);
  EXPECT_TRUE(st.retryable());
  ASSERT_TRUE(st.manifest_ref().has_value());
  EXPECT_NE(st.manifest_ref()->find("_run_id=run-b/manifest"), std::string::npos);
  EXPECT_NE(st.message().find("connection reset"), std::string::npos);

  EXPECT_EQ(GetOrEmpty(*base, "root/_CURRENT"), before);
  faulty->ClearRules();
  EXPECT_TRUE(ms.LoadManifest(*st.manifest_ref()).ok()) << "the manifest object was written";
  // The caller can finish the publish with the ref alone.
  ASSERT_TRUE(ms.SetCurrent(*st.manifest_ref()).ok());
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *st.manifest_ref());
  EXPECT_EQ((*ms.LoadCurrent())->run_id, "run-b");
}

TEST(ManifestStoreTest, WritesThatLandedDespiteAnErrorCountAsDone) {
  // Each put takes effect but reports failure, as when a reply is lost and
  // the retry meets the first attempt's write (412), or times out.
  auto base = FreshMemoryStore();
  auto faulty = std::make_shared<FaultInjectingStore>(base);
  ManifestStore ms(faulty, "root");
  ASSERT_TRUE(ms.Publish(SmallManifest("run-a")).ok());
  FaultRule current_rule;
  current_rule.op = StoreOp::kPut;
  current_rule.key_contains = "_CURRENT";
  current_rule.after_effect = true;
  current_rule.error = Status(ErrorCode::kPreconditionFailed, "412 on retry");
  faulty->AddRule(current_rule);
  FaultRule manifest_rule = current_rule;
  manifest_rule.key_contains = "/manifest";
  manifest_rule.error = Status(ErrorCode::kStorage, "timeout", true);
  faulty->AddRule(manifest_rule);
  Result<std::string> ref = ms.Publish(SmallManifest("run-b"));
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *ref);
  EXPECT_EQ(faulty->FaultsInjected(), 2);

  // A real conflict (someone else's bytes in place) is still a conflict.
  faulty->ClearRules();
  FaultRule rival;
  rival.op = StoreOp::kPut;
  rival.key_contains = "_CURRENT";
  rival.error = Status(ErrorCode::kPreconditionFailed, "412");
  faulty->AddRule(rival);
  Result<std::string> lost = ms.Publish(SmallManifest("run-c"));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), ErrorCode::kPublishCurrent);
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *ref);
}

TEST(ManifestStoreTest, ARollbackWhoseReplyWasLostCountsAsDone) {
  // Publish and SetCurrent switch `_CURRENT` through the same swap: a
  // rollback whose PUT landed but reported 412 (a retry meeting its own
  // first write) succeeded; a rival's pointer in place is still a conflict.
  auto base = FreshMemoryStore();
  auto faulty = std::make_shared<FaultInjectingStore>(base);
  ManifestStore ms(faulty, "root");
  Result<std::string> a = ms.Publish(SmallManifest("run-a"));
  Result<std::string> b = ms.Publish(SmallManifest("run-b"));
  ASSERT_TRUE(a.ok() && b.ok());
  FaultRule lost;
  lost.op = StoreOp::kPut;
  lost.key_contains = "_CURRENT";
  lost.after_effect = true;
  lost.error = Status(ErrorCode::kPreconditionFailed, "412 on retry");
  faulty->AddRule(lost);
  Status rolled_back = ms.SetCurrent(*a);
  EXPECT_TRUE(rolled_back.ok()) << rolled_back.ToString();
  EXPECT_EQ(faulty->FaultsInjected(), 1);
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *a);

  faulty->ClearRules();
  FaultRule rival = lost;
  rival.after_effect = false;
  faulty->AddRule(rival);
  Status conflict = ms.SetCurrent(*b);
  EXPECT_EQ(conflict.code(), ErrorCode::kPublishCurrent);
  EXPECT_NE(conflict.message().find("nothing was changed"), std::string::npos);
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *a);
}

TEST(ManifestStoreTest, FailedManifestPutLeavesCurrentUntouched) {
  auto base = FreshMemoryStore();
  auto faulty = std::make_shared<FaultInjectingStore>(base);
  ManifestStore ms(faulty, "root");
  ASSERT_TRUE(ms.Publish(SmallManifest("run-a")).ok());
  const std::string before = GetOrEmpty(*base, "root/_CURRENT");
  const int current_puts = [&] {
    int n = 0;
    for (const StoreCall& c : faulty->Calls())
      n += c.op == StoreOp::kPut && c.key == "root/_CURRENT";
    return n;
  }();

  FaultRule rule;
  rule.op = StoreOp::kPut;
  rule.key_contains = "/manifest";
  rule.nth = 1;
  rule.error = Status(ErrorCode::kStorage, "injected: 503");
  faulty->AddRule(rule);
  Result<std::string> ref = ms.Publish(SmallManifest("run-b"));
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), ErrorCode::kPublishManifest);
  EXPECT_NE(ref.status().message().find("Failed to publish manifest memory://"), std::string::npos);
  EXPECT_NE(ref.status().message().find("injected: 503"), std::string::npos);
  EXPECT_FALSE(ref.status().manifest_ref().has_value());

  EXPECT_EQ(GetOrEmpty(*base, "root/_CURRENT"), before);
  int after_puts = 0;
  for (const StoreCall& c : faulty->Calls()) {
    after_puts += c.op == StoreOp::kPut && c.key == "root/_CURRENT";
  }
  EXPECT_EQ(after_puts, current_puts);
}

TEST(ManifestStoreTest, ConcurrentPublisherIsDetected) {
  auto base = FreshMemoryStore();
  auto hooked = std::make_shared<HookedStore>(base);
  ManifestStore ms(hooked, "root");
  ManifestStore other(base, "root");
  ASSERT_TRUE(ms.Publish(SmallManifest("run-a")).ok());

  // Publisher B switches _CURRENT right after A has read it.
  std::string b_ref;
  hooked->after_head = [&](std::string_view key) {
    if (key != "root/_CURRENT" || !b_ref.empty()) return;
    Result<std::string> r = other.Publish(SmallManifest("run-b"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    b_ref = *r;
  };
  Result<std::string> a = ms.Publish(SmallManifest("run-c"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), ErrorCode::kPublishCurrent);
  EXPECT_FALSE(a.status().retryable());
  EXPECT_NE(a.status().message().find("another publisher moved"), std::string::npos);
  EXPECT_NE(a.status().message().find("is written but not current"), std::string::npos);
  ASSERT_TRUE(a.status().manifest_ref().has_value());
  EXPECT_NE(a.status().manifest_ref()->find("run_id=run-c"), std::string::npos);
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, b_ref) << "B's switch must survive";

  // Last-writer-wins is still available on request.
  hooked->after_head = nullptr;
  PublishOptions force;
  force.force_last_writer_wins = true;
  Result<std::string> forced = ms.Publish(SmallManifest("run-d"), force);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(hooked->puts.back().second.condition, PutCondition::kNone);
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *forced);
}

TEST(ManifestStoreTest, FirstPublishRaceIsDetectedToo) {
  auto base = FreshMemoryStore();
  auto hooked = std::make_shared<HookedStore>(base);
  ManifestStore ms(hooked, "root");
  ManifestStore other(base, "root");
  bool fired = false;
  hooked->after_head = [&](std::string_view key) {
    if (key != "root/_CURRENT" || fired) return;
    fired = true;
    ASSERT_TRUE(other.Publish(SmallManifest("run-b")).ok());
  };
  Result<std::string> a = ms.Publish(SmallManifest("run-a"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), ErrorCode::kPublishCurrent);
  EXPECT_EQ((*ms.LoadCurrent())->run_id, "run-b");
}

TEST(ManifestStoreTest, ListsHistoryNewestFirstIgnoringOtherDirectories) {
  auto base = FreshMemoryStore();
  ManifestStore ms(base, "root");
  const PutOptions plain;
  for (const char* key : {
           "root/manifests/2026-01-02T00:00:00.000000Z_run_id=b/manifest",
           "root/manifests/2025-12-31T23:59:59.999999Z_run_id=a/manifest",
           "root/manifests/2026-01-03T00:00:00.000001Z_run_id=c/manifest",
           "root/manifests/2026-01-04T00:00:00Z_run_id=nofraction/manifest",
           "root/manifests/junk/manifest",
           "root/manifests/2026-01-05T00:00:00.000000Z_run_id=/manifest",
           "root/manifests/loose-object",
           "root/other/2026-01-06T00:00:00.000000Z_run_id=x/manifest",
       }) {
    ASSERT_TRUE(base->Put(key, "x", plain).ok());
  }
  Result<std::vector<ManifestListing>> all = ms.ListManifests(10);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].run_id, "c");
  EXPECT_EQ((*all)[0].published_at, "2026-01-03T00:00:00.000001Z");
  EXPECT_EQ((*all)[0].ref,
            base->Url("root/manifests/2026-01-03T00:00:00.000001Z_run_id=c/manifest"));
  EXPECT_EQ((*all)[1].run_id, "b");
  EXPECT_EQ((*all)[2].run_id, "a");

  Result<std::vector<ManifestListing>> two = ms.ListManifests(2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].run_id, "b");
  EXPECT_TRUE(ms.ListManifests(0)->empty());
}

TEST(ManifestStoreTest, RollbackAndItsErrors) {
  auto base = FreshMemoryStore();
  ManifestStore ms(base, "root");
  Result<std::string> a = ms.Publish(SmallManifest("run-a"));
  Result<std::string> b = ms.Publish(SmallManifest("run-b"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(ms.SetCurrent(*a).ok());
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *a);
  EXPECT_EQ((*ms.LoadCurrent())->run_id, "run-a");

  Status missing = ms.SetCurrent(base->Url("root/manifests/x_run_id=zz/manifest"));
  EXPECT_EQ(missing.code(), ErrorCode::kReaderState);
  EXPECT_NE(missing.message().find("manifest object not found"), std::string::npos);
  EXPECT_EQ(ms.SetCurrent(base->Url("root/manifests/no-run-id/manifest")).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *a) << "failed rollbacks change nothing";
}

// Every time a publish writes is the clock's.
TEST(ManifestStoreTest, PublishAndRollbackStampTheClocksTime) {
  auto base = FreshMemoryStore();
  FakeClock clock;
  ManifestStore ms(base, "root", "_CURRENT", &clock);
  const SystemTime t0 = clock.NowUtc();
  Result<std::string> a = ms.Publish(SmallManifest("run-a"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, base->Url("root/manifests/2026-01-02T03:04:05.000000Z_run_id=run-a/manifest"));
  EXPECT_EQ(ms.LoadManifest(*a)->meta.created_at, "2026-01-02T03:04:05Z");
  EXPECT_EQ((*ms.LoadCurrent())->updated_at, FormatIsoTimestamp(t0));

  clock.Advance(1.25);
  Result<std::string> b = ms.Publish(SmallManifest("run-b"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, base->Url("root/manifests/2026-01-02T03:04:06.250000Z_run_id=run-b/manifest"));
  EXPECT_EQ((*ms.LoadCurrent())->updated_at, "2026-01-02T03:04:06.250000Z");

  clock.Advance(60);
  ASSERT_TRUE(ms.SetCurrent(*a).ok());
  EXPECT_EQ((*ms.LoadCurrent())->updated_at, "2026-01-02T03:05:06.250000Z");
  EXPECT_EQ(clock.sleeps(), 0) << "publishing never waits";
}

// Two publishes of one run id in one microsecond name the same manifest
// object; the second is refused (retryably: a moment later it succeeds)
// and leaves the first current.
TEST(ManifestStoreTest, TwoPublishesOfOneRunIdInOneInstantClash) {
  auto base = FreshMemoryStore();
  FakeClock clock;
  ManifestStore ms(base, "root", "_CURRENT", &clock);
  Result<std::string> first = ms.Publish(SmallManifest("run-a"));
  ASSERT_TRUE(first.ok());
  Manifest other = SmallManifest("run-a");
  other.meta.num_dbs = 3;  // different bytes, same key
  Result<std::string> clash = ms.Publish(other);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), ErrorCode::kPublishManifest);
  EXPECT_TRUE(clash.status().retryable());
  EXPECT_NE(clash.status().message().find("run_id and timestamp clash"), std::string::npos)
      << clash.status().ToString();
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *first);
  EXPECT_EQ(ms.LoadManifest(*first)->meta.num_dbs, 2);

  clock.Advance(1e-6);
  Result<std::string> later = ms.Publish(other);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_NE(*later, *first);
  EXPECT_EQ((*ms.LoadCurrent())->manifest_ref, *later);
}

TEST(ManifestStoreTest, LoadManifestErrors) {
  auto base = FreshMemoryStore();
  ManifestStore ms(base, "root");
  Result<Manifest> r = ms.LoadManifest(base->Url("root/manifests/nothing/manifest"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kReaderState);
  EXPECT_NE(r.status().message().find("manifest object not found: memory://"), std::string::npos);

  ASSERT_TRUE(base->Put("root/manifests/json/manifest", "{\"required\": {}}", PutOptions()).ok());
  r = ms.LoadManifest(base->Url("root/manifests/json/manifest"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kManifestParse);
  EXPECT_NE(r.status().message().find("Unsupported manifest format"), std::string::npos);

  // A ref into another store (another bucket) is refused, not reinterpreted.
  auto elsewhere = FreshMemoryStore();
  ManifestStore other(elsewhere, "root");
  Result<std::string> foreign = other.Publish(SmallManifest("run-x"));
  ASSERT_TRUE(foreign.ok());
  r = ms.LoadManifest(*foreign);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not inside this store"), std::string::npos);
}

TEST(ManifestStoreTest, CorruptCurrentIsAParseError) {
  auto base = FreshMemoryStore();
  ManifestStore ms(base, "root", "_POINTER");
  ASSERT_TRUE(base->Put("root/_POINTER", "{\"run_id\": \"x\"}", PutOptions()).ok());
  Result<std::optional<CurrentPointer>> r = ms.LoadCurrent();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kManifestParse);
  EXPECT_NE(r.status().message().find("CURRENT pointer validation failed"), std::string::npos);
}

TEST(ManifestStoreTest, RejectsRunIdsThatBreakTheLayout) {
  ManifestStore ms(FreshMemoryStore(), "root");
  Result<std::string> r = ms.Publish(SmallManifest("a/b"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kPublishManifest);
}

TEST(ManifestStoreTest, FileStoreLayoutOnDisk) {
  std::string tmp = ::testing::TempDir() + "manifest_store_test_XXXXXX";
  std::vector<char> buf(tmp.begin(), tmp.end());
  buf.push_back('\0');
  ASSERT_NE(mkdtemp(buf.data()), nullptr);
  const std::string dir(buf.data());

  Result<StoreLocation> loc = OpenStoreForUrl("file://" + dir + "/snap");
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  ManifestStore ms(loc->store, loc->key);
  Result<std::string> ref = ms.Publish(SmallManifest("run-a"));
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->rfind("file://" + dir + "/snap/manifests/", 0), 0u) << *ref;

  std::ifstream current(dir + "/snap/_CURRENT", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(current)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("{\"format_version\":1,\"manifest_content_type\":\"application/x-sqlite3\","
                       "\"manifest_ref\":\"" +
                           *ref + "\",\"run_id\":\"run-a\",\"updated_at\":\"",
                       0),
            0u)
      << text;
  const std::string manifest_path = ref->substr(std::string("file://").size());
  EXPECT_TRUE(std::filesystem::is_regular_file(manifest_path));
  Result<std::vector<ManifestListing>> listed = ms.ListManifests(5);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].ref, *ref);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shardyfusion

namespace shardyfusion {
namespace {

TEST(ManifestNamesTest, DirectoryNamesFollowTheReferenceRegex) {
  auto parsed = ParseManifestDirName("2026-04-20T15:23:01.123456Z_run_id=abc/");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->timestamp, "2026-04-20T15:23:01.123456Z");
  EXPECT_EQ(parsed->run_id, "abc");
  EXPECT_TRUE(ParseManifestDirName("2026-04-20T15:23:01.123456Z_run_id=a=b_c"));
  for (const char* bad :
       {"2026-04-20T15:23:01Z_run_id=abc/", "2026-04-20T15:23:01.123456Z_run_id=/",
        "2026-04-20T15:23:01.123456Z_run_id=a/b", "x2026-04-20T15:23:01.123456Z_run_id=a",
        "2026-04-20T15:23:01.12345xZ_run_id=a", "2026-04-20T15:23:01.123456Z-run_id=a",
        "2026-04-20T15:23:01.123456Z_run_id=a//", ""}) {
    EXPECT_FALSE(ParseManifestDirName(bad)) << bad;
  }
}

TEST(ManifestNamesTest, RunIdFromRefTakesTheFirstNonEmptyMatch) {
  EXPECT_EQ(RunIdFromRef("s3://b/p/manifests/2026-01-01T00:00:00.000000Z_run_id=r1/manifest"),
            "r1");
  EXPECT_EQ(RunIdFromRef("s3://b/run_id=/x/run_id=r2"), "r2");
  EXPECT_FALSE(RunIdFromRef("s3://b/p/manifest"));
}

}  // namespace
}  // namespace shardyfusion
