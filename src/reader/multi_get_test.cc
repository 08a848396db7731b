// ShardedReader::MultiGet: keys grouped by shard and the shards read on
// ReaderOptions::lookup_threads threads; results in input order whatever
// the threads, and a failing shard's error (the lowest db_id's) fails the call.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"

namespace shardyfusion {
namespace {

constexpr int64_t kKeys = 4000;
constexpr int kShards = 8;

std::string ValueOf(int64_t k) { return "value-" + std::to_string(k); }

// Wraps a backend's shard readers: Get on the shards in `failing` returns a
// kDbAdapter error naming the shard, and `on_get` (if set) runs before each.
class WrappingFactory : public ShardReaderFactory {
 public:
  WrappingFactory(std::shared_ptr<ShardReaderFactory> base, std::vector<int> failing)
      : base_(std::move(base)), failing_(std::move(failing)) {}
  std::string name() const override { return base_->name(); }
  Result<std::unique_ptr<ShardReader>> Open(const ShardReaderContext& ctx) override {
    Result<std::unique_ptr<ShardReader>> inner = base_->Open(ctx);
    if (!inner.ok()) return inner.status();
    const size_t at = ctx.db_url.find("db=");
    const int db_id = std::stoi(ctx.db_url.substr(at + 3, 5));
    const bool fail = std::find(failing_.begin(), failing_.end(), db_id) != failing_.end();
    return std::unique_ptr<ShardReader>(new Reader(std::move(inner).value(), db_id, fail, this));
  }
  std::function<void(int db_id)> on_get;

 private:
  class Reader : public ShardReader {
   public:
    Reader(std::unique_ptr<ShardReader> inner, int db_id, bool fail, WrappingFactory* owner)
        : inner_(std::move(inner)), db_id_(db_id), fail_(fail), owner_(owner) {}
    Result<std::optional<std::string>> Get(std::string_view key) override {
      if (owner_->on_get) owner_->on_get(db_id_);
      if (fail_) return Status(ErrorCode::kDbAdapter, "boom in db_id=" + std::to_string(db_id_));
      return inner_->Get(key);
    }

   private:
    std::unique_ptr<ShardReader> inner_;
    int db_id_;
    bool fail_;
    WrappingFactory* owner_;
  };
  std::shared_ptr<ShardReaderFactory> base_;
  std::vector<int> failing_;
};

class MultiGetTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const std::string id = NewUuid4Hex();
    prefix_ = "memory://multi-get-" + id + "/snap";
    local_root_ = ::testing::TempDir() + "/multi_get_test_" + id;
    HashShardedWriteConfig c;
    c.s3_prefix = prefix_;
    c.local_root = local_root_ + "/staging";
    c.num_dbs = kShards;
    c.adapter_factory = slatedb() ? NewSlateDbWriterFactory()
                                  : std::shared_ptr<ShardWriterFactory>(NewSqliteWriterFactory());
    std::vector<int64_t> keys;
    for (int64_t i = 0; i < kKeys; ++i) keys.push_back(i);
    Result<BuildResult> r = WriteHashSharded(
        keys, c, RecordInput{[](int64_t i) { return i; }, [](int64_t i) { return ValueOf(i); }});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  void TearDown() override { std::filesystem::remove_all(local_root_); }

  bool slatedb() const { return std::string(GetParam()) == "slatedb"; }

