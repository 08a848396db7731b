// The SlateDB shard writer, read back by our DbReader (and, in
// tools/slatedb-oracle/check-writer.sh, by real SlateDB).

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "backend/slatedb/db_reader.h"
#include "backend/slatedb/manifest.h"
#include "core/status_internal.h"
#include "shardyfusion/slatedb_backend.h"
#include "storage/fault_store.h"
#include "storage/memory_store.h"
#include "storage/storage_testing.h"

namespace shardyfusion {
namespace {

using Model = std::map<std::string, std::string>;

class SlateDbWriterTest : public ::testing::TestWithParam<SlateDbWriteMode> {
 protected:
  void SetUp() override {
    store_ = std::make_shared<MemoryStore>("slatedb-writer-test");
    options_.mode = GetParam();
  }

  ShardWriterContext Context(const std::string& name) {
    ShardWriterContext ctx;
    ctx.store = store_;
    ctx.db_key = "snap/" + name;
    ctx.local_dir = dir_.path() + "/" + name;
    return ctx;
  }

  // Writes `batches` as one shard and returns the seal result.
  Result<SealResult> WriteShard(
      const std::string& name,
      const std::vector<std::vector<std::pair<std::string, std::string>>>& batches) {
    auto factory = NewSlateDbWriterFactory(options_);
    SHARDY_ASSIGN_OR_RETURN(std::unique_ptr<ShardWriter> w, factory->Open(Context(name)));
    for (const auto& rows : batches) {
      KvBatch batch;
      for (const auto& [k, v] : rows) batch.Add(k, v);
      SHARDY_RETURN_IF_ERROR(w->WriteBatch(batch));
    }
    return w->Seal();
  }

