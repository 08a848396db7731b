// Behaviour specific to the file:// store: the key-to-path mapping, hidden
// temp and lock files, key validation, cross-process conditional puts and
// error mapping.

#include "storage/file_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "storage/local_file.h"
#include "storage/storage_testing.h"

namespace shardyfusion {
namespace {

class FileStoreTest : public ::testing::Test {
 protected:
  std::string K(const std::string& rel) const { return dir_.key_prefix() + rel; }

  std::vector<std::string> ListKeys(const std::string& prefix, const std::string& delimiter) {
    auto list = store_->List(prefix, delimiter);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    std::vector<std::string> keys;
    if (!list.ok()) return keys;
    for (const ObjectInfo& o : list->objects) keys.push_back(o.key);
    for (const std::string& p : list->common_prefixes) keys.push_back(p);
    return keys;
  }

  ScratchDir dir_;
  std::shared_ptr<FileStore> store_ = FileStore::Shared();
};

TEST_F(FileStoreTest, KeyIsPathFromFilesystemRoot) {
  ASSERT_TRUE(store_->Put(K("x/y"), "data", PutOptions()).ok());
  std::ifstream in(dir_.path() + "/x/y");
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "data");
  EXPECT_EQ(store_->Url(K("x/y")), "file://" + dir_.path() + "/x/y");
  EXPECT_EQ(store_->Url(""), "file:///");
}

TEST_F(FileStoreTest, TempAndLockFilesAreNeverListed) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->Put(K("d/obj"), "v" + std::to_string(i), PutOptions()).ok());
  }
  // The lock file exists on disk; List must be filtering it, not missing it.
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/d/.shardy-lock"));
  EXPECT_EQ(ListKeys(K(""), ""), std::vector<std::string>{K("d/obj")});
  EXPECT_EQ(ListKeys(K("d/"), "/"), std::vector<std::string>{K("d/obj")});
  EXPECT_EQ(ListKeys(K("d/."), ""), std::vector<std::string>{});
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/d")) {
    EXPECT_EQ(e.path().filename().string().find(".shardy-tmp."), std::string::npos)
        << "leftover temp file " << e.path();
    ++entries;
  }
  EXPECT_EQ(entries, 2);  // obj and the lock file
}

TEST_F(FileStoreTest, CrashedWriterTempFileIsInvisible) {
  ASSERT_TRUE(store_->Put(K("d/real"), "ok", PutOptions()).ok());
  std::filesystem::create_directories(dir_.path() + "/d/only-temp");
  std::ofstream(dir_.path() + "/d/.real.shardy-tmp.0123456789abcdef") << "torn";
  std::ofstream(dir_.path() + "/d/only-temp/.x.shardy-tmp.feed") << "torn";
  EXPECT_EQ(ListKeys(K(""), ""), std::vector<std::string>{K("d/real")});
  // A directory holding nothing but a temp file is not a common prefix.
  EXPECT_EQ(ListKeys(K("d/"), "/"), std::vector<std::string>{K("d/real")});
  auto got = store_->Get(K("d/real"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "ok");
}

TEST_F(FileStoreTest, HiddenUserFilesAreOrdinaryObjects) {
  ASSERT_TRUE(store_->Put(K(".hidden"), "h", PutOptions()).ok());
  EXPECT_EQ(ListKeys(K(""), ""), std::vector<std::string>{K(".hidden")});
}

TEST_F(FileStoreTest, RejectsKeysThatAreNotPlainPaths) {
  for (const std::string& key : {std::string(""), K("a//b"), K("a/"), "/" + K("a"), K("../a"),
                                 K("a/./b"), K("d/.shardy-lock"), K("d/.x.shardy-tmp.1")}) {
    auto put = store_->Put(key, "x", PutOptions());
    ASSERT_FALSE(put.ok()) << key;
    EXPECT_EQ(put.status().code(), ErrorCode::kInvalidArgument) << key;
    auto get = store_->Get(key);
    EXPECT_FALSE(get.ok()) << key;
  }
  auto list = store_->List("/" + K(""), "");
  EXPECT_FALSE(list.ok());
}

TEST_F(FileStoreTest, DirectoryIsNotAnObject) {
  ASSERT_TRUE(store_->Put(K("dir/child"), "c", PutOptions()).ok());
  auto get = store_->Get(K("dir"));
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_FALSE(get->has_value());
  auto head = store_->Head(K("dir"));
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  auto under_file = store_->Get(K("dir/child/grandchild"));
  ASSERT_TRUE(under_file.ok()) << under_file.status().ToString();
  EXPECT_FALSE(under_file->has_value());
  // Such a key cannot be written either, and the error says where.
  auto put = store_->Put(K("dir"), "x", PutOptions());
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.status().message().find(dir_.path() + "/dir"), std::string::npos)
      << put.status().ToString();
}

