// End-to-end: the real writer with SQLite shards on a local directory, read
// back through the sharded reader.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <ranges>
#include <thread>

#include "core/metrics_testing.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"

namespace shardyfusion {
namespace {

std::string ValueFor(int64_t i) {
  return "value-" + std::to_string(i * 31) + std::string(i % 7, 'x');
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/e2e_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    prefix_ = "file://" + dir_ + "/snapshot";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  HashShardedWriteConfig Config(uint32_t num_dbs) {
    HashShardedWriteConfig c;
    c.s3_prefix = prefix_;
    c.num_dbs = num_dbs;
    c.local_root = dir_ + "/staging";
    c.adapter_factory = NewSqliteWriterFactory();
    return c;
  }
  ReaderOptions ReadOpts() {
    ReaderOptions o;
    o.local_root = dir_ + "/cache";
    return o;
  }

  std::string dir_;
  std::string prefix_;
};

TEST_F(EndToEndTest, MillionRecordsEveryKeyReadsBack) {
  constexpr int64_t kN = 1000000;
  std::vector<int64_t> order(kN);
  for (int64_t i = 0; i < kN; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  HashShardedWriteConfig config = Config(8);
  Result<BuildResult> r =
      WriteHashSharded(order, config, RecordInput{[](int64_t i) { return i; }, ValueFor});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->stats.rows_written, kN);
  EXPECT_EQ(r->winners.size(), 8u);

  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, ReadOpts());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->snapshot_info().row_count, kN);
  EXPECT_EQ((*reader)->snapshot_info().manifest_ref, r->manifest_ref);
  int64_t mismatches = 0;
  for (int64_t i = 0; i < kN; ++i) {
    Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    if (!v->has_value() || **v != ValueFor(i)) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0);
  Result<std::optional<std::string>> miss = (*reader)->Get(Key::Int(kN + 5));
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  // Staging is gone after a successful build.
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/staging/run_id=" + r->run_id));
}

TEST_F(EndToEndTest, DuplicateKeysLastValueWins) {
  std::vector<std::pair<std::string, std::string>> recs;
  for (int round = 0; round < 5; ++round) {
    for (int k = 0; k < 300; ++k)
      recs.emplace_back("k" + std::to_string(k), "r" + std::to_string(round));
  }
  HashShardedWriteConfig config = Config(3);
  config.key_encoding = KeyEncoding::kUtf8;
  config.batch_size = 64;  // duplicates land in different batches
  Result<BuildResult> r =
      WriteHashSharded(recs, config,
                       RecordInput{[](const auto& p) { return Key::Str(p.first); },
                                   [](const auto& p) { return p.second; }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->stats.rows_written, 1500);
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, ReadOpts());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  for (int k = 0; k < 300; ++k) {
    Result<std::optional<std::string>> v = (*reader)->Get(Key::Str("k" + std::to_string(k)));
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(v->has_value()) << k;
    EXPECT_EQ(**v, "r4");
  }
}

TEST_F(EndToEndTest, EmptyShardsAnswerMissWithoutIo) {
  HashShardedWriteConfig config = Config(64);
  std::vector<int64_t> keys = {10, 20, 30};
  Result<BuildResult> r =
      WriteHashSharded(keys, config, RecordInput{[](int64_t i) { return i; }, ValueFor});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, ReadOpts());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const std::vector<ShardDetail> details = (*reader)->shard_details();
  ASSERT_EQ(details.size(), 64u);
  int non_empty = 0;
  for (const ShardDetail& d : details) non_empty += d.db_url.has_value();
  EXPECT_EQ(non_empty, static_cast<int>(r->winners.size()));
  Result<std::vector<std::optional<std::string>>> got =
      (*reader)->MultiGet({Key::Int(10), Key::Int(11), Key::Int(30)});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0], ValueFor(10));
  EXPECT_FALSE((*got)[1].has_value());
  EXPECT_EQ((*got)[2], ValueFor(30));
}

TEST_F(EndToEndTest, ReaderFallsBackPastAMalformedManifestAndRefreshKeepsState) {
  HashShardedWriteConfig config = Config(2);
  std::vector<int64_t> keys = {1, 2, 3};
  Result<BuildResult> first =
      WriteHashSharded(keys, config, RecordInput{[](int64_t i) { return i; }, ValueFor});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, ReadOpts());
  ASSERT_TRUE(reader.ok());

  std::vector<int64_t> more = {1, 2, 3, 4};
  Result<BuildResult> second =
      WriteHashSharded(more, config, RecordInput{[](int64_t i) { return i; }, ValueFor});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  // Corrupt the second manifest in place.
  Result<StoreLocation> loc = OpenStoreForUrl(second->manifest_ref);
  ASSERT_TRUE(loc.ok());
  ASSERT_TRUE(loc->store->Put(loc->key, "this is not a sqlite file", {}).ok());

  // Refresh sees a malformed new manifest: keeps the first snapshot.
  Result<bool> changed = (*reader)->Refresh();
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_FALSE(*changed);
  EXPECT_EQ((*reader)->snapshot_info().manifest_ref, first->manifest_ref);

  // A cold start falls back to the first manifest.
  Result<std::unique_ptr<ShardedReader>> cold = ShardedReader::Open(prefix_, ReadOpts());
  ASSERT_TRUE(cold.ok()) << cold.status().ToString();
  EXPECT_EQ((*cold)->snapshot_info().manifest_ref, first->manifest_ref);
  Result<std::optional<std::string>> v = (*cold)->Get(Key::Int(2));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, ValueFor(2));

  // Without fallback the cold start is an error.
  ReaderOptions strict = ReadOpts();
  strict.max_fallback_attempts = 0;
  Result<std::unique_ptr<ShardedReader>> none = ShardedReader::Open(prefix_, strict);
  EXPECT_EQ(none.status().code(), ErrorCode::kManifestParse);
}

