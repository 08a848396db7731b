// The S3 store, the writer, the reader and the manifest store against a real
// S3 server (Ceph RGW), started by tests/s3/run.sh. Without the server's
// environment every test fails: these tests are never skipped.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "backend/slatedb/manifest.h"
#include "cli/shardy.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "s3/fault_proxy.h"
#include "shardyfusion/maintenance.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/s3.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"
#include "storage/conformance_testing.h"
#include "storage/fault_store.h"
#include "storage/s3/s3_store.h"
#include "writer/run_record_testing.h"

namespace shardyfusion {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The server's configuration from the environment run.sh exports.
S3Config ServerConfig() {
  S3Config c = S3ConfigFromEnvironment();
  c.options.endpoint_url = Env("SHARDY_TEST_S3_ENDPOINT");
  c.options.addressing_style = "path";
  return c;
}

std::string Bucket() { return Env("SHARDY_TEST_S3_BUCKET"); }

std::shared_ptr<ObjectStore> ServerStore(const S3Config& config = ServerConfig()) {
  Result<std::shared_ptr<ObjectStore>> store = NewS3Store(Bucket(), config);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? *store : nullptr;
}

class S3ServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_FALSE(Env("SHARDY_TEST_S3_ENDPOINT").empty() || Bucket().empty() ||
                 Env("AWS_ACCESS_KEY_ID").empty())
        << "no S3 server: run these tests through tests/s3/run.sh, which starts one";
  }
};
const auto* const kServer = ::testing::AddGlobalTestEnvironment(new S3ServerEnvironment);

// Every test works under its own fresh prefix.
std::string FreshPrefix(const std::string& what) {
  return "tests/" + what + "-" + NewUuid4Hex().substr(0, 12);
}

struct S3Env {
  std::shared_ptr<ObjectStore> store = ServerStore();
  std::string base = FreshPrefix("conformance") + "/";
};
INSTANTIATE_TYPED_TEST_SUITE_P(Rgw, ObjectStoreConformance, ::testing::Types<S3Env>);

class S3IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/s3_it_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    local_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(local_); }

  std::string WriteLocal(const std::string& name, const std::string& content) {
    const std::string path = local_ + "/" + name;
    std::ofstream(path, std::ios::binary).write(content.data(), content.size());
    return path;
  }

  std::string local_;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST_F(S3IntegrationTest, MultipartUploadReadsBackWholeAndByRanges) {
  S3Config config = ServerConfig();
  config.options.multipart_threshold_bytes = 5 << 20;
  config.options.multipart_part_bytes = 5 << 20;
  config.options.max_parts_in_flight = 2;
  auto store = ServerStore(config);
  const std::string content = RandomBytes((12 << 20) + 12345, 1);  // 3 parts
  const std::string key = FreshPrefix("multipart") + "/big.bin";
  Result<std::string> etag = store->PutFile(key, WriteLocal("big.bin", content), PutOptions());
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_TRUE(etag->ends_with("-3")) << "not a 3-part upload: " << *etag;

  Result<std::optional<ObjectInfo>> head = store->Head(key);
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->size, content.size());
  EXPECT_EQ((*head)->etag, *etag);
  for (auto [off, len] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 100}, {(5 << 20) - 7, 14}, {content.size() - 50, 1000}, {123456, 3 << 20}}) {
    Result<std::optional<std::string>> r = store->GetRange(key, off, len);
    ASSERT_TRUE(r.ok() && r->has_value()) << off;
    EXPECT_TRUE(**r == content.substr(off, len)) << "range at " << off;
  }
  Result<std::optional<std::string>> tail = store->GetSuffix(key, 4096);
  ASSERT_TRUE(tail.ok() && tail->has_value());
  EXPECT_TRUE(**tail == content.substr(content.size() - 4096));
  const std::string down = local_ + "/down.bin";
  Result<bool> got = store->GetToFile(key, down);
  ASSERT_TRUE(got.ok() && *got) << got.status().ToString();
  std::ifstream in(down, std::ios::binary);
  const std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(back == content);
  ASSERT_TRUE(store->Delete({key}).ok());
}

