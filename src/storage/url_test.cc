// OpenStoreForUrl, ResolveInStore and JoinPath.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "shardyfusion/object_store.h"
#include "storage/fault_store.h"
#include "storage/file_store.h"
#include "storage/memory_store.h"

namespace shardyfusion {
namespace {

StoreLocation MustOpen(const std::string& url) {
  auto loc = OpenStoreForUrl(url);
  EXPECT_TRUE(loc.ok()) << url << ": " << loc.status().ToString();
  return loc.ok() ? *loc : StoreLocation{};
}

TEST(OpenStoreForUrlTest, FileUrlsAndPathsMapToTheFileStore) {
  StoreLocation loc = MustOpen("file:///tmp/a/b/");
  EXPECT_NE(dynamic_cast<FileStore*>(loc.store.get()), nullptr);
  EXPECT_EQ(loc.key, "tmp/a/b");
  EXPECT_EQ(MustOpen("/tmp/a/b").key, "tmp/a/b");
  EXPECT_EQ(MustOpen("/tmp//a/./c/../b").key, "tmp/a/b");
  EXPECT_EQ(MustOpen("file:///").key, "");
  EXPECT_EQ(MustOpen("/tmp/a").store.get(), loc.store.get());
}

TEST(OpenStoreForUrlTest, RelativePathsAreMadeAbsolute) {
  const std::string cwd = std::filesystem::current_path().string();
  StoreLocation loc = MustOpen("rel/dir");
  EXPECT_NE(dynamic_cast<FileStore*>(loc.store.get()), nullptr);
  const std::string expected = (cwd == "/" ? "" : cwd.substr(1) + "/") + "rel/dir";
  EXPECT_EQ(loc.key, expected);
  EXPECT_EQ(loc.store->Url(loc.key), "file:///" + expected);
}

TEST(OpenStoreForUrlTest, MemoryUrlsShareOneStorePerName) {
  StoreLocation a = MustOpen("memory://url-test-shared/x/y/");
  EXPECT_EQ(a.key, "x/y");
  ASSERT_NE(dynamic_cast<MemoryStore*>(a.store.get()), nullptr);
  ASSERT_TRUE(a.store->Put("x/y/obj", "shared", PutOptions()).ok());

  StoreLocation b = MustOpen("memory://url-test-shared/x/y/obj");
  EXPECT_EQ(b.store.get(), a.store.get());
  auto got = b.store->Get(b.key);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "shared");

  StoreLocation other = MustOpen("memory://url-test-other");
  EXPECT_NE(other.store.get(), a.store.get());
  EXPECT_EQ(other.key, "");
  EXPECT_EQ(a.store->Url("k"), "memory://url-test-shared/k");
}

TEST(OpenStoreForUrlTest, UnsupportedUrlsAreConfigErrorsNamingThem) {
  for (const std::string url :
       {"http://host/x", "gs://bucket/x", "memory:///nokey", "", "file://host/x"}) {
    auto loc = OpenStoreForUrl(url);
    ASSERT_FALSE(loc.ok()) << url;
    EXPECT_EQ(loc.status().code(), ErrorCode::kConfigValidation) << url;
    EXPECT_NE(loc.status().message().find("'" + url + "'"), std::string::npos)
        << loc.status().ToString();
    EXPECT_NE(loc.status().message().find("memory://"), std::string::npos)
        << "should list the supported schemes: " << loc.status().ToString();
  }
}

TEST(OpenStoreForUrlTest, S3UrlsOpenAStoreForTheBucket) {
  auto s3 = OpenStoreForUrl("s3://my-bucket/some/prefix/");
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  EXPECT_EQ(s3->key, "some/prefix");
  EXPECT_EQ(s3->store->Url("k"), "s3://my-bucket/k");
  auto root = OpenStoreForUrl("s3://my-bucket");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->key, "");
  for (const char* bad : {"s3:///prefix", "s3://UPPER/x", "s3://a/x"}) {
    auto loc = OpenStoreForUrl(bad);
    ASSERT_FALSE(loc.ok()) << bad;
    EXPECT_EQ(loc.status().code(), ErrorCode::kConfigValidation) << bad;
  }
}

TEST(ResolveInStoreTest, ReusesTheStoreOnlyForItsOwnUrls) {
  auto memory = MemoryStore::Named("resolve-test");
  std::shared_ptr<ObjectStore> store = std::make_shared<FaultInjectingStore>(memory);

  auto own = ResolveInStore(store, "memory://resolve-test/m/manifest");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->store.get(), store.get());
  EXPECT_EQ(own->key, "m/manifest");

  // A name that merely starts like this store's is another store.
  auto longer = ResolveInStore(store, "memory://resolve-test-2/k");
  ASSERT_TRUE(longer.ok());
  EXPECT_NE(longer->store.get(), store.get());
  EXPECT_EQ(longer->key, "k");

  auto file = ResolveInStore(store, "file:///tmp/k");
  ASSERT_TRUE(file.ok());
  EXPECT_NE(dynamic_cast<FileStore*>(file->store.get()), nullptr);
  EXPECT_EQ(file->key, "tmp/k");

  EXPECT_FALSE(ResolveInStore(store, "ftp://x/y").ok());
  EXPECT_TRUE(ResolveInStore(nullptr, "memory://resolve-test/k").ok());
}

TEST(JoinPathTest, FollowsTheReferenceRule) {
  EXPECT_EQ(JoinPath("s3://b/root/", {"manifests", "/2026_run_id=x/", "manifest"}),
            "s3://b/root/manifests/2026_run_id=x/manifest");
  EXPECT_EQ(JoinPath("s3://b/root//", {"_CURRENT"}), "s3://b/root/_CURRENT");
  EXPECT_EQ(JoinPath("root", {"", "a", "/", "//b//"}), "root/a/b");
  EXPECT_EQ(JoinPath("root", {"a/b", "c"}), "root/a/b/c");
  EXPECT_EQ(JoinPath("root/", {}), "root");
  // As in the reference, every trailing '/' goes, even from "file:///";
  // join keys (or URLs below the root), not the bare root URL.
  EXPECT_EQ(JoinPath("file:///", {"tmp", "x"}), "file:/tmp/x");
  EXPECT_EQ(JoinPath("/", {"tmp"}), "/tmp");
  // The root key of a store is "", and joining onto it gives a key.
  EXPECT_EQ(JoinPath("", {"a", "b"}), "a/b");
  EXPECT_EQ(JoinPath("", {}), "");
}

}  // namespace
}  // namespace shardyfusion