TEST_F(FileStoreTest, IfAbsentIsAtomicAcrossProcesses) {
  constexpr int kProcs = 6;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcs; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      PutOptions options;
      options.condition = PutCondition::kIfAbsent;
      auto r = FileStore::Shared()->Put(K("proc-race"), "proc-" + std::to_string(i), options);
      int code = 2;
      if (r.ok()) {
        code = 0;
      } else if (r.status().code() == ErrorCode::kPreconditionFailed) {
        code = 1;
      } else {
        std::fprintf(stderr, "child %d: %s\n", i, r.status().ToString().c_str());
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  int winners = 0;
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    const int code = WEXITSTATUS(status);
    EXPECT_NE(code, 2) << "a child failed for another reason than the precondition";
    if (code == 0) ++winners;
  }
  EXPECT_EQ(winners, 1);
}

// Permission errors cannot be provoked as root (CI runs as root); a file
// standing where a directory must be is a permanent error any user gets.
TEST_F(FileStoreTest, DisposableSourceIsLinkedOnTheSameFilesystemElseCopied) {
  // Same filesystem as the store: the object is the source's inode, no copy.
  const std::string near = dir_.path() + "/near.bin";
  std::ofstream(near) << "linked";
  PutOptions disposable;
  disposable.source_disposable = true;
  ASSERT_TRUE(store_->PutFile(K("near"), near, disposable).ok());
  struct stat src_st, obj_st;
  ASSERT_EQ(::stat(near.c_str(), &src_st), 0);
  ASSERT_EQ(::stat((dir_.path() + "/near").c_str(), &obj_st), 0);
  EXPECT_EQ(src_st.st_ino, obj_st.st_ino);

  // Without the option the object is always a copy.
  ASSERT_TRUE(store_->PutFile(K("copied"), near, PutOptions()).ok());
  ASSERT_EQ(::stat((dir_.path() + "/copied").c_str(), &obj_st), 0);
  EXPECT_NE(src_st.st_ino, obj_st.st_ino);

  // Another filesystem (tmpfs) cannot be linked: the put falls back to a copy.
  struct stat shm;
  if (::stat("/dev/shm", &shm) == 0 && shm.st_dev != src_st.st_dev) {
    ScratchDir far_dir("/dev/shm");
    const std::string far = far_dir.path() + "/far.bin";
    std::ofstream(far) << "copied across filesystems";
    auto put = store_->PutFile(K("far"), far, disposable);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    auto got = store_->Get(K("far"));
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ(**got, "copied across filesystems");
  }
}

TEST_F(FileStoreTest, FileSystemErrorsAreStorageErrorsNamingThePath) {
  ASSERT_TRUE(store_->Put(K("plain"), "x", PutOptions()).ok());
  auto put = store_->Put(K("plain/x"), "x", PutOptions());
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), ErrorCode::kStorage);
  EXPECT_FALSE(put.status().retryable());
  EXPECT_NE(put.status().message().find(dir_.path() + "/plain"), std::string::npos)
      << put.status().ToString();
}

TEST(ErrnoStatusTest, PermissionIsPermanentAndIoIsTransient) {
  Status denied = ErrnoStatus(EACCES, "open for reading", "/x/y");
  EXPECT_EQ(denied.code(), ErrorCode::kStorage);
  EXPECT_FALSE(denied.retryable());
  EXPECT_NE(denied.message().find("/x/y"), std::string::npos);
  EXPECT_NE(denied.message().find("ermission denied"), std::string::npos) << denied.ToString();
  EXPECT_FALSE(ErrnoStatus(ENOSPC, "write", "/x").retryable());
  EXPECT_TRUE(ErrnoStatus(EIO, "read", "/x").retryable());
}

TEST_F(FileStoreTest, ListWithOtherDelimiterFoldsByIt) {
  for (const char* rel : {"p/a-1", "p/a-2", "p/b", "p/q/c-1"}) {
    ASSERT_TRUE(store_->Put(K(rel), "x", PutOptions()).ok());
  }
  auto list = store_->List(K("p/"), "-");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->objects.size(), 1u);
  EXPECT_EQ(list->objects[0].key, K("p/b"));
  EXPECT_EQ(list->common_prefixes, (std::vector<std::string>{K("p/a-"), K("p/q/c-")}));
}

}  // namespace
}  // namespace shardyfusion
