// The reader's choice of shard reader factory: by the backend the manifest
// records, from ReaderOptions::reader_factories or the built-ins, and by
// probing the shards only when the manifest records none.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/ids.h"
#include "shardyfusion/manifest.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"
#include "storage/fault_store.h"

namespace shardyfusion {
namespace {

// A reader factory that counts the shards it opens.
class CountingReaderFactory : public ShardReaderFactory {
 public:
  explicit CountingReaderFactory(std::shared_ptr<ShardReaderFactory> base)
      : base_(std::move(base)) {}
  std::string name() const override { return base_->name(); }
  Result<std::unique_ptr<ShardReader>> Open(const ShardReaderContext& ctx) override {
    ++opens;
    return base_->Open(ctx);
  }
  std::atomic<int> opens{0};

 private:
  std::shared_ptr<ShardReaderFactory> base_;
};

class ShardedReaderBackendTest : public ::testing::TestWithParam<const char*> {
 protected:
  // Unique per test and process: tests run in parallel processes, and the
  // reader's cache directory follows the prefix.
  void SetUp() override {
    const std::string id = NewUuid4Hex();
    prefix_ = "memory://sharded-reader-" + id + "/snap";
    local_root_ = ::testing::TempDir() + "/sharded_reader_test_" + id;
    store_ = std::make_shared<FaultInjectingStore>(OpenStoreForUrl(prefix_)->store);
  }
  void TearDown() override { std::filesystem::remove_all(local_root_); }

  std::string backend() const { return GetParam(); }

  // Publishes keys 0..29 over 3 shards with this test's backend; values name
  // the build.
  void Write(const std::string& tag, uint32_t num_dbs = 3) {
    HashShardedWriteConfig c;
    c.s3_prefix = prefix_;
    c.local_root = local_root_ + "/staging";
    c.num_dbs = num_dbs;
    c.adapter_factory = backend() == "slatedb"
                            ? NewSlateDbWriterFactory()
                            : std::shared_ptr<ShardWriterFactory>(NewSqliteWriterFactory());
    std::vector<int64_t> keys;
    for (int64_t i = 0; i < 30; ++i) keys.push_back(i);
    Result<BuildResult> r =
        WriteHashSharded(keys, c,
                         RecordInput{[](int64_t i) { return i; },
                                     [&tag](int64_t i) { return tag + "-" + std::to_string(i); }});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  ManifestStore Manifests() { return ManifestStore(store_->base(), OpenStoreForUrl(prefix_)->key); }

  Manifest CurrentManifest() {
    ManifestStore manifests = Manifests();
    Result<std::optional<CurrentPointer>> current = manifests.LoadCurrent();
    EXPECT_TRUE(current.ok() && current->has_value());
    Result<Manifest> m = manifests.LoadManifest((*current)->manifest_ref);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : Manifest();
  }

  // Publishes the current snapshot again with `custom_json` as its custom
  // object (e.g. as the reference writes it, without shard_backend).
  void RepublishWithCustom(const std::string& custom_json) {
    Manifest m = CurrentManifest();
    m.meta.custom_json = custom_json;
    Result<std::string> ref = Manifests().Publish(std::move(m));
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  }

  ReaderOptions Options() {
    ReaderOptions o;
    o.store = store_;
    o.local_root = local_root_ + "/cache";
    return o;
  }

  // Head calls for a shard's shard.db: how a probe starts (SQLite's readers
  // download it without one, SlateDB's never look for it).
  int ShardDbHeads() const {
    int n = 0;
    for (const StoreCall& c : store_->Calls()) {
      if (c.op == StoreOp::kHead && c.key.ends_with(std::string("/") + kSqliteShardObjectName)) ++n;
    }
    return n;
  }
  // List calls under the shard prefix.
  int ShardLists() const {
    int n = 0;
    for (const StoreCall& c : store_->Calls()) {
      if (c.op == StoreOp::kList && c.key.find("/shards/") != std::string::npos) ++n;
    }
    return n;
  }

  void ExpectReadsBack(ShardedReader& reader, const std::string& tag) {
    for (int64_t i = 0; i < 30; ++i) {
      Result<std::optional<std::string>> v = reader.Get(Key::Int(i));
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      EXPECT_EQ(*v, std::optional<std::string>(tag + "-" + std::to_string(i)));
    }
  }

  std::string prefix_;
  std::string local_root_;
  std::shared_ptr<FaultInjectingStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, ShardedReaderBackendTest, ::testing::Values("sqlite", "slatedb"),
                         [](const auto& info) { return std::string(info.param); });

TEST_P(ShardedReaderBackendTest, TheWriterRecordsItsBackend) {
  Write("a");
  EXPECT_EQ(CurrentManifest().meta.custom_json, "{\"shard_backend\": \"" + backend() + "\"}");
}

// A manifest that names its backend is read with that backend's factory;
// no shard is probed.
TEST_P(ShardedReaderBackendTest, ARecordedBackendIsReadWithoutProbing) {
  Write("a");
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, Options());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->snapshot_info().backend, backend());
  ExpectReadsBack(**reader, "a");
  EXPECT_EQ(ShardDbHeads(), 0);
  if (backend() == "sqlite") {
    EXPECT_EQ(ShardLists(), 0) << "SQLite's reader lists nothing, and neither did a probe";
  }
}

// A manifest without the key (the reference writes none) is probed: its
// first non-empty shard's objects tell the backend.
TEST_P(ShardedReaderBackendTest, AManifestWithoutABackendIsProbed) {
  Write("a");
  RepublishWithCustom("{}");
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, Options());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->snapshot_info().backend, backend());
  ExpectReadsBack(**reader, "a");
  EXPECT_EQ(ShardDbHeads(), 1) << "one probe, of the first non-empty shard";
}

