#include "writer/run_id_check.h"

#include <gtest/gtest.h>

#include "storage/memory_store.h"

namespace shardyfusion {
namespace {

class RunIdCheckTest : public ::testing::Test {
 protected:
  Status Check(const std::string& run_id) {
    return CheckRunIdUnused(*store_, "root", "shards", "runs", run_id);
  }
  void Put(const std::string& key) { ASSERT_TRUE(store_->Put(key, "x", PutOptions()).ok()); }

  std::shared_ptr<MemoryStore> store_ = std::make_shared<MemoryStore>("run_id_check");
};

TEST_F(RunIdCheckTest, AnEmptyPrefixIsFree) { EXPECT_TRUE(Check("r1").ok()); }

TEST_F(RunIdCheckTest, EachTraceOfARunTakesItsId) {
  const struct {
    const char* key;
    const char* what;
  } cases[] = {
      {"root/shards/run_id=r1/db=00000/attempt=00/shard.db", "shard objects"},
      {"root/shards/run_id=r1/stray", "shard objects"},
      {"root/manifests/2026-01-02T03:04:05.123456Z_run_id=r1/manifest", "a manifest"},
      {"root/runs/2026-01-02T03:04:05.123456Z_run_id=r1_0123456789abcdef0123456789abcdef/run.yaml",
       "a run record"},
  };
  for (const auto& c : cases) {
    store_ = std::make_shared<MemoryStore>("run_id_check");
    Put(c.key);
    Status st = Check("r1");
    ASSERT_FALSE(st.ok()) << c.key;
    EXPECT_EQ(st.code(), ErrorCode::kConfigValidation);
    EXPECT_NE(st.message().find("run_id \"r1\" is already used"), std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find(c.what), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("memory://run_id_check/root/"), std::string::npos) << st.message();
  }
}

TEST_F(RunIdCheckTest, OtherRunsWithSimilarIdsDoNotCount) {
  Put("root/shards/run_id=r10/db=00000/attempt=00/shard.db");
  Put("root/shards/run_id=r/db=00000/attempt=00/shard.db");
  Put("root/manifests/2026-01-02T03:04:05.123456Z_run_id=r1x/manifest");
  // The run id "r1_0123..." with a uuid is another run's record, and a
  // record whose suffix is no uuid belongs to no run id "r1".
  Put("root/runs/2026-01-02T03:04:05.123456Z_run_id=r1_0123456789abcdef0123456789abcdef_"
      "0123456789abcdef0123456789abcdef/run.yaml");
  Put("root/runs/2026-01-02T03:04:05.123456Z_run_id=r1_notauuid/run.yaml");
  Put("root/elsewhere/run_id=r1/x");
  EXPECT_TRUE(Check("r1").ok()) << Check("r1").ToString();
}

}  // namespace
}  // namespace shardyfusion
