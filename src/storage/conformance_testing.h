// The ObjectStore conformance suite: every store implementation must pass
// it. A test binary instantiates it with an environment type that provides
// `store` (a shared_ptr<ObjectStore>) and `base` (a key prefix no other test
// uses):
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(Local, ObjectStoreConformance, MyEnvs);
//
// Thread-safety: gtest fixtures, one per test.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "shardyfusion/object_store.h"
#include "storage/storage_testing.h"

namespace shardyfusion {

template <typename Env>
class ObjectStoreConformance : public ::testing::Test {
 protected:
  ObjectStore& store() { return *env_.store; }
  std::string K(const std::string& rel) const { return env_.base + rel; }
  // Strips the environment's prefix from result keys.
  std::string Rel(const std::string& key) const { return key.substr(env_.base.size()); }

  std::string MustPut(const std::string& rel, const std::string& data) {
    Result<std::string> r = store().Put(K(rel), data, PutOptions());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::string();
  }

  std::vector<std::string> ObjectKeys(const ListResult& list) const {
    std::vector<std::string> out;
    for (const ObjectInfo& o : list.objects) out.push_back(Rel(o.key));
    return out;
  }
  std::vector<std::string> PrefixKeys(const ListResult& list) const {
    std::vector<std::string> out;
    for (const std::string& p : list.common_prefixes) out.push_back(Rel(p));
    return out;
  }

  Env env_;
  ScratchDir local_;  // local files for PutFile / GetToFile
};

TYPED_TEST_SUITE_P(ObjectStoreConformance);

inline PutOptions IfAbsent() {
  PutOptions o;
  o.condition = PutCondition::kIfAbsent;
  return o;
}

inline PutOptions IfMatch(const std::string& etag) {
  PutOptions o;
  o.condition = PutCondition::kIfMatch;
  o.if_match = etag;
  return o;
}

inline std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s + std::string("\0\0tail", 6);
}

TYPED_TEST_P(ObjectStoreConformance, PutGetRoundTripsBinaryAndEmpty) {
  this->MustPut("bin", AllBytes());
  this->MustPut("empty", "");
  auto bin = this->store().Get(this->K("bin"));
  ASSERT_TRUE(bin.ok()) << bin.status().ToString();
  ASSERT_TRUE(bin->has_value());
  EXPECT_EQ(**bin, AllBytes());
  auto empty = this->store().Get(this->K("empty"));
  ASSERT_TRUE(empty.ok() && empty->has_value());
  EXPECT_EQ(**empty, "");
  auto head = this->store().Head(this->K("empty"));
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->size, 0u);
}

TYPED_TEST_P(ObjectStoreConformance, MissingObjectIsNotAnError) {
  auto get = this->store().Get(this->K("nope"));
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_FALSE(get->has_value());
  auto range = this->store().GetRange(this->K("nope"), 0, 10);
  ASSERT_TRUE(range.ok());
  EXPECT_FALSE(range->has_value());
  auto head = this->store().Head(this->K("nope"));
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  const std::string local = this->local_.path() + "/out";
  auto to_file = this->store().GetToFile(this->K("nope"), local);
  ASSERT_TRUE(to_file.ok());
  EXPECT_FALSE(*to_file);
  EXPECT_FALSE(std::filesystem::exists(local));
}

TYPED_TEST_P(ObjectStoreConformance, GetRangeClampsAtEnd) {
  this->MustPut("r", "0123456789");
  auto range = [&](uint64_t off, uint64_t len) {
    auto r = this->store().GetRange(this->K("r"), off, len);
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() ? **r : std::string("<missing>");
  };
  EXPECT_EQ(range(3, 4), "3456");
  EXPECT_EQ(range(7, 100), "789");
  EXPECT_EQ(range(0, UINT64_MAX), "0123456789");
  EXPECT_EQ(range(10, 5), "");
  EXPECT_EQ(range(1000, 5), "");
  EXPECT_EQ(range(2, 0), "");
}

TYPED_TEST_P(ObjectStoreConformance, HeadReportsSizeAndPutEtag) {
  const std::string etag = this->MustPut("h", "hello");
  EXPECT_FALSE(etag.empty());
  auto head = this->store().Head(this->K("h"));
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->key, this->K("h"));
  EXPECT_EQ((*head)->size, 5u);
  EXPECT_EQ((*head)->etag, etag);
}