TEST_F(S3IntegrationTest, ListingPaginatesPastAThousandKeysAndBatchDeleteClearsThem) {
  auto store = ServerStore();
  const std::string prefix = FreshPrefix("pages");
  constexpr int kKeys = 1100;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(prefix + "/" + (i % 2 ? "odd/" : "even/") + std::to_string(100000 + i));
  }
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&] {
      for (size_t i = next++; i < keys.size(); i = next++) {
        if (!store->Put(keys[i], "x", PutOptions()).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : writers) t.join();
  ASSERT_EQ(failures.load(), 0);

  Result<ListResult> all = store->List(prefix + "/", "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->objects.size(), static_cast<size_t>(kKeys));
  for (size_t i = 1; i < all->objects.size(); ++i) {
    ASSERT_LT(all->objects[i - 1].key, all->objects[i].key) << "not sorted at " << i;
  }
  Result<ListResult> folded = store->List(prefix + "/", "/");
  ASSERT_TRUE(folded.ok());
  EXPECT_TRUE(folded->objects.empty());
  EXPECT_EQ(folded->common_prefixes,
            (std::vector<std::string>{prefix + "/even/", prefix + "/odd/"}));

  ASSERT_TRUE(store->Delete(keys).ok());  // two DeleteObjects batches
  Result<ListResult> after = store->List(prefix + "/", "");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->objects.empty());
}

TEST_F(S3IntegrationTest, WrongSecretIsAClearAuthenticationError) {
  S3Config config = ServerConfig();
  config.credentials.secret_access_key = "not-the-secret-xyzzy";
  auto store = ServerStore(config);
  Result<std::string> put = store->Put(FreshPrefix("auth") + "/k", "v", PutOptions());
  ASSERT_FALSE(put.ok());
  EXPECT_FALSE(put.status().retryable());
  const std::string& msg = put.status().message();
  EXPECT_NE(msg.find("403"), std::string::npos) << msg;
  EXPECT_NE(msg.find("SignatureDoesNotMatch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("s3://" + Bucket() + "/tests/auth-"), std::string::npos) << msg;
  EXPECT_NE(msg.find("check the access key"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("xyzzy"), std::string::npos) << "the secret leaked: " << msg;
}

TEST_F(S3IntegrationTest, MissingBucketIsAnErrorNamingIt) {
  Result<std::shared_ptr<ObjectStore>> store = NewS3Store("no-such-bucket-here", ServerConfig());
  ASSERT_TRUE(store.ok());
  Result<std::optional<std::string>> got = (*store)->Get("k");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("no-such-bucket-here"), std::string::npos);
  EXPECT_NE(got.status().message().find("NoSuchBucket"), std::string::npos);
}

// Runs a callback after each Head or Get of `_CURRENT`, to slip a rival
// publisher in between the publisher's read of the pointer and its write.
class RivalStore : public ObjectStore {
 public:
  explicit RivalStore(std::shared_ptr<ObjectStore> base) : base_(std::move(base)) {}
  std::function<void()> after_pointer_read;

  std::string Url(std::string_view key) const override { return base_->Url(key); }
  Result<std::string> Put(std::string_view k, std::string_view d, const PutOptions& o) override {
    return base_->Put(k, d, o);
  }
  Result<std::string> PutFile(std::string_view k, const std::string& p,
                              const PutOptions& o) override {
    return base_->PutFile(k, p, o);
  }
  Result<std::optional<std::string>> Get(std::string_view k) override {
    auto r = base_->Get(k);
    Fire(k);
    return r;
  }
  Result<bool> GetToFile(std::string_view k, const std::string& p) override {
    return base_->GetToFile(k, p);
  }
  Result<std::optional<std::string>> GetRange(std::string_view k, uint64_t o, uint64_t n) override {
    return base_->GetRange(k, o, n);
  }
  Result<std::optional<ObjectInfo>> Head(std::string_view k) override {
    auto r = base_->Head(k);
    Fire(k);
    return r;
  }
  Result<ListResult> List(std::string_view p, std::string_view d) override {
    return base_->List(p, d);
  }
  Status Delete(const std::vector<std::string>& keys) override { return base_->Delete(keys); }

 private:
  void Fire(std::string_view key) {
    if (key.ends_with("/_CURRENT") && after_pointer_read) {
      auto f = std::move(after_pointer_read);
      after_pointer_read = nullptr;
      f();
    }
  }
  std::shared_ptr<ObjectStore> base_;
};

Manifest SmallManifest(const std::string& run_id, const std::string& root_url) {
  Manifest m;
  m.meta.run_id = run_id;
  m.meta.num_dbs = 2;
  m.meta.s3_prefix = root_url;
  ShardMeta s;
  s.db_id = 1;
  s.db_url = root_url + "/shards/run_id=" + run_id + "/db=00001/attempt=00";
  s.row_count = 1;
  s.min_key = Key::Int(6);
  s.max_key = Key::Int(6);
  m.shards = {s};
  return m;
}

TEST_F(S3IntegrationTest, ConcurrentCurrentUpdateIsDetectedNotLost) {
  auto store = ServerStore();
  const std::string root = FreshPrefix("publish");
  auto rival_hook = std::make_shared<RivalStore>(store);
  ManifestStore mine(rival_hook, root);
  ManifestStore rival(store, root);
  ASSERT_TRUE(mine.Publish(SmallManifest("run-a", store->Url(root))).ok());

  std::string rival_ref;
  rival_hook->after_pointer_read = [&] {
    Result<std::string> r = rival.Publish(SmallManifest("run-b", store->Url(root)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    rival_ref = *r;
  };
  Result<std::string> lost = mine.Publish(SmallManifest("run-c", store->Url(root)));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), ErrorCode::kPublishCurrent);
  ASSERT_TRUE(lost.status().manifest_ref().has_value());
  EXPECT_NE(lost.status().manifest_ref()->find("run_id=run-c"), std::string::npos);
  ASSERT_FALSE(rival_ref.empty());
  Result<std::optional<CurrentPointer>> current = mine.LoadCurrent();
  ASSERT_TRUE(current.ok() && current->has_value());
  EXPECT_EQ((*current)->manifest_ref, rival_ref) << "the rival's switch must survive";

  PublishOptions force;
  force.force_last_writer_wins = true;
  Result<std::string> forced = mine.Publish(SmallManifest("run-d", store->Url(root)), force);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ((*mine.LoadCurrent())->manifest_ref, *forced);
}

// Builds a snapshot of `n` int keys under `prefix_url` in `store`.
// `factory` null: the default backend (SlateDB, direct mode).
Result<BuildResult> BuildSnapshot(const std::shared_ptr<ObjectStore>& store,
                                  const std::string& prefix_url, int64_t n,
                                  const std::string& local_root,
                                  std::shared_ptr<ShardWriterFactory> factory = nullptr,
                                  uint64_t batch_size = 5000) {
  HashShardedWriteConfig config;
  config.adapter_factory = std::move(factory);
  config.s3_prefix = prefix_url;
  config.store = store;
  config.num_dbs = 4;
  config.batch_size = batch_size;
  config.local_root = local_root;
  std::vector<int64_t> keys(n);
  for (int64_t i = 0; i < n; ++i) keys[i] = i * 7919;
  return WriteHashSharded(keys, config,
                          RecordInput{[](int64_t k) { return k; },
                                      [](int64_t k) { return "value-" + std::to_string(k); }});
}

void ExpectSnapshotReads(const std::shared_ptr<ObjectStore>& store, const std::string& prefix_url,
                         int64_t n, const std::string& cache) {
  ReaderOptions ro;
  ro.store = store;
  ro.local_root = cache;
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_url, ro);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  for (int64_t i = 0; i < n; i += 97) {
    Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i * 7919));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    ASSERT_TRUE(v->has_value()) << "key " << i * 7919;
    EXPECT_EQ(**v, "value-" + std::to_string(i * 7919));
  }
  Result<std::optional<std::string>> miss = (*reader)->Get(Key::Int(1));
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
}

