// Shard writer checkpoints (ShardWriter::Checkpoint, ShardWriterFactory::
// Resume) for every backend: a writer that stops after a checkpoint (its
// process killed: Detach) and is resumed from the description seals the
// same shard a writer that never stopped seals.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/status_internal.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "storage/memory_store.h"
#include "storage/storage_testing.h"

namespace shardyfusion {
namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

struct Backend {
  std::string name;
  bool slatedb = false;
  SlateDbWriteMode mode = SlateDbWriteMode::kDirect;
  uint64_t sort_memory = 0;  // 0: every run is a spool file
};

std::string PrintBackend(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

class CheckpointTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = std::make_shared<MemoryStore>("checkpoint-test");
    ctx_.store = store_;
    ctx_.db_key = "snap/db=00000/attempt=00";
    ctx_.local_dir = dir_.path() + "/db=00000/attempt=00";
  }

  std::shared_ptr<ShardWriterFactory> Factory(std::optional<SlateDbWriteMode> mode = {}) {
    const Backend& b = GetParam();
    if (!b.slatedb) {
      SqliteWriterOptions o;
      o.sort_memory_bytes = b.sort_memory;
      return NewSqliteWriterFactory(o);
    }
    SlateDbWriterOptions o;
    o.mode = mode.value_or(b.mode);
    o.sort_memory_bytes = b.sort_memory;
    o.l0_sst_size_bytes = 6000;  // an L0 every few batches: runs are consumed mid-build
    return NewSlateDbWriterFactory(o);
  }

  std::shared_ptr<ShardReaderFactory> Reader() {
    return GetParam().slatedb ? NewSlateDbReaderFactory() : NewSqliteReaderFactory();
  }

  // Batch i: 40 keys out of 200, so later batches overwrite earlier ones.
  static Rows Batch(int i) {
    std::mt19937 rng(i);
    Rows rows;
    for (int n = 0; n < 40; ++n) {
      const std::string key = "k" + std::to_string(1000 + rng() % 200);
      rows.emplace_back(key, "v" + std::to_string(i) + "-" + key + std::string(100, 'x'));
    }
    return rows;
  }

  static Status Write(ShardWriter& w, int i) {
    KvBatch batch;
    for (const auto& [k, v] : Batch(i)) batch.Add(k, v);
    return w.WriteBatch(batch);
  }

  // What the shard must hold after batches 0..n-1, last write winning.
  static std::map<std::string, std::string> Model(int n) {
    std::map<std::string, std::string> m;
    for (int i = 0; i < n; ++i) {
      for (const auto& [k, v] : Batch(i)) m[k] = v;
    }
    return m;
  }

  void ExpectShard(const std::map<std::string, std::string>& model) {
    ShardReaderContext rc;
    rc.store = store_;
    rc.db_key = ctx_.db_key;
    rc.db_url = store_->Url(ctx_.db_key);
    rc.local_dir = dir_.path() + "/read";
    Result<std::unique_ptr<ShardReader>> r = Reader()->Open(rc);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& [k, v] : model) {
      Result<std::optional<std::string>> got = (*r)->Get(k);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_TRUE(got->has_value()) << "missing " << k;
      EXPECT_EQ(**got, v) << k;
    }
    Result<std::optional<std::string>> absent = (*r)->Get("k9999");
    ASSERT_TRUE(absent.ok());
    EXPECT_FALSE(absent->has_value());
  }

  // A writer that took batch 0, checkpointed and stopped (Detach): the
  // checkpoint's description.
  Result<std::string> CheckpointedOneBatch(ShardWriterFactory& factory) {
    SHARDY_ASSIGN_OR_RETURN(std::unique_ptr<ShardWriter> w, factory.Open(ctx_));
    SHARDY_RETURN_IF_ERROR(Write(*w, 0));
    Result<std::string> state = w->Checkpoint();
    w->Detach();
    return state;
  }

  std::set<std::string> LocalFiles() {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(ctx_.local_dir, ec)) {
      names.insert(e.path().filename().string());
    }
    return names;
  }

  static std::set<std::string> NamedFiles(const std::string& state) {
    std::set<std::string> names;
    const nlohmann::json j = nlohmann::json::parse(state);
    for (const auto& r : j["runs"]) names.insert(r["file"].get<std::string>());
    return names;
  }

  ScratchDir dir_;
  std::shared_ptr<MemoryStore> store_;
  ShardWriterContext ctx_;
};

TEST_P(CheckpointTest, ResumedWriterSealsWhatAnUninterruptedOneWould) {
  auto factory = Factory();
  ASSERT_TRUE(factory->supports_checkpoints());
  Result<std::unique_ptr<ShardWriter>> w = factory->Open(ctx_);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Write(**w, i).ok());
  Result<std::string> state = (*w)->Checkpoint();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  // Direct mode made an L0 of every two batches (4.5 KB each, 6,000-byte
  // L0s): one run is left; the other modes hold all five.
  const bool direct = GetParam().slatedb && GetParam().mode == SlateDbWriteMode::kDirect;
  EXPECT_EQ(NamedFiles(*state).size(), direct ? 1u : 5u) << *state;
  // Written after the checkpoint, then lost with the process: in direct
  // mode these batches also consume the checkpointed runs into an L0.
  for (int i = 5; i < 9; ++i) ASSERT_TRUE(Write(**w, i).ok());
  (*w)->Detach();
  w->reset();
  for (const std::string& f : NamedFiles(*state)) {
    EXPECT_TRUE(LocalFiles().contains(f)) << f << " must outlive its runs' consumption";
  }

  Result<std::unique_ptr<ShardWriter>> resumed = factory->Resume(ctx_, *state);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  for (int i = 5; i < 12; ++i) ASSERT_TRUE(Write(**resumed, i).ok());
  Result<SealResult> sealed = (*resumed)->Seal();
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(ctx_.local_dir)) << "the seal removes every local file";
  ExpectShard(Model(12));
}