  std::unique_ptr<slatedb::DbReader> Open(const std::string& name) {
    Result<std::unique_ptr<slatedb::DbReader>> r = slatedb::DbReader::Open(store_, "snap/" + name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  void ExpectContents(slatedb::DbReader& db, const Model& model) {
    for (const auto& [k, v] : model) {
      Result<std::optional<std::string>> got = db.Get(k);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_TRUE(got->has_value()) << "missing key " << k;
      EXPECT_EQ(**got, v) << k;
    }
  }

  std::vector<std::string> Keys(const std::string& prefix) {
    std::vector<std::string> out;
    Result<ListResult> list = store_->List(prefix, "");
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (!list.ok()) return out;
    for (const ObjectInfo& o : list->objects) out.push_back(o.key);
    return out;
  }

  ScratchDir dir_;
  std::shared_ptr<MemoryStore> store_;
  SlateDbWriterOptions options_;
};

// Random batches with keys repeated within and across batches: the last
// write of each key wins, as in SQLite's INSERT OR REPLACE.
TEST_P(SlateDbWriterTest, LastWriteWinsAcrossBatchesAndSsts) {
  options_.l0_sst_size_bytes = 20000;   // several L0s in direct mode
  options_.max_sst_size_bytes = 30000;  // several run SSTs in local mode
  std::mt19937_64 rng(7);
  std::vector<std::vector<std::pair<std::string, std::string>>> batches(12);
  Model model;
  int n = 0;
  for (auto& batch : batches) {
    for (int i = 0; i < 400; ++i) {
      const std::string k = "key-" + std::to_string(rng() % 3000);
      const std::string v = "v" + std::to_string(n++) + std::string(rng() % 30, 'x');
      batch.emplace_back(k, v);
      model[k] = v;
    }
  }
  Result<SealResult> sealed = WriteShard("lww", batches);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_GT(sealed->db_bytes, 0u);
  auto db = Open("lww");
  ASSERT_NE(db, nullptr);
  ExpectContents(*db, model);
  for (int i = 3000; i < 3200; ++i) EXPECT_FALSE(db->Get("key-" + std::to_string(i))->has_value());

  const slatedb::DbManifest& m = db->manifest();
  EXPECT_EQ(db->manifest_id(), 1u);
  EXPECT_EQ(m.writer_epoch, 1u);
  EXPECT_EQ(db->wal_rows_replayed(), 0u);
  if (GetParam() == SlateDbWriteMode::kDirect) {
    EXPECT_GT(m.l0.size(), 3u);
    EXPECT_TRUE(m.compacted.empty());
    EXPECT_EQ(m.last_l0_seq, m.l0.size());  // one sequence number per L0
  } else {
    EXPECT_TRUE(m.l0.empty());
    ASSERT_EQ(m.compacted.size(), 1u);
    EXPECT_GT(m.compacted[0].ssts.size(), 1u);
    EXPECT_EQ(m.last_l0_seq, 1u);
    // The run's SSTs are in key order and do not overlap.
    const auto& ssts = m.compacted[0].ssts;
    for (size_t i = 1; i < ssts.size(); ++i) {
      EXPECT_LT(*ssts[i - 1].info.last_entry, ssts[i].info.first_entry);
    }
  }
  for (const auto& h : m.l0) EXPECT_EQ(h.format_version, 2);
  // Only the manifest and the SSTs it names are left under the attempt.
  size_t ssts = m.l0.size() + (m.compacted.empty() ? 0 : m.compacted[0].ssts.size());
  EXPECT_EQ(Keys("snap/lww/").size(), ssts + 1);
  EXPECT_EQ(Keys("snap/lww/compacted/").size(), ssts);
  // Nothing stays in the local directory.
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/lww"));
}

TEST_P(SlateDbWriterTest, SpillsEveryRunWithNoSortMemory) {
  options_.sort_memory_bytes = 0;
  options_.max_merge_fan_in = 2;  // forces merge passes
  std::vector<std::vector<std::pair<std::string, std::string>>> batches(9);
  Model model;
  for (size_t b = 0; b < batches.size(); ++b) {
    for (int i = 0; i < 300; ++i) {
      const std::string k = "k" + std::to_string((i * 7 + b * 13) % 1000);
      batches[b].emplace_back(k, "b" + std::to_string(b));
      model[k] = "b" + std::to_string(b);
    }
  }
  ASSERT_TRUE(WriteShard("spill", batches).ok());
  auto db = Open("spill");
  ASSERT_NE(db, nullptr);
  ExpectContents(*db, model);
}

TEST_P(SlateDbWriterTest, BinaryKeysAndEmptyValues) {
  std::vector<std::pair<std::string, std::string>> rows;
  Model model;
  for (int i = 0; i < 2000; ++i) {
    std::string k(8, '\0');
    for (int j = 0; j < 8; ++j)
      k[j] = static_cast<char>((uint64_t(i) * 0x9E3779B97F4A7C15ull) >> (j * 8));
    rows.emplace_back(k, i % 3 == 0 ? "" : std::string(1, static_cast<char>(i)));
    model[k] = rows.back().second;
  }
  ASSERT_TRUE(WriteShard("bin", {rows}).ok());
  auto db = Open("bin");
  ASSERT_NE(db, nullptr);
  ExpectContents(*db, model);
}

TEST_P(SlateDbWriterTest, EveryCodec) {
  for (SlateDbCompression c : {SlateDbCompression::kSnappy, SlateDbCompression::kZlib,
                               SlateDbCompression::kLz4, SlateDbCompression::kZstd}) {
    options_.compression = c;
    std::vector<std::pair<std::string, std::string>> rows;
    Model model;
    for (int i = 0; i < 3000; ++i) {
      rows.emplace_back("key" + std::to_string(i), std::string(50, 'a' + i % 26));
      model[rows.back().first] = rows.back().second;
    }
    const std::string name = "codec" + std::to_string(static_cast<int>(c));
    ASSERT_TRUE(WriteShard(name, {rows}).ok());
    auto db = Open(name);
    ASSERT_NE(db, nullptr);
    ExpectContents(*db, model);
    const auto& m = db->manifest();
    const auto& h = m.l0.empty() ? m.compacted[0].ssts[0] : m.l0[0];
    EXPECT_EQ(static_cast<int>(h.info.compression), static_cast<int>(c));
  }
}

TEST_P(SlateDbWriterTest, RejectsKeysSlateDbCannotHold) {
  auto factory = NewSlateDbWriterFactory(options_);
  for (const std::string& bad : {std::string(), std::string(65536, 'k')}) {
    Result<std::unique_ptr<ShardWriter>> w = factory->Open(Context("bad"));
    ASSERT_TRUE(w.ok());
    KvBatch batch;
    batch.Add("fine", "v");
    batch.Add(bad, "v");
    Status st = (*w)->WriteBatch(batch);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(st.message().find(std::to_string(bad.size()) + " bytes"), std::string::npos)
        << st.message();
    EXPECT_FALSE((*w)->Seal().ok());  // a writer that lost a batch never seals
  }
  EXPECT_TRUE(Keys("snap/bad/").empty());
}

TEST_P(SlateDbWriterTest, FailedManifestLeavesNothing) {
  auto faulty = std::make_shared<FaultInjectingStore>(store_);
  FaultRule rule;
  rule.op = StoreOp::kPut;
  rule.key_contains = "/manifest/";
  faulty->AddRule(rule);
  options_.l0_sst_size_bytes = 1000;
  auto factory = NewSlateDbWriterFactory(options_);
  ShardWriterContext ctx = Context("fail");
  ctx.store = faulty;
  Result<std::unique_ptr<ShardWriter>> w = factory->Open(ctx);
  ASSERT_TRUE(w.ok());
  for (int b = 0; b < 5; ++b) {
    KvBatch batch;
    for (int i = 0; i < 100; ++i) batch.Add("k" + std::to_string(b * 100 + i), "value");
    ASSERT_TRUE((*w)->WriteBatch(batch).ok());
  }
  Result<SealResult> sealed = (*w)->Seal();
  ASSERT_FALSE(sealed.ok());
  EXPECT_NE(sealed.status().message().find("manifest"), std::string::npos)
      << sealed.status().ToString();
  // The SSTs it uploaded are removed; no database is visible.
  EXPECT_TRUE(Keys("snap/fail/").empty());
  EXPECT_FALSE(slatedb::DbReader::Open(store_, "snap/fail").ok());
}

// The manifest PUT lands but its reply is lost, and the retry finds the name
// taken: the writer recognises its own bytes and the seal succeeds.
TEST_P(SlateDbWriterTest, LostManifestReplyIsNotAConflict) {
  auto faulty = std::make_shared<FaultInjectingStore>(store_);
  FaultRule lost;
  lost.op = StoreOp::kPut;
  lost.key_contains = "/manifest/";
  lost.nth = 1;
  lost.after_effect = true;
  lost.error = Status(ErrorCode::kPreconditionFailed, "name taken (the first try landed)");
  faulty->AddRule(lost);
  auto factory = NewSlateDbWriterFactory(options_);
  ShardWriterContext ctx = Context("lost");
  ctx.store = faulty;
  Result<std::unique_ptr<ShardWriter>> w = factory->Open(ctx);
  ASSERT_TRUE(w.ok());
  KvBatch batch;
  batch.Add("k", "v");
  ASSERT_TRUE((*w)->WriteBatch(batch).ok());
  Result<SealResult> sealed = (*w)->Seal();
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  auto db = Open("lost");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(*db->Get("k").value(), "v");

  // A manifest that is someone else's is a real conflict.
  ASSERT_TRUE(store_->Put("snap/taken/manifest/00000000000000000001.manifest", "other", {}).ok());
  Result<std::unique_ptr<ShardWriter>> w2 = factory->Open(Context("taken"));
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE((*w2)->WriteBatch(batch).ok());
  Result<SealResult> conflict = (*w2)->Seal();
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), ErrorCode::kPreconditionFailed);
}

TEST_P(SlateDbWriterTest, AbandonRemovesUploadsAndLocalFiles) {
  options_.l0_sst_size_bytes = 1000;
  auto factory = NewSlateDbWriterFactory(options_);
  Result<std::unique_ptr<ShardWriter>> w = factory->Open(Context("gone"));
  ASSERT_TRUE(w.ok());
  KvBatch batch;
  for (int i = 0; i < 500; ++i) batch.Add("k" + std::to_string(i), "value");
  ASSERT_TRUE((*w)->WriteBatch(batch).ok());
  if (GetParam() == SlateDbWriteMode::kDirect) {
    EXPECT_FALSE(Keys("snap/gone/compacted/").empty());  // uploaded as it went
  }
  (*w)->Abandon();
  EXPECT_TRUE(Keys("snap/gone/").empty());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/gone"));
}

// A single changed byte in a manifest's copy of an SST's first key (the
// FlatBuffer still verifies) once hid existing keys. The copy is checked
// against the SST when it is opened, and sorted runs against their order.
TEST_P(SlateDbWriterTest, AManifestThatMisstatesItsSstsIsRefused) {
  options_.l0_sst_size_bytes = 8 << 10;
  options_.max_sst_size_bytes = 8 << 10;
  options_.block_size = 1024;
  std::vector<std::vector<std::pair<std::string, std::string>>> batches(4);
  for (int i = 0; i < 2000; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "k%05d", i);
    batches[i % 4].emplace_back(key, std::string(20, 'v'));
  }
  ASSERT_TRUE(WriteShard("db", batches).ok());
  const std::string key = "snap/db/" + slatedb::ManifestName(1);
  const std::string good = store_->Get(key)->value();
  Result<slatedb::DbManifest> m = slatedb::DecodeManifest(good, key);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const bool direct = GetParam() == SlateDbWriteMode::kDirect;
  ASSERT_GE(direct ? m->l0.size() : m->compacted.at(0).ssts.size(), 2u);

