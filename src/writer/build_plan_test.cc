// ValidateBuild as a table: one configuration change per row, and the error
// it must give (or the plan it must give).
#include "writer/build_plan.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "shardyfusion/sqlite_backend.h"

namespace shardyfusion {
namespace {

struct PlanCase {
  const char* name;
  std::function<void(WriteConfig&, WriteOptions&)> change;
  const char* error;  // a substring of the kConfigValidation message; "" = valid
};

WriteConfig BaseConfig() {
  WriteConfig c;
  c.s3_prefix = "memory://plan-test/snap";
  return c;
}

PlanDefaults Defaults() {
  PlanDefaults d;
  d.local_root = "/staging";
  d.cores = 3;
  d.fresh_run_id = "fresh";
  return d;
}

TEST(BuildPlanTest, EachBadSettingIsNamed) {
  const std::vector<PlanCase> cases = {
      {"defaults", [](WriteConfig&, WriteOptions&) {}, ""},
      {"no prefix", [](WriteConfig& c, WriteOptions&) { c.s3_prefix.clear(); },
       "s3_prefix is required"},
      {"bucket only", [](WriteConfig& c, WriteOptions&) { c.s3_prefix = "memory://plan-test"; },
       "must include a non-empty key prefix"},
      {"unknown scheme", [](WriteConfig& c, WriteOptions&) { c.s3_prefix = "gs://b/p"; },
       "unknown scheme"},
      {"batch 0", [](WriteConfig& c, WriteOptions&) { c.batch_size = 0; },
       "batch_size must be > 0"},
      {"no retries",
       [](WriteConfig& c, WriteOptions&) { c.shard_retry = RetryConfig{.max_retries = 0}; },
       "shard_retry.max_retries must be > 0"},
      {"negative backoff",
       [](WriteConfig& c, WriteOptions&) {
         c.shard_retry = RetryConfig{.max_retries = 1, .initial_backoff_seconds = -1};
       },
       "initial_backoff_seconds must be between 0 and 3600"},
      {"shrinking backoff",
       [](WriteConfig& c, WriteOptions&) {
         c.shard_retry = RetryConfig{.max_retries = 1, .backoff_multiplier = 0.5};
       },
       "backoff_multiplier must be between 1 and 100"},
      {"too many workers",
       [](WriteConfig&, WriteOptions& o) {
         o.parallel = true;
         o.workers = 5000;
       },
       "workers must be at most 4096"},
      {"zero chunk budget",
       [](WriteConfig&, WriteOptions& o) {
         o.parallel = true;
         o.max_chunk_bytes_per_worker = 0;
       },
       "max_chunk_bytes_per_worker must be > 0"},
      {"zero item ceiling", [](WriteConfig&, WriteOptions& o) { o.max_total_batched_items = 0; },
       "max_total_batched_items must be > 0"},
      {"zero byte ceiling", [](WriteConfig&, WriteOptions& o) { o.max_total_batched_bytes = 0; },
       "max_total_batched_bytes must be > 0"},
      {"shard prefix path", [](WriteConfig& c, WriteOptions&) { c.shard_prefix = "a/b"; },
       "shard_prefix \"a/b\" must be one path segment"},
      {"run id path", [](WriteConfig& c, WriteOptions&) { c.run_id = ".."; },
       "run_id \"..\" must be non-empty"},
      {"registry path", [](WriteConfig& c, WriteOptions&) { c.run_registry_prefix = ""; },
       "run_registry_prefix \"\" must be one path segment"},
      {"bad template", [](WriteConfig& c, WriteOptions&) { c.db_path_template = "{db_id:x}"; },
       "db_path_template"},
      {"template without db_id", [](WriteConfig& c, WriteOptions&) { c.db_path_template = "db"; },
       "db_path_template \"db\" has no {db_id} field"},
      {"custom not an object",
       [](WriteConfig& c, WriteOptions&) { c.custom_manifest_fields_json = "[1]"; },
       "custom_manifest_fields_json must be a JSON object"},
      {"custom not JSON",
       [](WriteConfig& c, WriteOptions&) { c.custom_manifest_fields_json = "{"; },
       "custom_manifest_fields_json must be a JSON object"},
      {"zero rate", [](WriteConfig& c, WriteOptions&) { c.max_writes_per_second = 0; },
       "max_writes_per_second must be > 0"},
      {"negative byte rate",
       [](WriteConfig& c, WriteOptions&) { c.max_write_bytes_per_second = -5; },
       "max_write_bytes_per_second must be > 0"},
  };
  for (const PlanCase& row : cases) {
    WriteConfig config = BaseConfig();
    WriteOptions options;
    row.change(config, options);
    Result<BuildPlan> plan = ValidateBuild(config, options, 4, Defaults());
    if (std::string(row.error).empty()) {
      EXPECT_TRUE(plan.ok()) << row.name << ": " << plan.status().ToString();
      continue;
    }
    ASSERT_FALSE(plan.ok()) << row.name;
    EXPECT_EQ(plan.status().code(), ErrorCode::kConfigValidation) << row.name;
    EXPECT_NE(plan.status().message().find(row.error), std::string::npos)
        << row.name << ": " << plan.status().message();
  }
}

TEST(BuildPlanTest, OneShardNeedsNoDbIdInItsPath) {
  WriteConfig config = BaseConfig();
  config.db_path_template = "db";
  EXPECT_TRUE(ValidateBuild(config, {}, 1, Defaults()).ok());
  EXPECT_FALSE(ValidateBuild(config, {}, 0, Defaults()).ok()) << "CEL direct mode: any count";
}

TEST(BuildPlanTest, TooManyShardsAreRefused) {
  Result<BuildPlan> plan = ValidateBuild(BaseConfig(), {}, kMaxNumDbs + 1, Defaults());
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("65537 shards are more than the 65536"),
            std::string::npos);
  EXPECT_TRUE(ValidateBuild(BaseConfig(), {}, kMaxNumDbs, Defaults()).ok());
}

TEST(BuildPlanTest, DefaultsComeFromTheMachineAndChoicesFromTheConfig) {
  Result<BuildPlan> plan = ValidateBuild(BaseConfig(), {}, 0, Defaults());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->root.key, "snap");
  EXPECT_EQ(plan->run_id, "fresh");
  EXPECT_FALSE(plan->run_id_chosen);
  EXPECT_EQ(plan->local_run_dir, "/staging/run_id=fresh");
  EXPECT_EQ(plan->factory->name(), "slatedb");
  EXPECT_EQ(plan->retry.max_retries, 0u);
  EXPECT_EQ(plan->pool.workers, 1u);
  EXPECT_EQ(plan->pool.max_jobs_per_worker, 2u);
  EXPECT_EQ(plan->seal_threads, 6u);  // twice the cores
  EXPECT_EQ(plan->initial_num_dbs, 0u);

  WriteConfig config = BaseConfig();
  config.run_id = "mine";
  config.local_root = "/elsewhere";
  config.adapter_factory = NewSqliteWriterFactory();
  config.shard_retry = RetryConfig{.max_retries = 2};
  WriteOptions options;
  options.parallel = true;
  options.seal_threads = 5;
  plan = ValidateBuild(config, options, 8, Defaults());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->run_id, "mine");
  EXPECT_TRUE(plan->run_id_chosen);
  EXPECT_EQ(plan->local_run_dir, "/elsewhere/run_id=mine");
  EXPECT_EQ(plan->factory->name(), "sqlite");
  EXPECT_EQ(plan->retry.max_retries, 2u);
  EXPECT_EQ(plan->pool.workers, 3u);  // parallel, workers 0 = the cores
  EXPECT_EQ(plan->pool.max_total_bytes, options.max_total_chunk_bytes);
  EXPECT_EQ(plan->max_recycled_batches, 8u);
  EXPECT_EQ(plan->seal_threads, 5u);
  EXPECT_EQ(plan->initial_num_dbs, 8u);
}

}  // namespace
}  // namespace shardyfusion