TEST_F(S3IntegrationTest, SnapshotWritePublishReadOnS3) {
  auto store = ServerStore();
  const std::string prefix_url = store->Url(FreshPrefix("snapshot"));
  Result<BuildResult> built = BuildSnapshot(store, prefix_url, 20000, local_ + "/stage");
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(built->stats.rows_written, 20000);
  EXPECT_TRUE(built->manifest_ref.starts_with(prefix_url + "/manifests/")) << built->manifest_ref;
  ExpectSnapshotReads(store, prefix_url, 20000, local_ + "/cache");

  // The same snapshot opened from the URL alone, configured by the environment.
  ReaderOptions ro;
  ro.local_root = local_ + "/cache2";
  setenv("AWS_ENDPOINT_URL", Env("SHARDY_TEST_S3_ENDPOINT").c_str(), 1);
  Result<std::unique_ptr<ShardedReader>> by_url = ShardedReader::Open(prefix_url, ro);
  unsetenv("AWS_ENDPOINT_URL");
  ASSERT_TRUE(by_url.ok()) << by_url.status().ToString();
  Result<std::optional<std::string>> v = (*by_url)->Get(Key::Int(7919));
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(**v, "value-7919");
}

// Every backend on S3: the objects each writes, and lookups through the
// sharded reader (SlateDB shards are read by ranged GETs, never downloaded).
TEST_F(S3IntegrationTest, EveryBackendWritesAndReadsOnS3) {
  // Each cold SlateDB lookup is a ranged GET (about 30 ms against the test
  // server), so the snapshot is kept small.
  constexpr int64_t kRows = 8000;
  auto store = ServerStore();
  SlateDbWriterOptions local;
  local.mode = SlateDbWriteMode::kLocal;
  local.compression = SlateDbCompression::kLz4;
  SlateDbWriterOptions small_l0s;
  small_l0s.l0_sst_size_bytes = 16 << 10;  // several L0 SSTs per shard, uploaded as they fill
  const struct {
    const char* name;
    std::shared_ptr<ShardWriterFactory> factory;
    const char* object;  // every attempt holds it
  } cases[] = {
      {"slatedb-direct", NewSlateDbWriterFactory(small_l0s),
       "manifest/00000000000000000001.manifest"},
      {"slatedb-local", NewSlateDbWriterFactory(local), "manifest/00000000000000000001.manifest"},
      {"sqlite", NewSqliteWriterFactory(), "shard.db"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string key = FreshPrefix(c.name);
    const std::string prefix_url = store->Url(key);
    Result<BuildResult> built =
        BuildSnapshot(store, prefix_url, kRows, local_ + "/stage-" + c.name, c.factory, 500);
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    for (const ShardMeta& w : built->winners) {
      const std::string db_key = w.db_url->substr(store->Url("").size());
      Result<std::optional<ObjectInfo>> head = store->Head(db_key + "/" + c.object);
      ASSERT_TRUE(head.ok() && head->has_value()) << *w.db_url << " lacks " << c.object;
    }
    if (std::string(c.name) == "slatedb-direct") {
      Result<ListResult> ssts =
          store->List(built->winners[0].db_url->substr(store->Url("").size()) + "/compacted/", "");
      ASSERT_TRUE(ssts.ok());
      EXPECT_GT(ssts->objects.size(), 1u);
    }
    ExpectSnapshotReads(store, prefix_url, kRows, local_ + "/cache-" + c.name);
  }
}

// A fault proxy in front of the server, and a store that talks through it
// without waiting between retries (to keep the tests fast).
struct ProxiedStore {
  std::unique_ptr<FakeClock> clock = std::make_unique<FakeClock>();  // outlives `store`
  std::unique_ptr<testing_s3::FaultProxy> proxy;
  std::shared_ptr<ObjectStore> store;
};

ProxiedStore StartProxiedStore(int max_attempts = 6) {
  const std::string endpoint = Env("SHARDY_TEST_S3_ENDPOINT");
  Result<std::unique_ptr<testing_s3::FaultProxy>> proxy = testing_s3::FaultProxy::Start(
      "127.0.0.1", std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
  EXPECT_TRUE(proxy.ok()) << proxy.status().ToString();
  if (!proxy.ok()) return {};
  S3Config config = ServerConfig();
  config.options.endpoint_url = "http://127.0.0.1:" + std::to_string((*proxy)->port());
  config.options.max_attempts = max_attempts;
  ProxiedStore out;
  out.proxy = std::move(proxy).value();
  out.store = ServerStore(config);
  auto* s3_store = dynamic_cast<s3::S3Store*>(out.store.get());
  EXPECT_NE(s3_store, nullptr);
  if (s3_store) s3_store->set_clock_for_testing(out.clock.get());
  return out;
}

TEST_F(S3IntegrationTest, TransientFailuresAreRetriedAndTheBuildSucceeds) {
  ProxiedStore p = StartProxiedStore();
  ASSERT_TRUE(p.proxy && p.store);
  auto& proxy = p.proxy;
  auto& store = p.store;

  const std::string prefix_url = store->Url(FreshPrefix("flaky"));
  proxy->FailNext(2, 503);
  proxy->DropNext(1);
  proxy->FailNext(1, 500);
  proxy->DelayNext(2, std::chrono::milliseconds(200));
  Result<BuildResult> built = BuildSnapshot(store, prefix_url, 5000, local_ + "/stage");
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_GE(proxy->faults_injected(), 6);
  proxy->FailNext(1, 503);
  proxy->DropNext(1);
  ExpectSnapshotReads(store, prefix_url, 5000, local_ + "/cache");
  EXPECT_GE(proxy->faults_injected(), 8);
}

TEST_F(S3IntegrationTest, PersistentServerErrorsFailTheBuildAndPublishNothing) {
  ProxiedStore p = StartProxiedStore(/*max_attempts=*/3);
  ASSERT_TRUE(p.proxy && p.store);
  auto& proxy = p.proxy;
  auto& store = p.store;

  const std::string root = FreshPrefix("dying");
  proxy->FailNext(1000000, 503);  // the store is down for good
  Result<BuildResult> built = BuildSnapshot(store, store->Url(root), 2000, local_ + "/stage");
  ASSERT_FALSE(built.ok());
  EXPECT_NE(built.status().message().find("503"), std::string::npos) << built.status().ToString();

  auto direct = ServerStore();
  Result<std::optional<ObjectInfo>> current = direct->Head(root + "/_CURRENT");
  ASSERT_TRUE(current.ok());
  EXPECT_FALSE(current->has_value()) << "a failed build must not publish";
}

// Parallel mode on S3 with shard retries: an upload of shard 1's first
// attempt fails for good (a retryable error the S3 client gave up on), so
// the shard is rewritten from its spool into attempt=01; the build publishes,
// every key reads back from S3, and nothing of attempt=00 is left there.
TEST_F(S3IntegrationTest, ParallelBuildRetriesAShardOnS3) {
  auto s3 = ServerStore();
  auto store = std::make_shared<FaultInjectingStore>(s3);
  FaultRule rule;
  rule.op = StoreOp::kPutFile;
  rule.key_contains = "db=00001/attempt=00/";
  rule.error =
      Status(ErrorCode::kStorage, "injected: 503 SlowDown after the client's retries", true);
  store->AddRule(rule);
  const std::string root = FreshPrefix("parallel-retry");
  HashShardedWriteConfig config;
  config.s3_prefix = store->Url(root);
  config.store = store;
  config.num_dbs = 4;
  config.batch_size = 1000;
  config.local_root = local_ + "/stage";
  config.shard_retry = RetryConfig{2, 0.01, 2.0};
  WriteOptions options;
  options.parallel = true;
  options.workers = 3;
  std::vector<int64_t> keys(20000);
  for (int64_t i = 0; i < 20000; ++i) keys[i] = i * 7919;
  Result<BuildResult> built =
      WriteHashSharded(keys, config,
                       RecordInput{[](int64_t k) { return k; },
                                   [](int64_t k) { return "value-" + std::to_string(k); }},
                       options);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_GE(store->FaultsInjected(), 1);
  ASSERT_EQ(built->winners.size(), 4u);
  EXPECT_EQ(built->winners[1].attempt, 1);
  ExpectSnapshotReads(s3, s3->Url(root), 20000, local_ + "/cache");
  Result<ListResult> listed = s3->List(root + "/shards/", "");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  int attempt1 = 0;
  for (const ObjectInfo& o : listed->objects) {
    EXPECT_EQ(o.key.find("db=00001/attempt=00/"), std::string::npos) << o.key;
    attempt1 += o.key.find("db=00001/attempt=01/") != std::string::npos;
  }
  EXPECT_GT(attempt1, 0);
}

TEST_F(S3IntegrationTest, ShardyBuildAndReadCommandsOnS3) {
  std::string input;
  for (int i = 1; i <= 300; ++i) {
    input += "{\"id\":" + std::to_string(i) + ",\"name\":\"n" + std::to_string(i) + "\"}\n";
  }
  const std::string prefix = "s3://" + Bucket() + "/" + FreshPrefix("cli");
  const std::string endpoint_option = "endpoint_url=" + Env("SHARDY_TEST_S3_ENDPOINT");
  // Credentials come from a profile; the environment holds none.
  const std::string creds = WriteLocal(
      "credentials.toml", "[rgw]\naccess_key_id = \"" + Env("AWS_ACCESS_KEY_ID") +
                              "\"\nsecret_access_key = \"" + Env("AWS_SECRET_ACCESS_KEY") + "\"\n");
  std::filesystem::permissions(
      creds, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  cli::ShardyEnvironment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/nonexistent");
    return std::nullopt;
  };
  auto run = [&](std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), "shardy");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    std::istringstream in(stdin_text);
    std::ostringstream out, err;
    const int code = cli::RunShardy(static_cast<int>(argv.size()), argv.data(), in, out, err, env);
    return std::make_tuple(code, out.str(), err.str());
  };
  auto [code, out, err] = run({"build",
                               "--input",
                               "-",
                               "--format",
                               "jsonl",
                               "--key-field",
                               "id",
                               "--key-type",
                               "int",
                               "--num-dbs",
                               "3",
                               "--prefix",
                               prefix,
                               "--local-root",
                               local_ + "/stage",
                               "--s3-option",
                               endpoint_option,
                               "--s3-option",
                               "addressing_style=path",
                               "--credentials",
                               creds,
                               "--profile",
                               "rgw"},
                              input);
  ASSERT_EQ(code, 0) << err;
  EXPECT_NE(out.find("\"rows_written\":300"), std::string::npos) << out;

  const std::vector<std::string> global = {"--current-url",    prefix + "/_CURRENT",
                                           "--local-root",     local_ + "/cache",
                                           "--s3-option",      endpoint_option,
                                           "--credentials",    creds,
                                           "--profile",        "rgw",
                                           "--value-encoding", "utf8",
                                           "--output-format",  "text"};
  auto read = [&](std::vector<std::string> cmd) {
    std::vector<std::string> args = global;
    args.insert(args.end(), cmd.begin(), cmd.end());
    return run(args);
  };
  auto [gcode, gout, gerr] = read({"get", "42"});
  ASSERT_EQ(gcode, 0) << gerr;
  EXPECT_EQ(gout, "{\"id\":42,\"name\":\"n42\"}\n");
  auto [hcode, hout, herr] = read({"history"});
  ASSERT_EQ(hcode, 0) << herr;
  EXPECT_NE(hout.find(prefix + "/manifests/"), std::string::npos) << hout;
  auto [icode, iout, ierr] = read({"info"});
  EXPECT_EQ(icode, 0) << ierr;

  // Without the profile there are no credentials: a clear 403, exit 1.
  auto [acode, aout, aerr] = run({"--current-url", prefix + "/_CURRENT", "--local-root",
                                  local_ + "/cache3", "--s3-option", endpoint_option, "get", "42"});
  EXPECT_EQ(acode, 1);
  EXPECT_NE(aerr.find("403"), std::string::npos) << aerr;
}