  std::unique_ptr<ShardedReader> Open(int lookup_threads,
                                      std::shared_ptr<WrappingFactory> factory = nullptr) {
    ReaderOptions o;
    o.local_root = local_root_ + "/cache";
    o.lookup_threads = lookup_threads;
    if (factory) o.reader_factory = factory;
    Result<std::unique_ptr<ShardedReader>> r = ShardedReader::Open(prefix_, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  std::shared_ptr<WrappingFactory> Wrapping(std::vector<int> failing = {}) {
    return std::make_shared<WrappingFactory>(
        slatedb() ? NewSlateDbReaderFactory() : NewSqliteReaderFactory(), std::move(failing));
  }

  std::string prefix_;
  std::string local_root_;
};

INSTANTIATE_TEST_SUITE_P(Backends, MultiGetTest, ::testing::Values("sqlite", "slatedb"),
                         [](const auto& info) { return std::string(info.param); });

TEST_P(MultiGetTest, ResultsAreInInputOrderForEveryThreadCount) {
  std::mt19937_64 rng(7);
  std::vector<Key> keys;
  std::vector<std::optional<std::string>> expected;
  for (int i = 0; i < 1500; ++i) {
    const int64_t k = static_cast<int64_t>(rng() % (kKeys + kKeys / 4));  // a fifth are misses
    keys.push_back(Key::Int(k));
    expected.push_back(k < kKeys ? std::optional<std::string>(ValueOf(k)) : std::nullopt);
  }
  keys.push_back(keys.front());  // a duplicate
  expected.push_back(expected.front());
  for (int threads : {1, 2, 4, 0}) {
    std::unique_ptr<ShardedReader> reader = Open(threads);
    ASSERT_NE(reader, nullptr);
    for (size_t n :
         {size_t{0}, size_t{1}, size_t{5}, ReaderOptions::kParallelMultiGetKeys, keys.size()}) {
      std::vector<Key> some(keys.begin(), keys.begin() + n);
      Result<std::vector<std::optional<std::string>>> got = reader->MultiGet(some);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got,
                std::vector<std::optional<std::string>>(expected.begin(), expected.begin() + n))
          << "threads=" << threads << " n=" << n;
    }
  }
}

// Shard 0's reads wait until a read of another shard runs on another
// thread: they overlap only if the batch is split across threads.
TEST_P(MultiGetTest, ABatchReadsItsShardsInParallel) {
  std::shared_ptr<WrappingFactory> factory = Wrapping();
  std::atomic<bool> elsewhere{false};
  std::atomic<bool> overlapped{false};
  std::atomic<std::thread::id> shard0_thread{};
  factory->on_get = [&](int db_id) {
    if (db_id == 0) {
      if (shard0_thread.load() != std::thread::id()) return;  // wait on the first read only
      shard0_thread = std::this_thread::get_id();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!elsewhere && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      overlapped = elsewhere.load();
    } else {
      // Until shard 0's read has begun: a busy machine may otherwise let one
      // thread read every other shard before the other thread starts.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (shard0_thread.load() == std::thread::id() &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
      const std::thread::id t = shard0_thread.load();
      if (t != std::thread::id() && t != std::this_thread::get_id()) elsewhere = true;
    }
  };
  std::unique_ptr<ShardedReader> reader = Open(2, factory);
  ASSERT_NE(reader, nullptr);
  std::vector<Key> keys;
  for (int64_t k = 0; k < 1000; ++k) keys.push_back(Key::Int(k));
  Result<std::vector<std::optional<std::string>>> got = reader->MultiGet(keys);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(overlapped);
  EXPECT_EQ((*got)[999], std::optional<std::string>(ValueOf(999)));
}

TEST_P(MultiGetTest, AFailingShardFailsTheCallWithTheLowestDbIdsError) {
  for (int threads : {1, 2}) {
    std::unique_ptr<ShardedReader> reader = Open(threads, Wrapping({5, 2}));
    ASSERT_NE(reader, nullptr);
    std::vector<Key> keys;
    for (int64_t k = 0; k < 1000; ++k) keys.push_back(Key::Int(k));
    Result<std::vector<std::optional<std::string>>> got = reader->MultiGet(keys);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), ErrorCode::kDbAdapter);
    EXPECT_EQ(got.status().message(), "boom in db_id=2") << "threads=" << threads;
  }
}

TEST_P(MultiGetTest, ANegativeThreadCountIsRefused) {
  ReaderOptions o;
  o.local_root = local_root_ + "/cache";
  o.lookup_threads = -1;
  Result<std::unique_ptr<ShardedReader>> r = ShardedReader::Open(prefix_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("lookup_threads"), std::string::npos);
}

}  // namespace
}  // namespace shardyfusion