  const auto with = [&](const std::function<void(slatedb::DbManifest*)>& change) {
    slatedb::DbManifest bad = *m;
    change(&bad);
    EXPECT_TRUE(store_->Put(key, slatedb::EncodeManifestV1(bad), {}).ok());
  };
  const auto open_or_first_error = [&]() -> Status {
    Result<std::unique_ptr<slatedb::DbReader>> db = slatedb::DbReader::Open(store_, "snap/db");
    if (!db.ok()) return db.status();
    for (int i = 0; i < 2000; ++i) {
      char k[16];
      std::snprintf(k, sizeof k, "k%05d", i);
      Result<std::optional<std::string>> got = (*db)->Get(k);
      if (!got.ok()) return got.status();
      if (!got->has_value()) return Status(ErrorCode::kInternal, std::string("lost ") + k);
    }
    return Status::OK();
  };

  // A first key moved past the SST's real first key.
  with([&](slatedb::DbManifest* bad) {
    slatedb::SstHandle& h = direct ? bad->l0[1] : bad->compacted[0].ssts[1];
    h.info.first_entry.back() = static_cast<char>(h.info.first_entry.back() + 1);
  });
  Status st = open_or_first_error();
  EXPECT_EQ(st.code(), ErrorCode::kDbAdapter) << st.ToString();
  EXPECT_NE(st.message().find("(its first key) differs from the SST itself"), std::string::npos)
      << st.ToString();