// A build onto the server killed with SIGKILL (in a child process) after a
// checkpoint resumes: the L0 SSTs the killed process uploaded after its
// checkpoint are deleted, and the snapshot reads back whole.
TEST_F(S3IntegrationTest, AKilledBuildResumesOnS3) {
  constexpr int64_t kRows = 20000;
  const std::string prefix = FreshPrefix("resume");
  auto value = [](int64_t k) { return "value-" + std::to_string(k) + std::string(200, 'x'); };
  auto config = [&](const std::shared_ptr<ObjectStore>& store) {
    HashShardedWriteConfig c;
    SlateDbWriterOptions small_l0s;
    small_l0s.l0_sst_size_bytes = 32 << 10;  // L0s uploaded every few hundred records
    c.adapter_factory = NewSlateDbWriterFactory(small_l0s);
    c.s3_prefix = store->Url(prefix);
    c.store = store;
    c.num_dbs = 4;
    c.batch_size = 500;
    c.run_id = "resumed";
    c.local_root = local_ + "/stage";
    c.checkpoint.every_records = 4000;
    return c;
  };
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto store = ServerStore();
    HashShardedWriteConfig c = config(store);
    int64_t next = 0;
    c.checkpoint.input_position = [&next] { return std::to_string(next); };
    Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(c);
    if (!w.ok()) ::_exit(3);
    for (; next < kRows; ++next) {
      if (next == 14500) ::raise(SIGKILL);
      if (!(*w)->Add(Key::Int(next * 7919), value(next * 7919)).ok()) ::_exit(4);
    }
    ::_exit(5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

  auto store = ServerStore();
  const std::string run_prefix = prefix + "/shards/run_id=resumed/";
  Result<ListResult> before = store->List(run_prefix, "");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_FALSE(before->objects.empty()) << "the killed build uploaded L0s";

  HashShardedWriteConfig c = config(store);
  c.resume = true;
  int64_t next = 0;
  c.checkpoint.input_position = [&next] { return std::to_string(next); };
  Result<std::unique_ptr<HashShardedWriter>> w = HashShardedWriter::Open(c);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->resume_position().has_value());
  next = std::stoll(*(*w)->resume_position());
  EXPECT_TRUE(next == 12000 || next == 8000) << next;
  for (; next < kRows; ++next)
    ASSERT_TRUE((*w)->Add(Key::Int(next * 7919), value(next * 7919)).ok());
  Result<BuildResult> r = (*w)->Finish();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->stats.rows_written, kRows);

  ReaderOptions ro;
  ro.store = store;
  ro.local_root = local_ + "/cache";
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(store->Url(prefix), ro);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  for (int64_t i = 0; i < kRows; i += 89) {
    Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i * 7919));
    ASSERT_TRUE(v.ok() && v->has_value()) << i;
    EXPECT_EQ(**v, value(i * 7919));
  }
  // Exactly what the shards' SlateDB manifests name is left: the L0s
  // uploaded after the checkpoint were deleted by the resume.
  std::set<std::string> named;
  for (const ShardMeta& m : r->winners) {
    const std::string db_key = m.db_url->substr(store->Url("").size());
    const std::string manifest_key = db_key + "/" + slatedb::ManifestName(1);
    Result<std::optional<std::string>> bytes = store->Get(manifest_key);
    ASSERT_TRUE(bytes.ok() && bytes->has_value()) << manifest_key;
    Result<slatedb::DbManifest> manifest = slatedb::DecodeManifest(**bytes, manifest_key);
    ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
    named.insert(manifest_key);
    for (const slatedb::SstHandle& h : manifest->l0) {
      named.insert(db_key + "/" + slatedb::CompactedName(h.id));
    }
  }
  Result<ListResult> after = store->List(run_prefix, "");
  ASSERT_TRUE(after.ok());
  std::set<std::string> left;
  for (const ObjectInfo& o : after->objects) left.insert(o.key);
  EXPECT_EQ(left, named);
  size_t strays = 0;  // uploaded by the killed build after its checkpoint
  for (const ObjectInfo& o : before->objects) strays += !named.contains(o.key);
  EXPECT_GT(strays, 0u) << "the kill came after uploads the checkpoint does not name";
}

