// The local-files room: FileLock, PendingFile / WriteFileAtomically and
// DownloadToFile.
#include "storage/local_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "storage/fault_store.h"
#include "storage/memory_store.h"
#include "storage/storage_testing.h"

namespace shardyfusion {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The names in `dir`, sorted.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// ---- FileLock ----------------------------------------------------------------

TEST(FileLockTest, ExcludesAnotherOpenFileDescriptionOfTheSameFile) {
  ScratchDir dir;
  const std::string path = dir.path() + "/.lock";
  FileLock first;
  ASSERT_EQ(first.Open(path), 0);
  ASSERT_EQ(first.Lock(), 0);
  EXPECT_TRUE(std::filesystem::exists(path));

  // The same process, another open(2) of the file: excluded all the same.
  FileLock second;
  ASSERT_EQ(second.Open(path), 0);
  EXPECT_EQ(second.TryLock(), EWOULDBLOCK);

  std::atomic<bool> released{false};
  std::atomic<bool> acquired_while_held{false};
  std::thread waiter([&] {
    FileLock third;
    ASSERT_EQ(third.Open(path), 0);
    ASSERT_EQ(third.Lock(), 0);  // blocks until `first` lets go
    acquired_while_held = !released.load();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  released = true;
  first.Release();
  waiter.join();
  EXPECT_FALSE(acquired_while_held.load());
  // `third` closed its file when it went away: the lock is free again.
  EXPECT_EQ(second.TryLock(), 0);
  first.Release();  // idempotent
  EXPECT_FALSE(first.is_open());
}

TEST(FileLockTest, TryLockFailsWhileAnotherProcessHoldsIt) {
  ScratchDir dir;
  const std::string path = dir.path() + "/run.lock";
  int ready[2];
  int done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FileLock lock;
    if (lock.Open(path) != 0 || lock.Lock() != 0) ::_exit(1);
    char c = 'x';
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    if (::read(done[0], &c, 1) != 1) ::_exit(1);
    ::_exit(0);  // dies holding the lock: the kernel releases it
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  FileLock lock;
  ASSERT_EQ(lock.Open(path, /*create=*/false), 0);
  EXPECT_EQ(lock.TryLock(), EWOULDBLOCK);
  ASSERT_EQ(::write(done[1], &c, 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(lock.TryLock(), 0);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) ::close(fd);
}

TEST(FileLockTest, OpenWithoutCreateReportsAMissingFile) {
  ScratchDir dir;
  FileLock lock;
  EXPECT_EQ(lock.Open(dir.path() + "/absent.lock", /*create=*/false), ENOENT);
  EXPECT_FALSE(lock.is_open());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/absent.lock"));
  EXPECT_EQ(lock.Open(dir.path() + "/no-such-dir/x.lock"), ENOENT);
}

// ---- PendingFile / WriteFileAtomically -------------------------------------

TEST(PendingFileTest, NeverExposesAPartialFile) {
  ScratchDir dir;
  const std::string path = dir.path() + "/data";
  ASSERT_TRUE(WriteFileAtomically(path, "old contents").ok());
  {
    Result<PendingFile> pending = PendingFile::Create(path, {});
    ASSERT_TRUE(pending.ok()) << pending.status().ToString();
    const std::string temp_name = std::filesystem::path(pending->temp_path()).filename();
    EXPECT_TRUE(IsTempFileName(temp_name)) << temp_name;
    EXPECT_TRUE(temp_name.starts_with(".data.shardy-tmp." + std::to_string(::getpid()) + "."))
        << temp_name;
    ASSERT_TRUE(WriteAll(pending->fd(), "new con", pending->temp_path()).ok());
    EXPECT_EQ(Slurp(path), "old contents");  // half written: invisible
    ASSERT_TRUE(WriteAll(pending->fd(), "tents", pending->temp_path()).ok());
    EXPECT_EQ(Slurp(path), "old contents");  // whole but not committed
    ASSERT_TRUE(pending->Commit().ok());
    EXPECT_EQ(Slurp(path), "new contents");
    EXPECT_FALSE(pending->Commit().ok()) << "a second commit is a bug";
  }
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"data"});
}

// A reader opening the file while it is replaced again and again sees one
// whole version each time.
TEST(PendingFileTest, ConcurrentReadersSeeWholeVersions) {
  ScratchDir dir;
  const std::string path = dir.path() + "/data";
  auto version = [](int i) { return std::string(64 << 10, static_cast<char>('a' + i % 26)); };
  ASSERT_TRUE(WriteFileAtomically(path, version(0)).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!stop) {
      const std::string got = Slurp(path);
      if (got.size() != (64u << 10) || got.find_first_not_of(got[0]) != std::string::npos) ++torn;
    }
  });
  PendingFileOptions fast;
  fast.sync_file = false;  // durability is not what this test is about
  for (int i = 1; i < 200; ++i) ASSERT_TRUE(WriteFileAtomically(path, version(i), fast).ok());
  stop = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"data"});
}