TEST_P(CheckpointTest, AConsumedRunsFileGoesAtTheCheckpointAfterNext) {
  auto factory = Factory();
  Result<std::unique_ptr<ShardWriter>> w = factory->Open(ctx_);
  ASSERT_TRUE(w.ok());
  std::vector<std::string> states;
  for (int round = 0; round < 4; ++round) {
    for (int i = 3 * round; i < 3 * round + 3; ++i) ASSERT_TRUE(Write(**w, i).ok());
    Result<std::string> st = (*w)->Checkpoint();
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    states.push_back(*st);
  }
  // Only the last two checkpoints' files may remain (the last one's and,
  // until the next checkpoint, those the one before it named).
  std::set<std::string> allowed = NamedFiles(states[3]);
  for (const std::string& f : NamedFiles(states[2])) allowed.insert(f);
  for (const std::string& f : LocalFiles()) {
    if (f.starts_with("ckpt-")) {
      EXPECT_TRUE(allowed.contains(f)) << f;
    }
  }
  if (GetParam().slatedb && GetParam().mode == SlateDbWriteMode::kDirect) {
    EXPECT_LT(NamedFiles(states[3]).size(), 12u) << "L0 flushes consumed runs";
  }
  // A second resume from the same checkpoint works as well as the first.
  (*w)->Detach();
  w->reset();
  for (int attempt = 0; attempt < 2; ++attempt) {
    Result<std::unique_ptr<ShardWriter>> r = factory->Resume(ctx_, states[3]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(Write(**r, 12).ok());
    if (attempt == 0) {
      (*r)->Detach();
      continue;
    }
    ASSERT_TRUE((*r)->Seal().ok());
  }
  ExpectShard(Model(13));
}

TEST_P(CheckpointTest, AStateOfAnotherBackendOrModeIsRefusedAndLeftIntact) {
  auto factory = Factory();
  Result<std::string> state = CheckpointedOneBatch(*factory);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  // SlateDB in the other mode; for SQLite, SlateDB.
  std::shared_ptr<ShardWriterFactory> other;
  const char* word = "backend";
  if (GetParam().slatedb) {
    other = Factory(GetParam().mode == SlateDbWriteMode::kDirect ? SlateDbWriteMode::kLocal
                                                                 : SlateDbWriteMode::kDirect);
    word = "mode";
  } else {
    other = NewSlateDbWriterFactory();
  }
  Result<std::unique_ptr<ShardWriter>> r = other->Resume(ctx_, *state);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConfigValidation);
  EXPECT_NE(r.status().message().find(word), std::string::npos) << r.status().ToString();
  for (const std::string& f : NamedFiles(*state)) EXPECT_TRUE(LocalFiles().contains(f)) << f;
  Result<std::unique_ptr<ShardWriter>> same = factory->Resume(ctx_, *state);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  ASSERT_TRUE((*same)->Seal().ok());
  ExpectShard(Model(1));
}

TEST_P(CheckpointTest, ADamagedStateOrAMissingFileIsAnError) {
  auto factory = Factory();
  Result<std::string> state = CheckpointedOneBatch(*factory);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  Result<std::unique_ptr<ShardWriter>> bad = factory->Resume(ctx_, "{\"format\": 1}");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("damaged"), std::string::npos) << bad.status().ToString();
  // A run whose bytes changed (a machine crash before they reached the
  // disk) is refused, not sealed into the shard.
  const std::string one = ctx_.local_dir + "/" + *NamedFiles(*state).begin();
  {
    std::fstream f(one, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x7f');
  }
  Result<std::unique_ptr<ShardWriter>> changed = factory->Resume(ctx_, *state);
  ASSERT_FALSE(changed.ok());
  EXPECT_NE(changed.status().message().find("is damaged"), std::string::npos)
      << changed.status().ToString();
  for (const std::string& f : NamedFiles(*state)) {
    std::filesystem::remove(ctx_.local_dir + "/" + f);
  }
  Result<std::unique_ptr<ShardWriter>> gone = factory->Resume(ctx_, *state);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), ErrorCode::kShardWrite);
  EXPECT_NE(gone.status().message().find("start a new build"), std::string::npos)
      << gone.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Backends, CheckpointTest,
    ::testing::Values(Backend{"SqliteSpooled", false, SlateDbWriteMode::kDirect, 0},
                      Backend{"SqliteInMemory", false, SlateDbWriteMode::kDirect, 64 << 20},
                      Backend{"SlateDbDirectSpooled", true, SlateDbWriteMode::kDirect, 0},
                      Backend{"SlateDbDirectInMemory", true, SlateDbWriteMode::kDirect, 64 << 20},
                      Backend{"SlateDbLocalSpooled", true, SlateDbWriteMode::kLocal, 0},
                      Backend{"SlateDbLocalInMemory", true, SlateDbWriteMode::kLocal, 64 << 20}),
    PrintBackend);

}  // namespace
}  // namespace shardyfusion