// Cleanup on the server, every rule at once: a rollback made r2 current,
// --keep-last 1 keeps r3; r1 goes with its manifest and record, r2's losing
// attempt goes, a dead unpublished run goes, a live build stays.
TEST_F(S3IntegrationTest, CleanupKeepsWhatIsReferencedOrLiveOnS3) {
  auto store = ServerStore();
  const std::string prefix = FreshPrefix("cleanup");
  const std::string url = store->Url(prefix);
  for (const char* run : {"r1", "r2", "r3"}) {
    HashShardedWriteConfig c;
    c.s3_prefix = url;
    c.store = store;
    c.num_dbs = 2;
    c.run_id = run;
    c.local_root = local_ + "/stage";
    std::vector<int64_t> keys(300);
    for (int64_t i = 0; i < 300; ++i) keys[i] = i;
    ASSERT_TRUE(WriteHashSharded(
                    keys, c,
                    RecordInput{[](int64_t k) { return k; },
                                [run](int64_t k) { return std::string(run) + std::to_string(k); }})
                    .ok());
  }
  ManifestStore manifests(store, prefix);
  ASSERT_TRUE(manifests.SetCurrent((*manifests.ListManifests(3))[1].ref).ok());
  auto put = [&](const std::string& rel, const std::string& data = "x") {
    ASSERT_TRUE(store->Put(prefix + "/" + rel, data, {}).ok());
  };
  auto record = [&](const std::string& run, RunRecord::State state,
                    std::chrono::system_clock::time_point at) {
    const auto [key, yaml] = RunRecordObjectForTest(run, state, at);
    put(key, yaml);
  };
  const auto now = std::chrono::system_clock::now();
  put("shards/run_id=r2/db=00000/attempt=01/compacted/LOSER.sst");
  record("dead", RunRecord::State::kFailed, now);
  put("shards/run_id=dead/db=00000/attempt=00/compacted/A.sst");
  record("live", RunRecord::State::kRunning, now + std::chrono::hours(48));
  put("shards/run_id=live/db=00000/attempt=00/compacted/B.sst");

  CleanupOptions o;
  o.s3_prefix = url;
  o.store = store;
  o.keep_last = 1;
  const auto later = now + std::chrono::hours(48);
  o.now = [later] { return later; };
  Result<CleanupReport> r = CleanupSnapshot(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto count = [&](const std::string& rel) {
    Result<ListResult> l = store->List(prefix + "/" + rel, "");
    EXPECT_TRUE(l.ok());
    return l.ok() ? l->objects.size() : 0;
  };
  EXPECT_EQ(count("shards/run_id=r1/"), 0u);
  EXPECT_GT(count("shards/run_id=r2/"), 0u);
  EXPECT_GT(count("shards/run_id=r3/"), 0u);
  EXPECT_EQ(count("shards/run_id=r2/db=00000/attempt=01/"), 0u);
  EXPECT_EQ(count("shards/run_id=dead/"), 0u);
  EXPECT_EQ(count("shards/run_id=live/"), 1u);
  EXPECT_EQ((*manifests.ListManifests(10)).size(), 2u);
  EXPECT_EQ((*manifests.LoadCurrent())->run_id, "r2");
  ReaderOptions ro;
  ro.store = store;
  ro.local_root = local_ + "/cache";
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(url, ro);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  for (int64_t i = 0; i < 300; i += 17) {
    Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i));
    ASSERT_TRUE(v.ok() && v->has_value()) << i;
    EXPECT_EQ(**v, "r2" + std::to_string(i));
  }
}

}  // namespace
}  // namespace shardyfusion