TEST_P(ShardedReaderBackendTest, AnUnknownBackendSaysHowToSupplyAFactory) {
  Write("a");
  RepublishWithCustom(R"({"shard_backend": "rocksdb", "team": "search"})");
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, Options());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kDbAdapter);
  const std::string& message = reader.status().message();
  EXPECT_NE(message.find("written by the shard backend \"rocksdb\""), std::string::npos) << message;
  EXPECT_NE(message.find("ReaderOptions::reader_factories[\"rocksdb\"]"), std::string::npos)
      << message;
  EXPECT_EQ(ShardDbHeads(), 0) << "a recorded name is never second-guessed";

  // Supplied under that name, a factory reads the snapshot.
  ReaderOptions o = Options();
  o.reader_factories["rocksdb"] =
      backend() == "slatedb" ? NewSlateDbReaderFactory() : NewSqliteReaderFactory();
  reader = ShardedReader::Open(prefix_, o);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->snapshot_info().backend, backend()) << "the factory's own name()";
  ExpectReadsBack(**reader, "a");
}

// ReaderOptions::reader_factory reads every snapshot, whatever it records.
TEST_P(ShardedReaderBackendTest, AnOverrideFactoryIgnoresTheRecordedName) {
  Write("a");
  RepublishWithCustom(R"({"shard_backend": "rocksdb"})");
  ReaderOptions o = Options();
  o.reader_factory = backend() == "slatedb" ? NewSlateDbReaderFactory() : NewSqliteReaderFactory();
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, o);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ExpectReadsBack(**reader, "a");
  EXPECT_EQ(ShardDbHeads(), 0);
}

// A registered factory replaces the built-in of its name, for recorded and
// probed snapshots alike, and serves every snapshot across refreshes.
TEST_P(ShardedReaderBackendTest, ARegisteredFactoryReplacesTheBuiltIn) {
  Write("a");
  auto counting = std::make_shared<CountingReaderFactory>(
      backend() == "slatedb" ? NewSlateDbReaderFactory({.block_cache_bytes = 1 << 20})
                             : NewSqliteReaderFactory());
  ReaderOptions o = Options();
  o.reader_factories[backend()] = counting;
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, o);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ExpectReadsBack(**reader, "a");
  const int opened = counting->opens.load();
  EXPECT_EQ(opened, static_cast<int>(CurrentManifest().shards.size()));

  Write("b");
  RepublishWithCustom("{}");
  Result<bool> changed = (*reader)->Refresh();
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(*changed);
  ExpectReadsBack(**reader, "b");
  EXPECT_EQ(counting->opens.load(), 2 * opened);
}