TEST_F(EndToEndTest, RefreshSwitchesToTheNewSnapshot) {
  HashShardedWriteConfig config = Config(4);
  std::vector<int64_t> keys = {1, 2, 3};
  ASSERT_TRUE(
      WriteHashSharded(keys, config, RecordInput{[](int64_t i) { return i; }, ValueFor}).ok());
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, ReadOpts());
  ASSERT_TRUE(reader.ok());
  Result<bool> unchanged = (*reader)->Refresh();
  ASSERT_TRUE(unchanged.ok());
  EXPECT_FALSE(*unchanged);

  std::vector<int64_t> keys2 = {7, 8};
  Result<BuildResult> second = WriteHashSharded(
      keys2, config,
      RecordInput{[](int64_t i) { return i; }, [](int64_t) { return std::string("new"); }});
  ASSERT_TRUE(second.ok());
  Result<bool> changed = (*reader)->Refresh();
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(*(*reader)->Get(Key::Int(7)), std::optional<std::string>("new"));
  EXPECT_FALSE((*reader)->Get(Key::Int(1))->has_value());
}

// The default backend (SlateDB) in both modes, shuffled input with
// duplicates, several SSTs per shard: every key's last value reads back.
TEST_F(EndToEndTest, SlateDbShardsEveryKeyReadsBack) {
  constexpr int64_t kN = 200000;
  std::vector<int64_t> order(kN + kN / 4);
  for (int64_t i = 0; i < kN; ++i) order[i] = i;
  for (int64_t i = kN; i < static_cast<int64_t>(order.size()); ++i) order[i] = (i * 7) % kN;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(11));
  std::vector<int64_t> last_pos(kN);
  for (size_t p = 0; p < order.size(); ++p) last_pos[order[p]] = static_cast<int64_t>(p);
  for (SlateDbWriteMode mode : {SlateDbWriteMode::kDirect, SlateDbWriteMode::kLocal}) {
    HashShardedWriteConfig config = Config(4);
    SlateDbWriterOptions o;
    o.mode = mode;
    o.l0_sst_size_bytes = 256 << 10;
    o.max_sst_size_bytes = 256 << 10;
    config.adapter_factory = NewSlateDbWriterFactory(o);
    config.batch_size = 10000;
    // Each record's value names its position, so the last one is known.
    size_t pos = 0;
    Result<BuildResult> r =
        WriteHashSharded(order, config,
                         RecordInput{[](int64_t i) { return i; },
                                     [&pos](int64_t) { return "pos-" + std::to_string(pos++); }});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, ReadOpts());
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->snapshot_info().backend, "slatedb");
    int64_t mismatches = 0;
    for (int64_t i = 0; i < kN; ++i) {
      Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i));
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      if (!v->has_value() || **v != "pos-" + std::to_string(last_pos[i])) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_FALSE((*reader)->Get(Key::Int(kN))->has_value());
  }
}

// A reader opened on a SQLite snapshot follows a refresh to a SlateDB one
// (and back): the backend is chosen per snapshot.
TEST_F(EndToEndTest, RefreshAcrossBackends) {
  HashShardedWriteConfig config = Config(3);
  std::vector<int64_t> keys = {1, 2, 3};
  ASSERT_TRUE(
      WriteHashSharded(keys, config, RecordInput{[](int64_t i) { return i; }, ValueFor}).ok());
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, ReadOpts());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->snapshot_info().backend, "sqlite");
  for (const char* backend : {"slatedb", "sqlite"}) {
    config.adapter_factory = std::string(backend) == "slatedb"
                                 ? NewSlateDbWriterFactory()
                                 : std::shared_ptr<ShardWriterFactory>(NewSqliteWriterFactory());
    Result<BuildResult> next =
        WriteHashSharded(keys, config,
                         RecordInput{[](int64_t i) { return i; },
                                     [backend](int64_t) { return std::string(backend); }});
    ASSERT_TRUE(next.ok());
    Result<bool> changed = (*reader)->Refresh();
    ASSERT_TRUE(changed.ok()) << changed.status().ToString();
    EXPECT_TRUE(*changed);
    EXPECT_EQ((*reader)->snapshot_info().backend, backend);
    EXPECT_EQ(*(*reader)->Get(Key::Int(2)), std::optional<std::string>(backend));
  }
}

