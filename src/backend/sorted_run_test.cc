#include "backend/sorted_run.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace shardyfusion {
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

  static SortedRun FileRun(const std::string& path) {
    SortedRun run;
    run.path = path;
    return run;
  }

  // Writes `batch` as a spool-file run at a new path and returns the path.
  std::string SpoolBatch(const KvBatch& batch) {
    std::string path = NextPath();
    Result<SortedRun> run = WriteSortedRun(batch, nullptr, path);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_TRUE(run.ok() && run->memory == nullptr && run->path == path);
    return path;
  }

  static Records ReadRun(SortedRun run) {
    Records out;
    RunReader reader;
    Status st = reader.Open(std::move(run));
    EXPECT_TRUE(st.ok()) << st.ToString();
    while (reader.Valid()) {
      out.emplace_back(std::string(reader.key()), std::string(reader.value()));
      st = reader.Next();
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return out;
  }

  static Records ReadRun(const std::string& path) { return ReadRun(FileRun(path)); }

  static Records Merge(std::vector<SortedRun> runs) {
    Records out;
    RunMerger merger;
    Status st = merger.Open(std::move(runs));
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
  Result<SortedRun> run = WriteSortedRun(batch, nullptr, path);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->records, 5u);
  Records expected = {
      {"", ""}, {std::string("\0x", 2), "4"}, {"a", "5"}, {"b", "3"}, {"\xff", "6"}};
  EXPECT_EQ(ReadRun(path), expected);

  // The same batch as an in-memory run: same records, nothing on disk.
  auto budget = std::make_shared<RunMemoryBudget>(1 << 20);
  Result<SortedRun> in_memory = WriteSortedRun(batch, budget, NextPath());
  ASSERT_TRUE(in_memory.ok()) << in_memory.status().ToString();
  ASSERT_NE(in_memory->memory, nullptr);
  EXPECT_EQ(FilesInDir(), 0u);
  EXPECT_EQ(in_memory->records, 5u);
  // 5 records: 8 header bytes each plus their keys and values (0+2+1+1+1, 0+1+1+1+1).
  EXPECT_EQ(budget->used(), 5u * 8 + 5 + 4);
  EXPECT_EQ(ReadRun(std::move(in_memory).value()), expected);
  EXPECT_EQ(budget->used(), 0u);
}

TEST_F(SortedRunTest, ReaderUnlinksRunWhenConsumed) {
  KvBatch batch;
  batch.Add("k", "v");
  std::string path = SpoolBatch(batch);
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
  std::string path = SpoolBatch(batch);
  Records got = ReadRun(path);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1].second, big);
  EXPECT_EQ(got[2].first, std::string(kRunReadBufferBytes + 1, 'k'));
  EXPECT_EQ(got[2].second, "after");
  EXPECT_EQ(got[3], (std::pair<std::string, std::string>("z", "")));
}