TEST(PendingFileTest, AbandonedOrFailedWritesLeaveTheOldFileAndNoTemp) {
  ScratchDir dir;
  const std::string path = dir.path() + "/data";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  {
    Result<PendingFile> pending = PendingFile::Create(path, {});
    ASSERT_TRUE(pending.ok());
    ASSERT_TRUE(WriteAll(pending->fd(), "partial", pending->temp_path()).ok());
    EXPECT_EQ(Entries(dir.path()).size(), 2u);
  }  // never committed
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"data"});
  EXPECT_EQ(Slurp(path), "old");

  // The rename fails (a directory is in the way): the temp file goes too.
  const std::string blocked = dir.path() + "/blocked";
  std::filesystem::create_directories(blocked + "/child");
  Status st = WriteFileAtomically(blocked, "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::kStorage);
  EXPECT_NE(st.message().find("rename"), std::string::npos) << st.ToString();
  EXPECT_EQ(Entries(dir.path()), (std::vector<std::string>{"blocked", "data"}));

  // The caller's error class, and a missing directory named in the error.
  PendingFileOptions cache;
  cache.error_code = ErrorCode::kDbAdapter;
  st = WriteFileAtomically(dir.path() + "/missing/data", "x", cache);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::kDbAdapter);
  EXPECT_NE(st.message().find(dir.path() + "/missing/"), std::string::npos) << st.ToString();
}

TEST(PendingFileTest, ModeAndDirectorySync) {
  ScratchDir dir;
  const std::string path = dir.path() + "/data";
  PendingFileOptions options;
  options.mode = 0600;
  options.sync_dir = true;
  ASSERT_TRUE(WriteFileAtomically(path, "x", options).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Slurp(path), "x");
}

TEST(PendingFileTest, LinksInsteadOfCopyingWhenAsked) {
  ScratchDir dir;
  const std::string source = dir.path() + "/source";
  ASSERT_TRUE(WriteLocalFile(source, "payload").ok());
  PendingFileOptions options;
  options.link_from = source;
  Result<PendingFile> pending = PendingFile::Create(dir.path() + "/copy", options);
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_TRUE(pending->linked());
  ASSERT_TRUE(pending->Commit().ok());
  struct stat a, b;
  ASSERT_EQ(::stat(source.c_str(), &a), 0);
  ASSERT_EQ(::stat((dir.path() + "/copy").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

// ---- DownloadToFile ----------------------------------------------------------

class DownloadToFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base_->Put("obj", std::string(10000, 'n'), PutOptions()).ok());
    path_ = dir_.path() + "/shard.db";
  }

  ScratchDir dir_;
  std::shared_ptr<MemoryStore> base_ = std::make_shared<MemoryStore>("download-to-file");
  FaultInjectingStore store_{base_};
  std::string path_;
};

TEST_F(DownloadToFileTest, ReplacesTheFileWithTheWholeObject) {
  ASSERT_TRUE(WriteLocalFile(path_, "old").ok());
  Result<bool> got = DownloadToFile(store_, "obj", path_);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got);
  EXPECT_EQ(Slurp(path_), std::string(10000, 'n'));
  EXPECT_EQ(Entries(dir_.path()), std::vector<std::string>{"shard.db"});
}

TEST_F(DownloadToFileTest, AMissingObjectIsFalseAndLeavesNothing) {
  Result<bool> got = DownloadToFile(store_, "absent", path_);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(*got);
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

// The store wrote (part of) the temp file, then failed: the destination is
// what it was and the temp file is gone.
TEST_F(DownloadToFileTest, AStoreFailingMidwayLeavesNoPartialDestination) {
  FaultRule fail;
  fail.op = StoreOp::kGetToFile;
  fail.after_effect = true;
  fail.error = Status(ErrorCode::kStorage, "connection reset mid-body", true);
  store_.AddRule(fail);

  Result<bool> got = DownloadToFile(store_, "obj", path_);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "connection reset mid-body");  // the store's own error
  EXPECT_TRUE(got.status().retryable());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));

  ASSERT_TRUE(WriteLocalFile(path_, "old").ok());
  got = DownloadToFile(store_, "obj", path_);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(Slurp(path_), "old");
  EXPECT_EQ(Entries(dir_.path()), std::vector<std::string>{"shard.db"});
}

// A transfer cut short that the store reports as a success: `check` refuses
// it before it replaces anything.
TEST_F(DownloadToFileTest, ACheckRefusesATruncatedDownload) {
  FaultRule cut;
  cut.op = StoreOp::kGetToFile;
  cut.truncate_to = 4000;
  store_.AddRule(cut);
  ASSERT_TRUE(WriteLocalFile(path_, "old").ok());
  DownloadOptions options;
  options.check = [](const std::string& temp) {
    const auto size = std::filesystem::file_size(temp);
    return size == 10000 ? Status::OK()
                         : Status(ErrorCode::kDbAdapter, "short: " + std::to_string(size));
  };
  Result<bool> got = DownloadToFile(store_, "obj", path_, options);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kDbAdapter);
  EXPECT_EQ(got.status().message(), "short: 4000");
  EXPECT_EQ(Slurp(path_), "old");
  EXPECT_EQ(Entries(dir_.path()), std::vector<std::string>{"shard.db"});

  store_.ClearRules();
  got = DownloadToFile(store_, "obj", path_, options);
  ASSERT_TRUE(got.ok() && *got) << got.status().ToString();
  EXPECT_EQ(std::filesystem::file_size(path_), 10000u);
}

TEST_F(DownloadToFileTest, LocalFailuresAreInTheCallersErrorClass) {
  DownloadOptions options;
  options.file.error_code = ErrorCode::kDbAdapter;
  Result<bool> got = DownloadToFile(store_, "obj", dir_.path() + "/missing/shard.db", options);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kDbAdapter);
  EXPECT_EQ(store_.CallCount(StoreOp::kGetToFile), 0);
}

}  // namespace
}  // namespace shardyfusion