  // Index offsets that are not the SST's.
  with([&](slatedb::DbManifest* bad) {
    slatedb::SstHandle& h = direct ? bad->l0[0] : bad->compacted[0].ssts[0];
    h.info.index_offset += 1;
  });
  st = open_or_first_error();
  EXPECT_EQ(st.code(), ErrorCode::kDbAdapter) << st.ToString();

  if (!direct) {
    // A sorted run whose SSTs are out of order.
    with([&](slatedb::DbManifest* bad) {
      std::swap(bad->compacted[0].ssts[0], bad->compacted[0].ssts[1]);
    });
    st = open_or_first_error();
    EXPECT_EQ(st.code(), ErrorCode::kDbAdapter) << st.ToString();
    EXPECT_NE(st.message().find("not in ascending, disjoint key order"), std::string::npos)
        << st.ToString();
  }

  // The manifest as written reads every key.
  ASSERT_TRUE(store_->Put(key, good, {}).ok());
  st = open_or_first_error();
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_P(SlateDbWriterTest, RejectsBadOptions) {
  options_.block_size = 100;
  Result<std::unique_ptr<ShardWriter>> w = NewSlateDbWriterFactory(options_)->Open(Context("x"));
  EXPECT_EQ(w.status().code(), ErrorCode::kConfigValidation);
  options_ = {};
  options_.max_merge_fan_in = 1;
  w = NewSlateDbWriterFactory(options_)->Open(Context("x"));
  EXPECT_EQ(w.status().code(), ErrorCode::kConfigValidation);
}

INSTANTIATE_TEST_SUITE_P(Modes, SlateDbWriterTest,
                         ::testing::Values(SlateDbWriteMode::kDirect, SlateDbWriteMode::kLocal),
                         [](const auto& info) {
                           return info.param == SlateDbWriteMode::kDirect ? "Direct" : "Local";
                         });

}  // namespace
}  // namespace shardyfusion