TEST_F(SortedRunTest, MergeLaterRunWinsForEqualKeys) {
  std::vector<SortedRun> runs;
  for (const char* version : {"old", "mid", "new"}) {
    KvBatch batch;
    batch.Add("shared", version);
    batch.Add(std::string("only-") + version, version);
    runs.push_back(FileRun(SpoolBatch(batch)));
  }
  Records expected = {
      {"only-mid", "mid"}, {"only-new", "new"}, {"only-old", "old"}, {"shared", "new"}};
  EXPECT_EQ(Merge(std::move(runs)), expected);
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(SortedRunTest, BudgetSpillsRunsThatDoNotFitAndMergeMixesBoth) {
  // Room for about two of the four runs: the rest must go to spool files,
  // and the merge of memory and file runs must still let the later run win.
  auto budget = std::make_shared<RunMemoryBudget>(2 * (8 + 6 + 3) + 2 * (8 + 7 + 3) + 5);
  std::vector<SortedRun> runs;
  for (const char* version : {"v00", "v01", "v02", "v03"}) {
    KvBatch batch;
    batch.Add("shared", version);
    batch.Add(std::string("only-") + version + "x", version);
    Result<SortedRun> run = WriteSortedRun(batch, budget, NextPath());
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    runs.push_back(std::move(run).value());
  }
  size_t in_memory = 0;
  for (const SortedRun& run : runs) in_memory += run.memory != nullptr;
  EXPECT_GE(in_memory, 1u);
  EXPECT_LT(in_memory, runs.size());
  EXPECT_LE(budget->used(), budget->limit());
  EXPECT_EQ(FilesInDir(), runs.size() - in_memory);
  Records expected = {{"only-v00x", "v00"},
                      {"only-v01x", "v01"},
                      {"only-v02x", "v02"},
                      {"only-v03x", "v03"},
                      {"shared", "v03"}};
  EXPECT_EQ(Merge(std::move(runs)), expected);
  EXPECT_EQ(FilesInDir(), 0u);
  EXPECT_EQ(budget->used(), 0u);
}

TEST(RunMemoryBudgetTest, ReservesOnlyWithinTheLimit) {
  RunMemoryBudget budget(100);
  EXPECT_TRUE(budget.TryReserve(60));
  EXPECT_FALSE(budget.TryReserve(41));
  EXPECT_TRUE(budget.TryReserve(40));
  EXPECT_FALSE(budget.TryReserve(1));
  budget.Release(60);
  EXPECT_EQ(budget.used(), 40u);
  EXPECT_FALSE(budget.TryReserve(UINT64_MAX));  // no overflow past the limit
  EXPECT_TRUE(budget.TryReserve(60));
}

TEST_F(SortedRunTest, MultiPassMergeMatchesLastWriteWinsModel) {
  std::mt19937 rng(42);
  std::map<std::string, std::string> model;
  auto budget = std::make_shared<RunMemoryBudget>(40000);  // a few runs stay in memory
  std::vector<SortedRun> runs;
  const int kBatches = 23;  // with fan-in 3: 23 -> 8 -> 3 runs
  for (int b = 0; b < kBatches; ++b) {
    KvBatch batch;
    for (int i = 0; i < 300; ++i) {
      std::string key = "k" + std::to_string(rng() % 1000);
      std::string value = std::to_string(b) + ":" + std::to_string(i);
      batch.Add(key, value);
      model[key] = value;
    }
    Result<SortedRun> run = WriteSortedRun(batch, budget, NextPath());
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    runs.push_back(std::move(run).value());
  }
  ASSERT_NE(runs.front().memory, nullptr);
  ASSERT_EQ(runs.back().memory, nullptr);
  Status st = MergeRunsInPasses(&runs, 3, [this] { return NextPath(); });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_LE(runs.size(), 3u);
  EXPECT_EQ(FilesInDir(), runs.size());  // consumed inputs were deleted
  EXPECT_EQ(budget->used(), 0u);         // merged runs are files

  Records expected(model.begin(), model.end());
  EXPECT_EQ(Merge(std::move(runs)), expected);
  EXPECT_EQ(FilesInDir(), 0u);
}

TEST_F(SortedRunTest, FanInBelowTwoIsRejected) {
  std::vector<SortedRun> runs(3);
  Status st = MergeRunsInPasses(&runs, 1, [this] { return NextPath(); });
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
}

TEST_F(SortedRunTest, TruncatedRunIsAnError) {
  KvBatch batch;
  batch.Add("key", "value");
  std::string path = SpoolBatch(batch);
  std::filesystem::resize_file(path, 10);  // header intact, body cut short
  RunReader reader;
  Status st = reader.Open(FileRun(path));
  EXPECT_EQ(st.code(), ErrorCode::kShardWrite);
  EXPECT_NE(st.message().find(path), std::string::npos);
}

}  // namespace
}  // namespace shardyfusion