TEST_F(EndToEndTest, ReaderWithoutPublishedSnapshotSaysSo) {
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, ReadOpts());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kReaderState);
  EXPECT_NE(reader.status().message().find("_CURRENT"), std::string::npos);
}

// Three threads look keys up while the snapshot is rewritten and refreshed
// three times; every lookup must find its value. tools/tsan/run.sh runs this
// under ThreadSanitizer.
void LookUpWhileRefreshing(const HashShardedWriteConfig& config, const std::string& prefix,
                           const ReaderOptions& options) {
  std::vector<int64_t> keys(2000);
  for (int i = 0; i < 2000; ++i) keys[i] = i;
  ASSERT_TRUE(
      WriteHashSharded(keys, config, RecordInput{[](int64_t i) { return i; }, ValueFor}).ok());
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix, options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> wrong{0}, lookups{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t n = 0; !stop.load() && n < 200000; ++n) {
        const int64_t i = (t + 7 * n) % 2000;
        Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i));
        // Every snapshot published here holds the same values for these keys.
        if (!v.ok() || !v->has_value() || **v != ValueFor(i)) ++wrong;
        ++lookups;
      }
    });
  }
  for (int round = 0; round < 3; ++round) {
    // EXPECT, not ASSERT: the lookup threads must be joined whatever happens.
    EXPECT_TRUE(
        WriteHashSharded(keys, config, RecordInput{[](int64_t i) { return i; }, ValueFor}).ok());
    Result<bool> changed = (*reader)->Refresh();
    EXPECT_TRUE(changed.ok() && *changed) << changed.status().ToString();
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(lookups.load(), 0);
}

TEST_F(EndToEndTest, LookupsRunConcurrentlyWithRefresh) {
  LookUpWhileRefreshing(Config(4), prefix_, ReadOpts());
}

// The same over SlateDB shards built as several small sorted-run SSTs, which
// each shard opens on first use while other lookups run, through the block
// cache the snapshots share.
TEST_F(EndToEndTest, SlateDbLookupsRunConcurrentlyWithRefresh) {
  HashShardedWriteConfig config = Config(4);
  SlateDbWriterOptions o;
  o.mode = SlateDbWriteMode::kLocal;
  o.max_sst_size_bytes = 4 << 10;
  config.adapter_factory = NewSlateDbWriterFactory(o);
  LookUpWhileRefreshing(config, prefix_, ReadOpts());
}

// The reader's metric events reach its collector, and the Prometheus
// collector counts them.
TEST_F(EndToEndTest, ReaderEmitsMetricEvents) {
  auto build = [&](int n) {
    std::vector<int64_t> keys(n);
    for (int i = 0; i < n; ++i) keys[i] = i;
    Result<BuildResult> r = WriteHashSharded(
        keys, Config(3),
        RecordInput{[](int64_t k) { return k; }, [](int64_t k) { return ValueFor(k); }});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  };
  build(100);
  auto prom = std::make_shared<PrometheusCollector>();
  auto names = std::make_shared<RecordingCollector>(prom);
  ReaderOptions o = ReadOpts();
  o.metrics = names;
  {
    Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, o);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    ASSERT_TRUE((*reader)->Get(Key::Int(5)).ok());
    ASSERT_TRUE((*reader)->Get(Key::Int(500)).ok());
    ASSERT_TRUE((*reader)->MultiGet({Key::Int(1), Key::Int(2), Key::Int(3)}).ok());
    ASSERT_TRUE((*reader)->Refresh().ok());
    build(120);
    Result<bool> changed = (*reader)->Refresh();
    ASSERT_TRUE(changed.ok() && *changed);
  }
  const std::vector<std::pair<std::string, std::string>> want = {
      {"reader.initialized", ""},         {"reader.get", "found=1 "},
      {"reader.get", "found=0 "},         {"reader.multi_get", "num_keys=3 "},
      {"reader.refreshed", "changed=0 "}, {"reader.refreshed", "changed=1 "},
      {"reader.closed", "num_handles=0 "}};
  // Each event's name and numbers (durations vary, so they are left out).
  std::vector<std::pair<std::string, std::string>> seen;
  for (const RecordedEvent& e : names->Events()) {
    std::string numbers;
    for (const auto& [k, v] : e.numbers) {
      if (k != "duration_ms") numbers += k + "=" + std::to_string(static_cast<int>(v)) + " ";
    }
    seen.emplace_back(e.name, numbers);
  }
  EXPECT_EQ(seen, want);
  const std::string text = prom->RenderText();
  EXPECT_NE(text.find("shardyfusion_reader_gets_total 2"), std::string::npos) << text;
  EXPECT_NE(text.find("shardyfusion_reader_multi_gets_total 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace shardyfusion