TYPED_TEST_P(ObjectStoreConformance, ListByPrefixIsNotBoundToDirectories) {
  for (const char* rel : {"a/bd", "a/b", "a/bc/x", "a/c/y", "ab", "a/bc/deep/z"}) {
    this->MustPut(rel, rel);
  }
  auto list = this->store().List(this->K("a/b"), "");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(this->ObjectKeys(*list),
            (std::vector<std::string>{"a/b", "a/bc/deep/z", "a/bc/x", "a/bd"}));
  EXPECT_TRUE(list->common_prefixes.empty());
  for (const ObjectInfo& o : list->objects) {
    auto head = this->store().Head(o.key);
    ASSERT_TRUE(head.ok() && head->has_value());
    EXPECT_EQ(o.size, (*head)->size);
    EXPECT_EQ(o.etag, (*head)->etag);
  }
  auto all = this->store().List(this->env_.base, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->objects.size(), 6u);
  auto none = this->store().List(this->K("zzz/"), "");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->objects.empty() && none->common_prefixes.empty());
}

TYPED_TEST_P(ObjectStoreConformance, ListWithDelimiterFoldsCommonPrefixes) {
  for (const char* rel : {"a/bd", "a/b", "a/bc/x", "a/c/y", "a/c/z/w", "ab"}) {
    this->MustPut(rel, rel);
  }
  auto list = this->store().List(this->K("a/"), "/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(this->ObjectKeys(*list), (std::vector<std::string>{"a/b", "a/bd"}));
  EXPECT_EQ(this->PrefixKeys(*list), (std::vector<std::string>{"a/bc/", "a/c/"}));

  auto partial = this->store().List(this->K("a/b"), "/");
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(this->ObjectKeys(*partial), (std::vector<std::string>{"a/b", "a/bd"}));
  EXPECT_EQ(this->PrefixKeys(*partial), (std::vector<std::string>{"a/bc/"}));

  auto top = this->store().List(this->env_.base, "/");
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(this->ObjectKeys(*top), (std::vector<std::string>{"ab"}));
  EXPECT_EQ(this->PrefixKeys(*top), (std::vector<std::string>{"a/"}));
}

TYPED_TEST_P(ObjectStoreConformance, DeleteRemovesAndToleratesMissing) {
  this->MustPut("d/1", "x");
  this->MustPut("d/2", "y");
  Status s = this->store().Delete({this->K("d/1"), this->K("d/missing"), this->K("nodir/x")});
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto gone = this->store().Get(this->K("d/1"));
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto list = this->store().List(this->K("d/"), "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(this->ObjectKeys(*list), (std::vector<std::string>{"d/2"}));
  EXPECT_TRUE(this->store().Delete({}).ok());
}

TYPED_TEST_P(ObjectStoreConformance, IfAbsentCreatesOnlyOnce) {
  auto first = this->store().Put(this->K("once"), "first", IfAbsent());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = this->store().Put(this->K("once"), "second", IfAbsent());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kPreconditionFailed);
  EXPECT_NE(second.status().message().find("once"), std::string::npos);
  auto got = this->store().Get(this->K("once"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "first");
}

TYPED_TEST_P(ObjectStoreConformance, IfMatchComparesEtag) {
  const std::string etag = this->MustPut("cas", "v1");
  // A different ETag of the same length: Ceph RGW (16.2) compares If-Match
  // as a prefix, so "<etag>x" would match there.
  std::string other = etag;
  other[0] = other[0] == '0' ? '1' : '0';
  auto wrong = this->store().Put(this->K("cas"), "bad", IfMatch(other));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), ErrorCode::kPreconditionFailed);
  auto right = this->store().Put(this->K("cas"), "v2", IfMatch(etag));
  ASSERT_TRUE(right.ok()) << right.status().ToString();
  EXPECT_NE(*right, etag);
  auto stale = this->store().Put(this->K("cas"), "v3", IfMatch(etag));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), ErrorCode::kPreconditionFailed);
  auto got = this->store().Get(this->K("cas"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "v2");
  auto missing = this->store().Put(this->K("cas-missing"), "x", IfMatch(etag));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kPreconditionFailed);
  auto head = this->store().Head(this->K("cas-missing"));
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
}

TYPED_TEST_P(ObjectStoreConformance, RacingIfAbsentHasExactlyOneWinner) {
  constexpr int kThreads = 8;
  std::vector<Result<std::string>> results(kThreads, Status(ErrorCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      results[i] = this->store().Put(this->K("race"), "writer-" + std::to_string(i), IfAbsent());
    });
  }
  for (auto& t : threads) t.join();
  int winner = -1;
  for (int i = 0; i < kThreads; ++i) {
    if (results[i].ok()) {
      EXPECT_EQ(winner, -1) << "two winners";
      winner = i;
    } else {
      EXPECT_EQ(results[i].status().code(), ErrorCode::kPreconditionFailed)
          << results[i].status().ToString();
    }
  }
  ASSERT_NE(winner, -1);
  auto got = this->store().Get(this->K("race"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "writer-" + std::to_string(winner));
}

