#include "backend/sqlite/sorted_run.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace shardyfusion {
namespace sqlite_internal {
namespace {

using Records = std::vector<std::pair<std::string, std::string>>;

class SortedRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/sorted_run_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string NextPath() { return dir_ + "/run-" + std::to_string(next_++); }

  size_t FilesInDir() const {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      (void)entry;
      ++n;
    }
    return n;
  }

  static Records ReadRun(const std::string& path) {
    Records out;
    RunReader reader;
    Status st = reader.Open(path);
    EXPECT_TRUE(st.ok()) << st.ToString();
    while (reader.Valid()) {
      out.emplace_back(std::string(reader.key()), std::string(reader.value()));
      st = reader.Next();
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return out;
  }

  static Records Merge(const std::vector<std::string>& paths) {
    Records out;
    RunMerger merger;
    Status st = merger.Open(paths);
    EXPECT_TRUE(st.ok()) << st.ToString();
    while (merger.Valid()) {
      out.emplace_back(std::string(merger.key()), std::string(merger.value()));
      st = merger.Next();
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return out;
  }

  std::string dir_;
  int next_ = 0;
};

TEST(SortedRunKeyOrder, PrefixCompareEqualsBytewiseCompare) {
  // Short keys over bytes that stress the zero padding and the sign of char.
  std::mt19937 rng(3);
  const char alphabet[] = {'\0', '\x01', 'a', '\x7f', '\x80', '\xff'};
  auto random_key = [&] {
    std::string key(rng() % 13, '\0');
    for (char& c : key) c = alphabet[rng() % sizeof(alphabet)];
    return key;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string a = random_key();
    std::string b = (i % 3 == 0) ? a + random_key() : random_key();
    int expected = std::string_view(a).compare(b);
    int got = CompareKeys(a, KeyPrefix(a), b, KeyPrefix(b));
    ASSERT_EQ((expected > 0) - (expected < 0), (got > 0) - (got < 0))
        << "a.size()=" << a.size() << " b.size()=" << b.size();
  }
}

TEST_F(SortedRunTest, BatchIsSortedAndLaterAddWins) {
  KvBatch batch;
  batch.Add("b", "1");
  batch.Add("a", "2");
  batch.Add("b", "3");
  batch.Add(std::string("\0x", 2), "4");
  batch.Add("", "");
  batch.Add("a", "5");
  batch.Add("\xff", "6");
  std::string path = NextPath();
  Result<uint64_t> written = WriteSortedRun(batch, path);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, 5u);
  Records expected = {
      {"", ""}, {std::string("\0x", 2), "4"}, {"a", "5"}, {"b", "3"}, {"\xff", "6"}};
  EXPECT_EQ(ReadRun(path), expected);
}

TEST_F(SortedRunTest, ReaderUnlinksRunWhenConsumed) {
  KvBatch batch;
  batch.Add("k", "v");
  std::string path = NextPath();
  ASSERT_TRUE(WriteSortedRun(batch, path).ok());
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(ReadRun(path).size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(SortedRunTest, RecordsLargerThanTheReadBuffer) {
  KvBatch batch;
  std::string big(kRunReadBufferBytes * 3 + 17, 'x');
  big[5] = 'y';
  batch.Add("a", "small");
  batch.Add("b", big);
  batch.Add(std::string(kRunReadBufferBytes + 1, 'k'), "after");
  batch.Add("z", "");
  std::string path = NextPath();
  ASSERT_TRUE(WriteSortedRun(batch, path).ok());
  Records got = ReadRun(path);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1].second, big);
  EXPECT_EQ(got[2].first, std::string(kRunReadBufferBytes + 1, 'k'));
  EXPECT_EQ(got[2].second, "after");
  EXPECT_EQ(got[3], (std::pair<std::string, std::string>("z", "")));
}

TEST_F(SortedRunTest, MergeLaterRunWinsForEqualKeys) {
  std::vector<std::string> paths;
  for (const char* version : {"old", "mid", "new"}) {
    KvBatch batch;
    batch.Add("shared", version);
    batch.Add(std::string("only-") + version, version);
    paths.push_back(NextPath());
    ASSERT_TRUE(WriteSortedRun(batch, paths.back()).ok());
  }
  Records expected = {
      {"only-mid", "mid"}, {"only-new", "new"}, {"only-old", "old"}, {"shared", "new"}};
  EXPECT_EQ(Merge(paths), expected);
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(SortedRunTest, MultiPassMergeMatchesLastWriteWinsModel) {
  std::mt19937 rng(42);
  std::map<std::string, std::string> model;
  std::vector<std::string> paths;
  const int kBatches = 23;  // with fan-in 3: 23 -> 8 -> 3 runs
  for (int b = 0; b < kBatches; ++b) {
    KvBatch batch;
    for (int i = 0; i < 300; ++i) {
      std::string key = "k" + std::to_string(rng() % 1000);
      std::string value = std::to_string(b) + ":" + std::to_string(i);
      batch.Add(key, value);
      model[key] = value;
    }
    paths.push_back(NextPath());
    ASSERT_TRUE(WriteSortedRun(batch, paths.back()).ok());
  }
  Status st = MergeRunsInPasses(&paths, 3, [this] { return NextPath(); });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_LE(paths.size(), 3u);
  EXPECT_EQ(FilesInDir(), paths.size());  // consumed inputs were deleted

  Records expected(model.begin(), model.end());
  EXPECT_EQ(Merge(paths), expected);
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(SortedRunTest, FanInBelowTwoIsRejected) {
  std::vector<std::string> paths = {"a", "b", "c"};
  Status st = MergeRunsInPasses(&paths, 1, [this] { return NextPath(); });
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
}

TEST_F(SortedRunTest, TruncatedRunIsAnError) {
  KvBatch batch;
  batch.Add("key", "value");
  std::string path = NextPath();
  ASSERT_TRUE(WriteSortedRun(batch, path).ok());
  std::filesystem::resize_file(path, 10);  // header intact, body cut short
  RunReader reader;
  Status st = reader.Open(path);
  EXPECT_EQ(st.code(), ErrorCode::kShardWrite);
  EXPECT_NE(st.message().find(path), std::string::npos);
}

}  // namespace
}  // namespace sqlite_internal
}  // namespace shardyfusion
