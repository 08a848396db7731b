// End-to-end tests of the shardy tool through RunShardy: build a snapshot
// into a temporary directory, then query it with every read command.
#include "cli/shardy.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/value_codec.h"
#include "core/base64.h"
#include "shardyfusion/routing.h"

namespace shardyfusion::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

class CliShardyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "shardy_cli_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    prefix_url_ = "file://" + dir_ + "/snap";
    current_url_ = prefix_url_ + "/_CURRENT";
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult Run(std::vector<std::string> args, const std::string& stdin_text = "",
                ShardyEnvironment env = NoEnv()) {
    args.insert(args.begin(), "shardy");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    std::istringstream in(stdin_text);
    std::ostringstream out, err;
    RunResult r;
    r.code = RunShardy(static_cast<int>(argv.size()), argv.data(), in, out, err, env);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  // A read command against the test snapshot, with a private reader cache.
  RunResult Read(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--current-url", current_url_, "--local-root", dir_ + "/cache"});
    return Run(std::move(args), stdin_text);
  }

  static ShardyEnvironment NoEnv() {
    ShardyEnvironment env;
    env.getenv = [](const std::string&) { return std::optional<std::string>(); };
    return env;
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Records {"id": i, "name": "n<i>"} for i in [1, n].
  std::string WriteJsonl(const std::string& name, int n) {
    std::string text;
    for (int i = 1; i <= n; ++i) {
      text += "{\"id\":" + std::to_string(i) + ",\"name\":\"n" + std::to_string(i) + "\"}\n";
    }
    return WriteFile(name, text);
  }

  RunResult BuildInts(const std::string& input, const std::string& run_id,
                      std::vector<std::string> extra = {"--num-dbs", "3"}) {
    std::vector<std::string> args = {"build",         "--input",     input,       "--format",
                                     "jsonl",         "--key-field", "id",        "--key-type",
                                     "int",           "--prefix",    prefix_url_, "--local-root",
                                     dir_ + "/stage", "--run-id",    run_id};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  }

  bool CurrentExists() const { return fs::exists(dir_ + "/snap/_CURRENT"); }

  static std::string ReadFileText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // Every file under `dir` with its size and modification time, sorted.
  static std::vector<std::string> Listing(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      out.push_back(e.path().string() + " " + std::to_string(e.file_size()) + " " +
                    std::to_string(e.last_write_time().time_since_epoch().count()));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
  std::string prefix_url_;
  std::string current_url_;
};

Json ParseLine(const std::string& text) {
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "expected exactly one line: " << text;
  return Json::parse(text);
}

TEST_F(CliShardyTest, BuildPrintsTheResultAndPublishes) {
  const std::string input = WriteJsonl("in.jsonl", 20);
  RunResult r = BuildInts(input, "run1");
  ASSERT_EQ(r.code, 0) << r.err;
  const Json result = ParseLine(r.out);
  EXPECT_EQ(result["run_id"], "run1");
  EXPECT_EQ(result["num_dbs"], 3);
  EXPECT_EQ(result["rows_written"], 20);
  int64_t rows = 0;
  for (const Json& w : result["winners"]) {
    rows += w["row_count"].get<int64_t>();
    EXPECT_TRUE(w["db_url"].is_string());
    EXPECT_GT(w["db_bytes"].get<int64_t>(), 0);
  }
  EXPECT_EQ(rows, 20);
  EXPECT_EQ(result["num_winners"], result["winners"].size());
  EXPECT_TRUE(result["manifest_ref"].get<std::string>().starts_with(prefix_url_ + "/manifests/"));
  for (const char* d : {"write_ms", "manifest_ms", "total_ms"}) {
    EXPECT_TRUE(result["durations"][d].is_number_integer()) << d;
  }
  EXPECT_TRUE(CurrentExists());
}

TEST_F(CliShardyTest, GetFindsValuesInEveryEncoding) {
  ASSERT_EQ(BuildInts(WriteJsonl("in.jsonl", 20), "run1").code, 0);
  const std::string record = R"({"id":5,"name":"n5"})";

  RunResult r = Read({"get", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            R"({"op":"get","key":5,"found":true,"value":")" + Base64Encode(record) + "\"}\n");

  r = Read({"--value-encoding", "hex", "get", "5"});
  EXPECT_EQ(ParseLine(r.out)["value"], HexEncode(record));

  r = Read({"--value-encoding", "utf8", "--output-format", "text", "get", "5"});
  EXPECT_EQ(r.out, record + "\n");
}

TEST_F(CliShardyTest, GetMissingKeyAndStrict) {
  ASSERT_EQ(BuildInts(WriteJsonl("in.jsonl", 3), "run1").code, 0);
  RunResult r = Read({"get", "99"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "{\"op\":\"get\",\"key\":99,\"found\":false,\"value\":null}\n");

  r = Read({"--null-repr", "<none>", "get", "99", "--strict"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(ParseLine(r.out)["value"], "<none>");

  r = Read({"get", "2", "--strict"});
  EXPECT_EQ(r.code, 0);
}

TEST_F(CliShardyTest, NonIntegerKeyForIntSnapshotIsAnError) {
  ASSERT_EQ(BuildInts(WriteJsonl("in.jsonl", 3), "run1").code, 0);
  RunResult r = Read({"get", "abc"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  const Json error = ParseLine(r.err);
  EXPECT_EQ(error["op"], "get");
  EXPECT_EQ(error["key"], "abc");
  EXPECT_NE(error["error"].get<std::string>().find("\"abc\" is not an integer"), std::string::npos);

  r = Read({"route", "1x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(ParseLine(r.err)["op"], "route");
}

TEST_F(CliShardyTest, MultiGetFromArgumentsAndStdin) {
  ASSERT_EQ(BuildInts(WriteJsonl("in.jsonl", 10), "run1").code, 0);
  RunResult r = Read({"--value-encoding", "utf8", "multiget", "1", "99", "7"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out), Json::parse(R"({"op":"multiget","results":[
      {"key":1,"found":true,"value":"{\"id\":1,\"name\":\"n1\"}"},
      {"key":99,"found":false,"value":null},
      {"key":7,"found":true,"value":"{\"id\":7,\"name\":\"n7\"}"}]})"));

  r = Read({"--value-encoding", "utf8", "--output-format", "text", "multiget", "-"}, "3\r\n\n42\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "3={\"id\":3,\"name\":\"n3\"}\n42=null\n");

  r = Read({"multiget", "1", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(ParseLine(r.err)["key"], "nope");
}

TEST_F(CliShardyTest, InfoShardsAndRoute) {
  ASSERT_EQ(BuildInts(WriteJsonl("in.jsonl", 20), "run1").code, 0);
  RunResult r = Read({"info"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json info = ParseLine(r.out);
  EXPECT_EQ(info["op"], "info");
  EXPECT_EQ(info["run_id"], "run1");
  EXPECT_EQ(info["num_dbs"], 3);
  EXPECT_EQ(info["row_count"], 20);
  EXPECT_EQ(info["key_encoding"], "u64be");
  EXPECT_EQ(info["hash_algorithm"], "xxh3_64");
  EXPECT_EQ(info["backend"], "slatedb");  // the default
  EXPECT_EQ(info["sharding"]["strategy"], "hash");
  EXPECT_TRUE(info["sharding"]["cel_expr"].is_null());
  EXPECT_TRUE(info["created_at"].is_string());
  EXPECT_TRUE(info["manifest_ref"].get<std::string>().starts_with(prefix_url_));

  r = Read({"shards"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json shards = ParseLine(r.out)["shards"];
  ASSERT_EQ(shards.size(), 3u);
  std::shared_ptr<const Router> router = NewHashRouter(3);
  for (int64_t db = 0; db < 3; ++db) {
    int64_t expected_rows = 0, min_key = 0, max_key = 0;
    for (int64_t k = 1; k <= 20; ++k) {
      if (**router->Route(Key::Int(k), {}, nullptr) != db) continue;
      if (expected_rows++ == 0) min_key = k;
      max_key = k;
    }
    EXPECT_EQ(shards[db]["db_id"], db);
    EXPECT_EQ(shards[db]["row_count"], expected_rows);
    if (expected_rows > 0) {
      EXPECT_EQ(shards[db]["min_key"], min_key);
      EXPECT_EQ(shards[db]["max_key"], max_key);
      EXPECT_TRUE(shards[db]["db_url"].is_string());
    }
  }

  for (int64_t k : {1, 5, 17}) {
    r = Read({"route", std::to_string(k)});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(
        ParseLine(r.out),
        (Json{{"op", "route"}, {"key", k}, {"db_id", **router->Route(Key::Int(k), {}, nullptr)}}));
  }
  r = Read({"--output-format", "text", "route", "5"});
  EXPECT_EQ(r.out,
            "5 -> shard " + std::to_string(**router->Route(Key::Int(5), {}, nullptr)) + "\n");
}

TEST_F(CliShardyTest, HistoryAndPinnedManifests) {
  const std::string input = WriteJsonl("in.jsonl", 5);
  RunResult first = BuildInts(input, "run1");
  ASSERT_EQ(first.code, 0) << first.err;
  RunResult second = BuildInts(input, "run2", {"--num-dbs", "2"});
  ASSERT_EQ(second.code, 0) << second.err;
  const std::string ref1 = ParseLine(first.out)["manifest_ref"];
  const std::string ref2 = ParseLine(second.out)["manifest_ref"];

  RunResult r = Read({"history"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json manifests = ParseLine(r.out)["manifests"];
  ASSERT_EQ(manifests.size(), 2u);
  EXPECT_EQ(manifests[0]["offset"], 0);
  EXPECT_EQ(manifests[0]["run_id"], "run2");
  EXPECT_EQ(manifests[0]["ref"], ref2);
  EXPECT_EQ(manifests[1]["offset"], 1);
  EXPECT_EQ(manifests[1]["run_id"], "run1");
  EXPECT_EQ(manifests[1]["ref"], ref1);
  EXPECT_TRUE(manifests[1]["published_at"].is_string());

  r = Read({"history", "--limit", "1"});
  EXPECT_EQ(ParseLine(r.out)["manifests"].size(), 1u);

  EXPECT_EQ(ParseLine(Read({"info"}).out)["run_id"], "run2");
  EXPECT_EQ(ParseLine(Read({"--offset", "0", "info"}).out)["run_id"], "run2");
  EXPECT_EQ(ParseLine(Read({"--offset", "1", "info"}).out)["num_dbs"], 3);
  EXPECT_EQ(ParseLine(Read({"--ref", ref1, "info"}).out)["run_id"], "run1");

  r = Read({"--offset", "2", "info"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(ParseLine(r.err)["error"].get<std::string>().find("out of range"), std::string::npos);

  r = Read({"--offset", "1", "--ref", ref1, "info"});
  EXPECT_EQ(r.code, 2);
}

TEST_F(CliShardyTest, MalformedLineFailsAndPublishesNothing) {
  const std::string input =
      WriteFile("bad.jsonl", "{\"id\":1,\"v\":\"a\"}\n\n{\"id\":\"two\",\"v\":\"b\"}\n");
  RunResult r = BuildInts(input, "run1");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("shardy build: InvalidInput: line 3: key field \"id\" must be a JSON "
                       "integer"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(CurrentExists());

  // A key outside the encoding's domain is reported with its line too.
  r = BuildInts(WriteFile("neg.jsonl", "{\"id\":1}\n{\"id\":-4}\n"), "run2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  EXPECT_FALSE(CurrentExists());

  r = BuildInts(WriteFile("broken.jsonl", "{\"id\":1}\n{\"id\":\n"), "run3");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("line 2: invalid JSON"), std::string::npos) << r.err;
  EXPECT_FALSE(CurrentExists());
}

// Rerunning `shardy build --run-id X` over a published run X once deleted
// its live SlateDB shards or rewrote its SQLite shard.db in place. It is
// refused before anything is written, and the snapshot still reads.
TEST_F(CliShardyTest, ARerunOfAPublishedRunIdIsRefused) {
  for (const std::string backend : {"slatedb", "sqlite"}) {
    prefix_url_ = "file://" + dir_ + "/snap-" + backend;
    current_url_ = prefix_url_ + "/_CURRENT";
    const std::vector<std::string> flags = {"--num-dbs", "3", "--backend", backend};
    ASSERT_EQ(BuildInts(WriteJsonl("in.jsonl", 20), "X", flags).code, 0);
    const std::string current = ReadFileText(dir_ + "/snap-" + backend + "/_CURRENT");
    const std::vector<std::string> objects = Listing(dir_ + "/snap-" + backend);
    // Other values, then a malformed line: a rerun that would succeed and
    // one that would fail.
    std::string other;
    for (int i = 1; i <= 20; ++i) other += "{\"id\":" + std::to_string(i) + ",\"v\":\"new\"}\n";
    for (const std::string& text : {other, other + "{\"id\":\n"}) {
      RunResult r = BuildInts(WriteFile("rerun.jsonl", text), "X", flags);
      EXPECT_EQ(r.code, 1) << backend;
      EXPECT_EQ(r.out, "");
      EXPECT_NE(r.err.find("ConfigValidation: run_id \"X\" is already used"), std::string::npos)
          << r.err;
      EXPECT_EQ(Listing(dir_ + "/snap-" + backend), objects)
          << backend << ": the refused rerun changed the prefix";
      EXPECT_EQ(ReadFileText(dir_ + "/snap-" + backend + "/_CURRENT"), current);
      r = Read({"get", "7"});
      ASSERT_EQ(r.code, 0) << r.err;
      // base64 of the first build's value, {"id":7,"name":"n7"}.
      EXPECT_NE(r.out.find("\"eyJpZCI6NywibmFtZSI6Im43In0=\""), std::string::npos)
          << backend << ": " << r.out;
    }
  }
}

// A shard count beyond the limit is a configuration error before anything
// is written (it once aborted with std::bad_alloc, the run record left at
// `running`).
TEST_F(CliShardyTest, StagedShardsFromTwoProcessesThenOnePublish) {
  const std::string input = WriteJsonl("in.jsonl", 300);
  const std::vector<std::string> staged = {"--num-dbs", "6", "--no-publish", "--only-shards"};
  std::vector<std::string> first = staged, second = staged;
  first.push_back("0-2");
  second.push_back("3-5");
  RunResult a = BuildInts(input, "r1", first);
  ASSERT_EQ(a.code, 0) << a.err;
  const Json ja = ParseLine(a.out);
  EXPECT_TRUE(ja["manifest_ref"].is_null());
  EXPECT_FALSE(CurrentExists());
  // The other half is missing: publishing names it and publishes nothing.
  RunResult early = Run({"publish", "--prefix", prefix_url_, "--run-id", "r1"});
  EXPECT_EQ(early.code, 1);
  EXPECT_NE(early.err.find("ShardCoverage"), std::string::npos) << early.err;
  EXPECT_NE(early.err.find("db_id 3, 4, 5"), std::string::npos) << early.err;
  EXPECT_FALSE(CurrentExists());
  RunResult b = BuildInts(input, "r1", second);
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(ja["rows_written"].get<int64_t>() + ParseLine(b.out)["rows_written"].get<int64_t>(),
            300);
  RunResult p = Run({"publish", "--prefix", prefix_url_, "--run-id", "r1"});
  ASSERT_EQ(p.code, 0) << p.err;
  const Json jp = ParseLine(p.out);
  EXPECT_EQ(jp["rows_written"], 300);
  EXPECT_EQ(jp["num_dbs"], 6);
  EXPECT_TRUE(jp["manifest_ref"].get<std::string>().starts_with(prefix_url_ + "/manifests/"));
  EXPECT_TRUE(CurrentExists());
  for (int id : {1, 150, 300}) {
    RunResult g = Read({"get", std::to_string(id)});
    ASSERT_EQ(g.code, 0) << g.err;
    EXPECT_TRUE(ParseLine(g.out)["found"].get<bool>()) << id;
  }
  // Published: neither staged into nor published again.
  RunResult again = BuildInts(input, "r1", first);
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("is published"), std::string::npos) << again.err;
  EXPECT_EQ(Run({"publish", "--prefix", prefix_url_, "--run-id", "r1"}).code, 1);
}

TEST_F(CliShardyTest, StagedFlagsAreCheckedAsUsage) {
  const std::string input = WriteJsonl("in.jsonl", 5);
  // --only-shards needs --no-publish, which needs --run-id.
  RunResult r =
      Run({"build", "--input", input, "--format", "jsonl", "--key-field", "id", "--key-type", "int",
           "--prefix", prefix_url_, "--num-dbs", "4", "--only-shards", "0-1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--no-publish"), std::string::npos) << r.err;
  r = Run({"build", "--input", input, "--format", "jsonl", "--key-field", "id", "--key-type", "int",
           "--prefix", prefix_url_, "--num-dbs", "4", "--no-publish"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--run-id"), std::string::npos) << r.err;
  for (const char* bad : {"3-1", "a-b", "1-", "-2"}) {
    r = BuildInts(input, "r1", {"--num-dbs", "4", "--no-publish", "--only-shards", bad});
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find("--only-shards takes"), std::string::npos) << r.err;
  }
  r = BuildInts(input, "r1", {"--num-dbs", "4", "--no-publish", "--only-shards", "2-4"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not a range within"), std::string::npos) << r.err;
  EXPECT_FALSE(CurrentExists());
}

TEST_F(CliShardyTest, ShardCountsBeyondTheLimitAreRefused) {
  const std::string input = WriteJsonl("in.jsonl", 70000);
  RunResult r = BuildInts(input, "huge", {"--num-dbs", "4294967295"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("ConfigValidation: num_dbs 4294967295 is more than the 65536 shards"),
            std::string::npos)
      << r.err;
  r = BuildInts(input, "derived", {"--max-keys-per-shard", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("gives 70000 shards for 70000 records; at most 65536"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/snap"));
}

TEST_F(CliShardyTest, HostileInputGetsAClearErrorAndPublishesNothing) {
  std::string deep = "{\"id\":2,\"v\":" + std::string(60000, '[') + std::string(60000, ']') + "}\n";
  RunResult r = BuildInts(WriteFile("deep.jsonl", "{\"id\":1}\n" + deep), "deep");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("InvalidInput: line 2: JSON nested deeper than 1000 levels"),
            std::string::npos)
      << r.err;
  r = BuildInts(WriteFile("nul.jsonl", std::string("{\"id\":1}\0{\"id\":2}\n", 18)), "nul");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("line 1: invalid JSON at column 9: a NUL byte"), std::string::npos) << r.err;
  fs::create_directories(dir_ + "/adir");
  r = BuildInts(dir_ + "/adir", "dir");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("input \"" + dir_ + "/adir\" is a directory"), std::string::npos) << r.err;
  EXPECT_FALSE(CurrentExists());
}

// An unwritable --metrics-file was found only after publishing, and the
// published build then exited 1. It is refused before anything is written.
TEST_F(CliShardyTest, AnUnwritableMetricsFileIsRefusedBeforeTheBuild) {
  const std::string input = WriteJsonl("in.jsonl", 20);
  for (const std::string& bad : {dir_ + "/no-such-dir/metrics.prom", dir_}) {
    RunResult r = BuildInts(input, "m1", {"--num-dbs", "2", "--metrics-file", bad});
    EXPECT_EQ(r.code, 1) << bad;
    EXPECT_NE(r.err.find("ConfigValidation: --metrics-file \"" + bad + "\" cannot be written"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(dir_ + "/snap")) << "the refused build wrote " << bad;
  }
  RunResult r = BuildInts(input, "m2", {"--num-dbs", "2", "--metrics-file", dir_ + "/m.prom"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(ReadFileText(dir_ + "/m.prom").find("shard"), std::string::npos);
}

// A build that failed on its input recorded "the build was aborted"; its run
// record now names the line and the problem.
TEST_F(CliShardyTest, ARunRecordNamesWhyTheInputFailed) {
  RunResult r =
      BuildInts(WriteFile("bad.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":\"x\"}\n"), "bad");
  ASSERT_EQ(r.code, 1);
  int records = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ + "/snap/runs")) {
    if (e.path().filename() != "run.yaml") continue;
    ++records;
    const std::string yaml = ReadFileText(e.path().string());
    EXPECT_NE(yaml.find("status: failed"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("line 3: key field"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("error_type: 'InvalidInput'"), std::string::npos) << yaml;
  }
  EXPECT_EQ(records, 1);
}

TEST_F(CliShardyTest, CsvFromStdinWithStrKeysAndValueField) {
  RunResult r = Run({"build", "--input", "-", "--format", "csv", "--key-field", "name",
                     "--key-type", "str", "--value-field", "note", "--num-dbs", "2", "--prefix",
                     dir_ + "/snap", "--local-root", dir_ + "/stage"},
                    "name,note\nalpha,\"one, \"\"1\"\"\"\nbeta,\"two\nlines\"\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["rows_written"], 2);

  r = Read({"--value-encoding", "utf8", "get", "alpha"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out),
            (Json{{"op", "get"}, {"key", "alpha"}, {"found", true}, {"value", "one, \"1\""}}));
  r = Read({"--value-encoding", "utf8", "--output-format", "text", "get", "beta"});
  EXPECT_EQ(r.out, "two\nlines\n");
  EXPECT_EQ(ParseLine(Read({"info"}).out)["key_encoding"], "utf8");
}

TEST_F(CliShardyTest, BytesKeysDecodeBase64AndLookUpAsRaw) {
  // "abc" and "\xff\x00" as base64.
  const std::string input =
      WriteFile("b.jsonl", "{\"k\":\"YWJj\",\"v\":1}\n{\"k\":\"/wA=\",\"v\":2}\n");
  RunResult r = Run({"build", "--input", input, "--format", "jsonl", "--key-field", "k",
                     "--key-type", "bytes", "--value-field", "v", "--num-dbs", "1", "--prefix",
                     prefix_url_, "--local-root", dir_ + "/stage"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(Read({"info"}).out)["key_encoding"], "raw");
  r = Read({"--value-encoding", "utf8", "get", "abc"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["value"], "1");

  r = Run({"build", "--input", WriteFile("bad.jsonl", "{\"k\":\"YWJ\",\"v\":1}\n"), "--format",
           "jsonl", "--key-field", "k", "--key-type", "bytes", "--num-dbs", "1", "--prefix",
           dir_ + "/other", "--local-root", dir_ + "/stage"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("line 1: key field \"k\" is not valid base64"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/other/_CURRENT"));
}

TEST_F(CliShardyTest, MaxKeysPerShardCountsTheFile) {
  RunResult r = BuildInts(WriteJsonl("in.jsonl", 20), "run1", {"--max-keys-per-shard", "7"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["num_dbs"], 3);

  r = Run({"build", "--input", "-", "--format", "jsonl", "--key-field", "id", "--key-type", "int",
           "--max-keys-per-shard", "7", "--prefix", prefix_url_},
          "{\"id\":1}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--num-dbs"), std::string::npos) << r.err;
}

TEST_F(CliShardyTest, SpilledSortRunsGiveTheSameSnapshot) {
  // Tiny batches and no sort memory: every batch goes through a spool file
  // under --local-root, and a later duplicate of a key still wins.
  std::string text;
  for (int i = 1; i <= 40; ++i)
    text += "{\"id\":" + std::to_string(i % 30) + ",\"v\":" + std::to_string(i) + "}\n";
  RunResult r = BuildInts(WriteFile("dups.jsonl", text), "run1",
                          {"--num-dbs", "2", "--batch-size", "4", "--sort-memory-mib", "0"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["rows_written"], 40);  // records written, as the reference counts
  EXPECT_FALSE(fs::exists(dir_ + "/stage/run_id=run1")) << "staging left behind";
  r = Read({"--value-encoding", "utf8", "--output-format", "text", "multiget", "0", "5", "29"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0={\"id\":0,\"v\":30}\n5={\"id\":5,\"v\":35}\n29={\"id\":29,\"v\":29}\n");

  r = BuildInts(WriteFile("one.jsonl", "{\"id\":1}\n"), "run2",
                {"--num-dbs", "1", "--sort-memory-mib", "-1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--sort-memory-mib"), std::string::npos) << r.err;
}

// Which files a shard attempt directory holds: SlateDB's manifest/ and
// compacted/ by default, one shard.db with --backend sqlite.
TEST_F(CliShardyTest, BackendsAndSlateDbModes) {
  const std::string input = WriteJsonl("in.jsonl", 300);
  struct Case {
    std::vector<std::string> flags;
    const char* expect;  // an object every attempt directory must hold
  };
  const Case cases[] = {
      {{}, "manifest/00000000000000000001.manifest"},
      {{"--slatedb-mode", "local", "--slatedb-compression", "zstd"},
       "manifest/00000000000000000001.manifest"},
      {{"--backend", "sqlite"}, "shard.db"},
  };
  int run = 0;
  for (const Case& c : cases) {
    const std::string run_id = "run" + std::to_string(++run);
    std::vector<std::string> extra = {"--num-dbs", "2"};
    extra.insert(extra.end(), c.flags.begin(), c.flags.end());
    RunResult r = BuildInts(input, run_id, extra);
    ASSERT_EQ(r.code, 0) << r.err;
    const Json result = ParseLine(r.out);
    for (const Json& w : result["winners"]) {
      const std::string dir = w["db_url"].get<std::string>().substr(strlen("file://"));
      EXPECT_TRUE(fs::exists(dir + "/" + c.expect)) << dir << " lacks " << c.expect;
      EXPECT_EQ(fs::exists(dir + "/shard.db"), c.flags.size() == 2 && c.flags[1] == "sqlite");
    }
    r = Read({"--value-encoding", "utf8", "--output-format", "text", "multiget", "1", "150", "300",
              "301"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "1={\"id\":1,\"name\":\"n1\"}\n150={\"id\":150,\"name\":\"n150\"}\n"
              "300={\"id\":300,\"name\":\"n300\"}\n301=null\n");
  }
  RunResult r = BuildInts(input, "bad", {"--num-dbs", "1", "--slatedb-compression", "brotli"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--slatedb-compression"), std::string::npos) << r.err;
  r = BuildInts(input, "bad", {"--num-dbs", "1", "--backend", "rocksdb"});
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(fs::exists(dir_ + "/snap/shards/run_id=bad"));
}

// SlateDB cannot store an empty key: the build stops at the record, naming
// its line, and publishes nothing. SQLite can store it.
TEST_F(CliShardyTest, EmptyStringKeyNamesItsLineOnSlateDb) {
  const std::string input =
      WriteFile("empty.jsonl", "{\"k\":\"a\",\"v\":1}\n{\"k\":\"\",\"v\":2}\n");
  auto build = [&](const std::string& backend) {
    return Run({"build", "--input", input, "--format", "jsonl", "--key-field", "k", "--key-type",
                "str", "--num-dbs", "2", "--prefix", prefix_url_, "--local-root", dir_ + "/stage",
                "--backend", backend});
  };
  RunResult r = build("slatedb");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stores keys of 1 to 65535 bytes"), std::string::npos) << r.err;
  EXPECT_FALSE(CurrentExists());
  r = build("sqlite");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Read({"--value-encoding", "utf8", "--output-format", "text", "get", ""});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"k\":\"\",\"v\":2}\n");
}

TEST_F(CliShardyTest, ProgressIsDrawnOnlyWhenAsked) {
  const std::string input = WriteJsonl("in.jsonl", 4);
  ShardyEnvironment env = NoEnv();
  env.progress = true;
  RunResult r =
      Run({"build", "--input", input, "--format", "jsonl", "--key-field", "id", "--key-type", "int",
           "--num-dbs", "1", "--prefix", prefix_url_, "--local-root", dir_ + "/stage"},
          "", env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("\rread 4 records"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.back(), '\n');

  RunResult quiet = BuildInts(input, "run2");
  ASSERT_EQ(quiet.code, 0);
  EXPECT_EQ(quiet.err, "");
}

TEST_F(CliShardyTest, CurrentUrlFallsBackToTheEnvironment) {
  ASSERT_EQ(BuildInts(WriteJsonl("in.jsonl", 3), "run1").code, 0);
  RunResult r = Run({"info"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("SHARDY_CURRENT"), std::string::npos) << r.err;

  ShardyEnvironment env;
  const std::string url = current_url_;
  env.getenv = [url](const std::string& name) {
    return name == "SHARDY_CURRENT" ? std::optional<std::string>(url) : std::nullopt;
  };
  r = Run({"--local-root", dir_ + "/cache", "info"}, "", env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["run_id"], "run1");
}

TEST_F(CliShardyTest, ReadingAnEmptyPrefixIsAnError) {
  RunResult r = Read({"get", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(ParseLine(r.err)["op"], "get");
}

TEST_F(CliShardyTest, UsageErrorsExitTwo) {
  RunResult r = Run({});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("Run with --help"), std::string::npos);
  EXPECT_EQ(Run({"frobnicate"}).code, 2);
  EXPECT_EQ(Run({"--output-format", "yaml", "info"}).code, 2);
  EXPECT_EQ(Run({"--current-url", "nodir", "info"}).code, 2);
  EXPECT_EQ(Run({"build", "--input", "x", "--format", "jsonl", "--key-field", "id", "--key-type",
                 "int", "--prefix", prefix_url_})
                .code,
            2);  // neither --num-dbs nor --max-keys-per-shard
  EXPECT_EQ(Run({"build", "--input", "x", "--format", "xml", "--key-field", "id", "--key-type",
                 "int", "--num-dbs", "1", "--prefix", prefix_url_})
                .code,
            2);
  EXPECT_EQ(Run({"build", "--input", "x", "--format", "jsonl", "--key-field", "id", "--key-type",
                 "int", "--num-dbs", "1", "--max-keys-per-shard", "2", "--prefix", prefix_url_})
                .code,
            2);
  // SlateDB's flags with the SQLite backend were once silently ignored.
  r = BuildInts(WriteJsonl("in.jsonl", 3), "usage",
                {"--num-dbs", "1", "--backend", "sqlite", "--slatedb-compression", "zstd"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--slatedb-compression applies to --backend slatedb only"),
            std::string::npos)
      << r.err;
  // A non-positive size says so plainly (it once printed a 300-digit range).
  r = BuildInts(WriteJsonl("in.jsonl", 3), "usage", {"--num-dbs", "1", "--batch-size", "0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--batch-size: must be a number greater than 0 (got 0)"), std::string::npos)
      << r.err;
  EXPECT_LT(r.err.size(), 200u) << r.err;
  EXPECT_FALSE(CurrentExists());
}

TEST_F(CliShardyTest, BadS3FlagsAreUsageErrorsNamingTheProblem) {
  RunResult r = Read({"--s3-option", "colour=red", "info"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown S3 option 'colour'"), std::string::npos) << r.err;
  r = Read({"--s3-option", "noequals", "info"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("KEY=VALUE"), std::string::npos) << r.err;
  r = Read({"--credentials", dir_ + "/absent.toml", "info"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("absent.toml"), std::string::npos) << r.err;
  const std::string creds = WriteFile("creds.toml", "[other]\nregion = \"x\"\n");
  r = Run({"build", "--input", "-", "--format", "jsonl", "--key-field", "id", "--key-type", "int",
           "--num-dbs", "1", "--prefix", prefix_url_, "--credentials", creds, "--profile", "p"},
          "{\"id\":1}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no profile [p]"), std::string::npos) << r.err;
  EXPECT_FALSE(CurrentExists());
}

// Records {"id": i, "region": "us-east" for even i else "eu-west", "tag":
// base64 of "t<i % 3>"} for i in [0, n).
std::string CelJsonl(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += "{\"id\":" + std::to_string(i) + ",\"region\":\"" + (i % 2 ? "eu-west" : "us-east") +
            "\",\"tag\":\"" + Base64Encode("t" + std::to_string(i % 3)) + "\"}\n";
  }
  return text;
}

TEST_F(CliShardyTest, CelKeyOnlyBuildGetAndInfo) {
  const std::string input = WriteFile("cel.jsonl", CelJsonl(40));
  RunResult r =
      BuildInts(input, "cel1", {"--cel-expr", "shard_hash(key) % 3u", "--cel-column", "key:int"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["num_dbs"], 3);
  for (int i = 0; i < 40; i += 7) {
    const std::string k = std::to_string(i);
    RunResult g = Read({"get", k});
    ASSERT_EQ(g.code, 0) << g.err;
    EXPECT_TRUE(ParseLine(g.out)["found"].get<bool>()) << k;
    RunResult route = Read({"route", k});
    EXPECT_EQ(ParseLine(route.out)["db_id"], ShardHash(Key::Int(i)) % 3) << k;
  }
  RunResult info = Read({"info"});
  ASSERT_EQ(info.code, 0) << info.err;
  const Json sharding = ParseLine(info.out)["sharding"];
  EXPECT_EQ(sharding["strategy"], "cel");
  EXPECT_EQ(sharding["cel_expr"], "shard_hash(key) % 3u");
  EXPECT_EQ(sharding["cel_columns"], Json::parse(R"({"key":"int"})"));
  EXPECT_TRUE(sharding["routing_values"].is_null());
}

TEST_F(CliShardyTest, CelCategoricalNeedsARoutingContext) {
  const std::string input = WriteFile("cel.jsonl", CelJsonl(20));
  RunResult r = BuildInts(input, "cat",
                          {"--cel-expr", "region", "--cel-column", "region:string",
                           "--routing-value", "eu-west", "--routing-value", "str:us-east"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["num_dbs"], 2);

  RunResult g =
      Read({"--value-encoding", "utf8", "get", "4", "--routing-context", "region=us-east"});
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(ParseLine(g.out)["value"],
            "{\"id\":4,\"region\":\"us-east\",\"tag\":\"" + Base64Encode("t1") + "\"}");
  g = Read({"get", "4", "--routing-context", "region=eu-west"});
  EXPECT_FALSE(ParseLine(g.out)["found"].get<bool>()) << "key 4 is in us-east";
  g = Read({"get", "4", "--routing-context", "region=ap-south"});
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_FALSE(ParseLine(g.out)["found"].get<bool>()) << "an unknown token is a miss";

  g = Read({"get", "4"});
  EXPECT_EQ(g.code, 1);
  EXPECT_NE(ParseLine(g.err)["error"].get<std::string>().find("missing: region"), std::string::npos)
      << g.err;
  g = Read({"get", "4", "--routing-context", "regoin=us-east"});
  EXPECT_EQ(g.code, 1);
  EXPECT_NE(g.err.find("no CEL column \\\"regoin\\\""), std::string::npos) << g.err;

  RunResult m = Read({"multiget", "1", "3", "4", "--routing-context", "region=eu-west"});
  ASSERT_EQ(m.code, 0) << m.err;
  const Json results = ParseLine(m.out)["results"];
  EXPECT_TRUE(results[0]["found"].get<bool>());
  EXPECT_TRUE(results[1]["found"].get<bool>());
  EXPECT_FALSE(results[2]["found"].get<bool>());

  RunResult route = Read({"route", "4", "--routing-context", "region=ap-south"});
  EXPECT_EQ(route.code, 1);
  EXPECT_NE(route.err.find("ap-south"), std::string::npos) << route.err;
  route = Read({"route", "4", "--routing-context", "region=us-east"});
  EXPECT_EQ(ParseLine(route.out)["db_id"], 1);

  const Json sharding = ParseLine(Read({"info"}).out)["sharding"];
  EXPECT_EQ(sharding["routing_values"], Json::parse(R"(["eu-west","us-east"])"));
  EXPECT_EQ(sharding["routing_values_type"], "string");
}

TEST_F(CliShardyTest, CelInferredAndBytesTokens) {
  const std::string input = WriteFile("cel.jsonl", CelJsonl(30));
  RunResult r = BuildInts(input, "inf",
                          {"--cel-expr", "tag", "--cel-column", "tag:bytes",
                           "--infer-routing-values", "--backend", "sqlite"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["num_dbs"], 3);
  const Json sharding = ParseLine(Read({"info"}).out)["sharding"];
  EXPECT_EQ(sharding["routing_values"],
            Json({Base64Encode("t0"), Base64Encode("t1"), Base64Encode("t2")}));
  EXPECT_EQ(sharding["routing_values_type"], "bytes");
  RunResult g = Read({"get", "5", "--routing-context", "tag=" + Base64Encode("t2")});
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_TRUE(ParseLine(g.out)["found"].get<bool>());

  r = Run({"build", "--input", "-", "--format", "jsonl", "--key-field", "id", "--key-type", "int",
           "--prefix", prefix_url_, "--cel-expr", "tag", "--cel-column", "tag:bytes",
           "--infer-routing-values"},
          CelJsonl(3));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("stdin"), std::string::npos) << r.err;
}

TEST_F(CliShardyTest, CelBuildErrorsSayWhatToFix) {
  const std::string input = WriteFile("cel.jsonl", CelJsonl(10));
  struct Case {
    std::vector<std::string> flags;
    int code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--cel-expr", "key", "--cel-column", "key:int", "--num-dbs", "2"}, 2, "excludes"},
      {{"--cel-expr", "key"}, 2, "--cel-column NAME:TYPE"},
      {{"--cel-expr", "key", "--cel-column", "key"}, 2, "NAME:TYPE"},
      {{"--cel-expr", "key", "--cel-column", "key:float"}, 2, "NAME:TYPE"},
      {{"--routing-value", "x", "--num-dbs", "2"}, 2, "need --cel-expr"},
      {{"--cel-expr", "key", "--cel-column", "key:int", "--routing-value", "int:x"},
       2,
       "routing value \"int:x\""},
      {{"--cel-expr", "key", "--cel-column", "key:int", "--routing-value", "int:1",
        "--infer-routing-values"},
       2,
       "exclusive"},
      {{"--cel-expr", "key +", "--cel-column", "key:int"}, 1, "does not compile"},
      {{"--cel-expr", "key", "--cel-column", "key:string"}, 1, "does not fit key_encoding"},
      {{"--cel-expr", "missing", "--cel-column", "missing:string"},
       1,
       "line 1: CEL column field \"missing\" is missing"},
      {{"--cel-expr", "region", "--cel-column", "region:int"},
       1,
       "line 1: CEL column field \"region\" must be a JSON integer"},
      {{"--cel-expr", "key * 2", "--cel-column", "key:int"}, 1, "dense"},
      {{"--cel-expr", "region", "--cel-column", "region:string", "--routing-value", "us-east"},
       1,
       "line 2: key 1: routing token \"eu-west\""},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {
        "build",      "--input", input,      "--format",  "jsonl",        "--key-field",  "id",
        "--key-type", "int",     "--prefix", prefix_url_, "--local-root", dir_ + "/stage"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    RunResult r = Run(args);
    EXPECT_EQ(r.code, c.code) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_FALSE(CurrentExists());
}

TEST_F(CliShardyTest, CelEvalPrintsOneJsonObject) {
  const auto eval = [this](std::vector<std::string> args) {
    args.insert(args.begin(), {"cel", "eval"});
    RunResult r = Run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return ParseLine(r.out);
  };
  EXPECT_EQ(eval({"--expr", "1 + 2"}), Json::parse(R"({"value":3,"type":"int"})"));
  EXPECT_EQ(eval({"--expr", "x + 1u", "--column", "x:uint=7"}),
            Json::parse(R"({"value":8,"type":"uint"})"));
  EXPECT_EQ(eval({"--expr", "b + b\"!\"", "--column", "b:bytes=" + Base64Encode("hi")}),
            Json({{"value", Base64Encode("hi!")}, {"type", "bytes"}}));
  EXPECT_EQ(eval({"--expr", "s + \"!\"", "--column", "s:string=caf\xc3\xa9"}),
            Json({{"value", "caf\xc3\xa9!"}, {"type", "string"}}));
  EXPECT_EQ(eval({"--expr", "d / 2.0", "--column", "d:double=5"}),
            Json::parse(R"({"value":2.5,"type":"double"})"));
  EXPECT_EQ(eval({"--expr", "d", "--column", "d:double=nan"})["value"], "NaN");
  EXPECT_EQ(eval({"--expr", "-d", "--column", "d:double=inf"})["value"], "-Infinity");
  EXPECT_EQ(eval({"--expr", "f && true", "--column", "f:bool=false"}),
            Json::parse(R"({"value":false,"type":"bool"})"));
  EXPECT_EQ(eval({"--expr", "null"}), Json::parse(R"({"value":null,"type":"null_type"})"));
  EXPECT_EQ(eval({"--expr", "shard_hash(k) % 4u", "--column", "k:int=42"})["value"],
            ShardHash(Key::Int(42)) % 4);
  EXPECT_TRUE(eval({"--expr", "1 +"}).contains("error"));
  EXPECT_TRUE(eval({"--expr", "1 / 0"}).contains("error"));
  EXPECT_EQ(eval({"--expr", "[1, 2].map(x, x * 2)"}),
            Json::parse(R"j({"value":[2,4],"type":"list"})j"));
  EXPECT_EQ(eval({"--expr", "{'a': [true], 'b': b'\\xff'}"}),
            Json::parse(R"j({"value":{"a":[true],"b":"/w=="},"type":"map"})j"));
  EXPECT_EQ(eval({"--expr", "{2: 'y', 1: 'x', 10: 'z'}"}),
            Json::parse(R"j({"value":[[1,"x"],[10,"z"],[2,"y"]],"type":"map"})j"));
  EXPECT_EQ(eval({"--expr", "type([1])"}), Json::parse(R"j({"value":"list","type":"type"})j"));
  EXPECT_EQ(eval({"--expr", "1 +"}).size(), 1u);

  for (const char* bad : {"x", "x:int", "x:int=abc", "x:nope=1", "x:uint=-1", "x:bytes=!!"}) {
    RunResult r = Run({"cel", "eval", "--expr", "1", "--column", bad});
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find("NAME:TYPE=VALUE"), std::string::npos) << r.err;
  }
  EXPECT_EQ(Run({"cel", "eval"}).code, 2) << "--expr is required";
}

TEST_F(CliShardyTest, HelpAndVersion) {
  RunResult r = Run({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--current-url"), std::string::npos);
  EXPECT_NE(r.out.find("--value-encoding"), std::string::npos);
  r = Run({"build", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--max-keys-per-shard"), std::string::npos);
  EXPECT_NE(r.out.find("--cel-expr"), std::string::npos);
  EXPECT_NE(r.out.find("bytes:BASE64"), std::string::npos);
  r = Run({"get", "--help"});
  EXPECT_NE(r.out.find("--routing-context"), std::string::npos);
  r = Run({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.out.starts_with("shardy ")) << r.out;
}

TEST_F(CliShardyTest, ParallelAndRetryFlags) {
  const std::string input = WriteJsonl("in.jsonl", 500);
  RunResult r = BuildInts(input, "par",
                          {"--num-dbs", "5", "--parallel", "--workers", "2", "--shard-retries", "2",
                           "--retry-backoff", "0.01", "--batch-size", "40"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["rows_written"], 500);
  r = Read({"multiget", "1", "250", "500"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseLine(r.out)["results"].size(), 3u);
  EXPECT_FALSE(fs::exists(dir_ + "/stage/run_id=par")) << "staging and retry spools removed";

  // --workers belongs to --parallel.
  r = BuildInts(input, "bad", {"--num-dbs", "5", "--workers", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--parallel"), std::string::npos) << r.err;
  r = BuildInts(input, "bad", {"--num-dbs", "5", "--retry-backoff", "-1"});
  EXPECT_EQ(r.code, 2) << r.err;
  const std::string help = Run({"build", "--help"}).out;
  for (const char* flag : {"--parallel", "--workers", "--shard-retries", "--retry-backoff"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
}

// `shardy rollback`: each selector points _CURRENT at an earlier manifest,
// which readers then follow; a manifest that does not load, a run or offset
// with no manifest, or a wrong number of selectors changes nothing.
TEST_F(CliShardyTest, RollbackPointsCurrentAtAnEarlierManifest) {
  ASSERT_EQ(BuildInts(WriteJsonl("small.jsonl", 5), "r1").code, 0);
  ASSERT_EQ(BuildInts(WriteJsonl("large.jsonl", 9), "r2").code, 0);
  auto current_run = [&] { return Json::parse(ReadFileText(dir_ + "/snap/_CURRENT"))["run_id"]; };
  auto found = [&](const std::string& key) {
    return ParseLine(Read({"get", key}).out)["found"].get<bool>();
  };
  ASSERT_EQ(current_run(), "r2");
  EXPECT_TRUE(found("9"));

  RunResult back = Read({"rollback", "--offset", "1"});
  ASSERT_EQ(back.code, 0) << back.err;
  const Json result = ParseLine(back.out);
  EXPECT_EQ(result["op"], "rollback");
  EXPECT_EQ(result["run_id"], "r1");
  EXPECT_TRUE(result["changed"].get<bool>());
  EXPECT_NE(result["previous_ref"].get<std::string>().find("run_id=r2"), std::string::npos);
  EXPECT_EQ(current_run(), "r1");
  EXPECT_FALSE(found("9")) << "readers follow the rolled-back pointer";

  RunResult forward = Read({"--output-format", "text", "rollback", "--run-id", "r2"});
  ASSERT_EQ(forward.code, 0) << forward.err;
  EXPECT_EQ(forward.out.rfind("Rolled back _CURRENT to: " + prefix_url_ + "/manifests/", 0), 0u)
      << forward.out;
  EXPECT_EQ(current_run(), "r2");
  RunResult again = Read({"--output-format", "text", "rollback", "--run-id", "r2"});
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out.find("already points at"), std::string::npos) << again.out;

  // A key under the root works as a ref.
  std::string r1_key;
  for (const auto& e : fs::directory_iterator(dir_ + "/snap/manifests")) {
    const std::string name = e.path().filename().string();
    if (name.ends_with("_run_id=r1")) r1_key = "manifests/" + name + "/manifest";
  }
  ASSERT_FALSE(r1_key.empty());
  ASSERT_EQ(Read({"rollback", "--ref", r1_key}).code, 0);
  EXPECT_EQ(current_run(), "r1");

  EXPECT_EQ(Read({"rollback"}).code, 2);
  EXPECT_EQ(Read({"rollback", "--offset", "0", "--run-id", "r1"}).code, 2);
  RunResult no_run = Read({"rollback", "--run-id", "r9"});
  EXPECT_EQ(no_run.code, 1);
  EXPECT_NE(no_run.err.find("run r9 has no published manifest"), std::string::npos) << no_run.err;
  EXPECT_EQ(Read({"rollback", "--offset", "5"}).code, 1);
  // A damaged manifest never becomes current.
  std::string r2_path;
  for (const auto& e : fs::directory_iterator(dir_ + "/snap/manifests")) {
    if (e.path().filename().string().ends_with("_run_id=r2")) r2_path = e.path() / "manifest";
  }
  std::ofstream(r2_path, std::ios::binary | std::ios::trunc) << "not a manifest";
  RunResult damaged = Read({"rollback", "--run-id", "r2"});
  EXPECT_EQ(damaged.code, 1);
  EXPECT_NE(damaged.err.find("refusing to point _CURRENT at"), std::string::npos) << damaged.err;
  EXPECT_EQ(current_run(), "r1");
}

// `shardy cleanup`: a dry run lists and keeps, a cleanup deletes the losing
// attempt, --keep-last deletes the older run with its manifest; the current
// snapshot reads the same throughout.
TEST_F(CliShardyTest, CleanupDeletesLosersAndOldRunsButNeverTheCurrentSnapshot) {
  ASSERT_EQ(BuildInts(WriteJsonl("a.jsonl", 5), "r1").code, 0);
  ASSERT_EQ(BuildInts(WriteJsonl("b.jsonl", 9), "r2").code, 0);
  const std::string loser = dir_ + "/snap/shards/run_id=r2/db=00001/attempt=01/compacted/X.sst";
  fs::create_directories(fs::path(loser).parent_path());
  std::ofstream(loser) << "loser";

  RunResult dry = Read({"cleanup", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  Json plan = ParseLine(dry.out);
  EXPECT_EQ(plan["op"], "cleanup");
  EXPECT_TRUE(plan["dry_run"].get<bool>());
  EXPECT_EQ(plan["run_id"], "r2");
  ASSERT_EQ(plan["stale_attempts"].size(), 1u) << plan.dump();
  EXPECT_EQ(plan["stale_attempts"][0]["db_id"], 1);
  EXPECT_EQ(plan["stale_attempts"][0]["prefix_url"],
            prefix_url_ + "/shards/run_id=r2/db=00001/attempt=01");
  EXPECT_EQ(plan["total_objects_deleted"], 1);
  EXPECT_TRUE(fs::exists(loser));

  RunResult done = Read({"cleanup"});
  ASSERT_EQ(done.code, 0) << done.err;
  EXPECT_FALSE(fs::exists(loser));
  EXPECT_TRUE(ParseLine(Read({"get", "9"}).out)["found"].get<bool>());

  RunResult old = Read({"cleanup", "--keep-last", "1"});
  ASSERT_EQ(old.code, 0) << old.err;
  Json gone = ParseLine(old.out);
  ASSERT_EQ(gone["old_runs"].size(), 1u) << gone.dump();
  EXPECT_EQ(gone["old_runs"][0]["run_id"], "r1");
  EXPECT_EQ(gone["old_runs"][0]["manifests"], 1);
  size_t r1_files = 0;  // the file store leaves the directories (and their lock files)
  for (const auto& e : fs::recursive_directory_iterator(dir_ + "/snap/shards/run_id=r1")) {
    r1_files += e.is_regular_file() && e.path().filename().string()[0] != '.';
  }
  EXPECT_EQ(r1_files, 0u);
  EXPECT_EQ(ParseLine(Read({"history"}).out)["manifests"].size(), 1u);
  EXPECT_TRUE(ParseLine(Read({"get", "9"}).out)["found"].get<bool>());

  EXPECT_EQ(Read({"cleanup", "--older-than", "3x"}).code, 2);
  EXPECT_EQ(Read({"cleanup", "--keep-last", "0"}).code, 2);
}

// `shardy health`: healthy (0), degraded when stale or served from a
// fallback manifest (1), unhealthy when nothing can be opened (2); the
// result says why.
TEST_F(CliShardyTest, HealthSaysHealthyDegradedOrUnhealthyAndWhy) {
  ASSERT_EQ(BuildInts(WriteJsonl("a.jsonl", 5), "r1").code, 0);
  ASSERT_EQ(BuildInts(WriteJsonl("b.jsonl", 9), "r2").code, 0);
  RunResult ok = Read({"health"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  Json h = ParseLine(ok.out);
  EXPECT_EQ(h["op"], "health");
  EXPECT_EQ(h["status"], "healthy");
  EXPECT_EQ(h["num_shards"], 3);
  EXPECT_TRUE(h["reasons"].empty());
  EXPECT_GE(h["manifest_age_seconds"].get<double>(), 0.0);
  EXPECT_LT(h["manifest_age_seconds"].get<double>(), 600.0);

  RunResult stale = Read({"--output-format", "text", "health", "--staleness-threshold", "0"});
  EXPECT_EQ(stale.code, 1);
  EXPECT_NE(stale.out.find("degraded: the snapshot was published"), std::string::npos) << stale.out;

  for (const auto& e : fs::directory_iterator(dir_ + "/snap/manifests")) {
    if (e.path().filename().string().ends_with("_run_id=r2")) {
      std::ofstream(e.path() / "manifest", std::ios::trunc) << "damaged";
    }
  }
  RunResult fallback = Read({"health"});
  EXPECT_EQ(fallback.code, 1);
  h = ParseLine(fallback.out);
  EXPECT_EQ(h["status"], "degraded");
  EXPECT_NE(h["manifest_ref"].get<std::string>().find("run_id=r1"), std::string::npos);
  EXPECT_NE(h["reasons"][0].get<std::string>().find("is malformed"), std::string::npos);

  RunResult none = Run({"--current-url", "file://" + dir_ + "/nothing/_CURRENT", "health"});
  EXPECT_EQ(none.code, 2);
  EXPECT_EQ(ParseLine(none.out)["status"], "unhealthy");
}

// reader.toml: [reader] current_url and [output] settings fill what no flag
// gives (flags win); found by --config or $SHARDY_CONFIG; a key or section
// it does not know, or a bad value, is a usage error naming it.
TEST_F(CliShardyTest, ReaderTomlConfiguresTheReadCommands) {
  ASSERT_EQ(
      BuildInts(WriteJsonl("a.jsonl", 5), "r1", {"--num-dbs", "3", "--value-field", "name"}).code,
      0);
  const std::string config = WriteFile(
      "reader.toml", "[reader]\ncurrent_url = \"" + current_url_ + "\"\nlocal_root = \"" + dir_ +
                         "/cache\"\nthread_safety = "
                         "\"lock\"\nmax_workers = 4\n\n[output]\nformat = \"text\"\n"
                         "value_encoding = \"utf8\"\n");
  RunResult text = Run({"--config", config, "get", "3"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.out, "n3\n");
  RunResult json = Run({"--config", config, "--output-format", "jsonl", "get", "3"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(ParseLine(json.out)["value"], "n3") << "flags override the file";

  ShardyEnvironment env;
  env.getenv = [&](const std::string& name) {
    return name == "SHARDY_CONFIG" ? std::optional<std::string>(config) : std::nullopt;
  };
  RunResult from_env = Run({"get", "4"}, "", env);
  EXPECT_EQ(from_env.code, 0) << from_env.err;
  EXPECT_EQ(from_env.out, "n4\n");

  const std::string bad_key = WriteFile("bad.toml", "[reader]\ncurent_url = \"x\"\n");
  RunResult unknown = Run({"--config", bad_key, "info"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("[reader] curent_url is not a key of [reader]"), std::string::npos)
      << unknown.err;
  const std::string bad_format = WriteFile("fmt.toml", "[output]\nformat = \"yaml\"\n");
  EXPECT_NE(Run({"--config", bad_format, "info"}).err.find("\"yaml\" is not one of"),
            std::string::npos);
  const std::string postgres = WriteFile("pg.toml", "[manifest_store]\nbackend = \"postgres\"\n");
  EXPECT_NE(Run({"--config", postgres, "info"}).err.find("is not supported"), std::string::npos);
  EXPECT_EQ(Run({"--config", dir_ + "/missing.toml", "info"}).code, 2);
}

// `shardy` with no subcommand reads commands from a pipe, one reader for the
// session: `use` pins another manifest for the session only, an unknown
// command is an error that does not end it, and `quit` (or the end) does.
TEST_F(CliShardyTest, TheInteractiveModeRunsCommandsFromAPipe) {
  ASSERT_EQ(
      BuildInts(WriteJsonl("a.jsonl", 5), "r1", {"--num-dbs", "3", "--value-field", "name"}).code,
      0);
  ASSERT_EQ(BuildInts(WriteJsonl("b.jsonl", 9), "r2").code, 0);
  const std::string current_before = ReadFileText(dir_ + "/snap/_CURRENT");
  RunResult r = Read({"--value-encoding", "utf8"},
                     "get 9\n\n# a comment\nuse --offset 1\nget 3\nget 9\nfrobnicate\n"
                     "use --latest\nroute 9\nrefresh\nquit\nget 1\n");
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<Json> lines;
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);) lines.push_back(Json::parse(line));
  ASSERT_EQ(lines.size(), 7u) << r.out;
  EXPECT_TRUE(lines[0]["found"].get<bool>());
  EXPECT_EQ(lines[1]["op"], "use");
  EXPECT_NE(lines[1]["manifest_ref"].get<std::string>().find("run_id=r1"), std::string::npos);
  EXPECT_EQ(lines[2]["value"], "n3") << "r1 stored the name";
  EXPECT_FALSE(lines[3]["found"].get<bool>()) << "r1 has no key 9";
  EXPECT_NE(lines[4]["manifest_ref"].get<std::string>().find("run_id=r2"), std::string::npos);
  EXPECT_EQ(lines[5]["op"], "route");
  EXPECT_EQ(lines[6], Json::parse(R"({"op":"refresh","changed":false})"));
  EXPECT_EQ(ParseLine(r.err)["error"],
            "unknown command \"frobnicate\"; type help for the commands");
  EXPECT_EQ(ReadFileText(dir_ + "/snap/_CURRENT"), current_before) << "use never moves _CURRENT";
}

}  // namespace
}  // namespace shardyfusion::cli