TEST_P(ShardedReaderBackendTest, ABackendThatIsNoNameIsAManifestError) {
  Write("a");
  RepublishWithCustom(R"({"shard_backend": 7})");
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, Options());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kManifestParse);
  EXPECT_NE(reader.status().message().find("custom.shard_backend must name a backend (got 7)"),
            std::string::npos)
      << reader.status().message();
}

TEST_P(ShardedReaderBackendTest, ANullFactoryIsRefused) {
  Write("a");
  ReaderOptions o = Options();
  o.reader_factories[backend()] = nullptr;
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, o);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kInvalidArgument);
}

// Opening reads `_CURRENT` and the manifest and nothing per shard: the same
// store calls for 3 shards as for 30; a lookup opens only
// its own shard. open_shards_eagerly opens them all up front.
TEST_P(ShardedReaderBackendTest, OpeningReadsNothingPerShard) {
  std::vector<size_t> calls;
  for (uint32_t num_dbs : {3u, 30u}) {
    SetUp();
    Write("v", num_dbs);
    auto counting = std::make_shared<CountingReaderFactory>(
        backend() == "slatedb" ? NewSlateDbReaderFactory() : NewSqliteReaderFactory());
    ReaderOptions o = Options();
    o.reader_factory = counting;
    const size_t before = store_->Calls().size();
    Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, o);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    calls.push_back(store_->Calls().size() - before);
    EXPECT_EQ(counting->opens, 0);
    Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(7));
    ASSERT_TRUE(v.ok() && v->has_value()) << v.status().ToString();
    EXPECT_EQ(counting->opens, 1);
    ASSERT_TRUE((*reader)->Get(Key::Int(7)).ok());
    EXPECT_EQ(counting->opens, 1) << "opened once";
    o.open_shards_eagerly = true;
    auto eager = std::make_shared<CountingReaderFactory>(
        backend() == "slatedb" ? NewSlateDbReaderFactory() : NewSqliteReaderFactory());
    o.reader_factory = eager;
    ASSERT_TRUE(ShardedReader::Open(prefix_, o).ok());
    int non_empty = 0;
    for (const ShardMeta& m : CurrentManifest().shards) non_empty += m.row_count > 0;
    EXPECT_EQ(eager->opens, non_empty);
    EXPECT_GT(non_empty, static_cast<int>(num_dbs) / 2);
  }
  EXPECT_EQ(calls[0], calls[1]) << "open costs the same for 3 and 30 shards";
  EXPECT_LE(calls[0], 3u);
}

// A shard that cannot be opened fails the lookups that need it, not the
// open, and is tried again on the next lookup.
TEST_P(ShardedReaderBackendTest, AShardThatCannotOpenFailsItsLookupsOnly) {
  Write("v");
  for (StoreOp op : {StoreOp::kGet, StoreOp::kGetToFile, StoreOp::kGetRange}) {
    FaultRule rule;
    rule.op = op;
    rule.key_contains = "db=00001";
    rule.error = Status(ErrorCode::kStorage, "injected");
    store_->AddRule(rule);
  }
  Result<std::unique_ptr<ShardedReader>> reader = ShardedReader::Open(prefix_, Options());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  int failed = 0;
  for (int64_t i = 0; i < 30; ++i) {
    Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i));
    if (v.ok()) {
      EXPECT_EQ(*v, std::optional<std::string>("v-" + std::to_string(i)));
      continue;
    }
    ++failed;
    EXPECT_NE(v.status().message().find("db_id=1"), std::string::npos) << v.status().ToString();
  }
  EXPECT_GT(failed, 0);
  store_->ClearRules();
  ExpectReadsBack(**reader, "v");
}

}  // namespace
}  // namespace shardyfusion