TYPED_TEST_P(ObjectStoreConformance, IfMatchIncrementsNeverLoseUpdates) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 10;
  this->MustPut("counter", "0");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int done = 0; done < kIncrements;) {
        auto head = this->store().Head(this->K("counter"));
        auto got = this->store().Get(this->K("counter"));
        if (!head.ok() || !got.ok() || !head->has_value() || !got->has_value()) {
          ++failures;
          return;
        }
        // Head and Get may straddle another writer; the CAS then just fails.
        const int value = std::stoi(**got);
        auto put = this->store().Put(this->K("counter"), std::to_string(value + 1),
                                     IfMatch((*head)->etag));
        if (put.ok()) {
          ++done;
        } else if (put.status().code() != ErrorCode::kPreconditionFailed) {
          ++failures;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto got = this->store().Get(this->K("counter"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, std::to_string(kThreads * kIncrements));
}

TYPED_TEST_P(ObjectStoreConformance, PutFileAndGetToFileStreamMultiMiB) {
  const std::string src = this->local_.path() + "/src.bin";
  std::string content(5 * 1024 * 1024 + 123, '\0');
  std::mt19937 rng(7);
  for (char& c : content) c = static_cast<char>(rng());
  std::ofstream(src, std::ios::binary).write(content.data(), content.size());

  auto put = this->store().PutFile(this->K("big/blob"), src, PutOptions());
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  auto head = this->store().Head(this->K("big/blob"));
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->size, content.size());
  EXPECT_EQ((*head)->etag, *put);

  const std::string dst = this->local_.path() + "/dst.bin";
  std::ofstream(dst) << "stale contents longer than nothing";
  auto fetched = this->store().GetToFile(this->K("big/blob"), dst);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_TRUE(*fetched);
  std::ifstream in(dst, std::ios::binary);
  const std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(back == content) << "sizes " << back.size() << " vs " << content.size();

  auto tail = this->store().GetRange(this->K("big/blob"), content.size() - 10, 100);
  ASSERT_TRUE(tail.ok() && tail->has_value());
  EXPECT_EQ(**tail, content.substr(content.size() - 10));

  auto missing = this->store().PutFile(this->K("x"), this->local_.path() + "/nope", PutOptions());
  EXPECT_FALSE(missing.ok());
}

TYPED_TEST_P(ObjectStoreConformance, PutFileOfDisposableSourceSurvivesItsDeletion) {
  const std::string src = this->local_.path() + "/disposable.bin";
  const std::string content(3 * 1024 * 1024 + 5, 'd');
  std::ofstream(src, std::ios::binary).write(content.data(), content.size());
  PutOptions options;
  options.source_disposable = true;
  auto put = this->store().PutFile(this->K("taken/over"), src, options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  ASSERT_TRUE(std::filesystem::remove(src));
  auto got = this->store().Get(this->K("taken/over"));
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_TRUE(**got == content) << "size " << (*got)->size();
  auto head = this->store().Head(this->K("taken/over"));
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->etag, *put);
}

TYPED_TEST_P(ObjectStoreConformance, UrlResolvesBackToTheSameStore) {
  const std::string url = this->store().Url(this->K("p/q"));
  EXPECT_TRUE(url.ends_with(this->K("p/q"))) << url;
  auto loc = ResolveInStore(this->env_.store, url);
  ASSERT_TRUE(loc.ok()) << loc.status().ToString();
  EXPECT_EQ(loc->store.get(), this->env_.store.get());
  EXPECT_EQ(loc->key, this->K("p/q"));
}

TYPED_TEST_P(ObjectStoreConformance, GetSuffixReadsTheTail) {
  this->MustPut("tail", "0123456789");
  auto suffix = [&](uint64_t len) {
    auto r = this->store().GetSuffix(this->K("tail"), len);
    EXPECT_TRUE(r.ok() && r->has_value()) << (r.ok() ? "missing" : r.status().ToString());
    return r.ok() && r->has_value() ? **r : std::string("<missing>");
  };
  EXPECT_EQ(suffix(4), "6789");
  EXPECT_EQ(suffix(10), "0123456789");
  EXPECT_EQ(suffix(100), "0123456789");
  EXPECT_EQ(suffix(0), "");
  auto missing = this->store().GetSuffix(this->K("no-tail"), 4);
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());
}

REGISTER_TYPED_TEST_SUITE_P(ObjectStoreConformance, PutGetRoundTripsBinaryAndEmpty,
                            MissingObjectIsNotAnError, GetRangeClampsAtEnd,
                            HeadReportsSizeAndPutEtag, ListByPrefixIsNotBoundToDirectories,
                            ListWithDelimiterFoldsCommonPrefixes, DeleteRemovesAndToleratesMissing,
                            IfAbsentCreatesOnlyOnce, IfMatchComparesEtag,
                            RacingIfAbsentHasExactlyOneWinner, IfMatchIncrementsNeverLoseUpdates,
                            PutFileAndGetToFileStreamMultiMiB,
                            PutFileOfDisposableSourceSurvivesItsDeletion,
                            UrlResolvesBackToTheSameStore, GetSuffixReadsTheTail);

}  // namespace shardyfusion
