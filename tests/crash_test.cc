// Crash safety of the two-phase publish, through the real `shardy` binary.
//
// What this proves: a writer killed with SIGKILL at any point of
// `shardy build` never leaves `_CURRENT` naming an incomplete snapshot.
//
// A first build publishes input A. Each round then builds the other input
// (the same keys; every value names its input) in one of the CLI's write
// modes and kills the writer at one of three points: after a random delay of
// up to about one uninterrupted build; as soon as its manifest object
// appears, to land between the manifest write and the `_CURRENT` switch,
// which random delays rarely hit; or as soon as `_CURRENT` names it, to land
// in the cleanup after the switch. After every kill `_CURRENT` must parse and
// name either the snapshot that was current before the round or the killed
// run's own; its manifest must open with no fallback to an older one; and
// every key must read back with that snapshot's value: no miss, no value of
// the other input. A kill after the switch is accepted, since the snapshot it
// left current must be just as complete. A last, uninterrupted build must
// publish its input completely and remove its local staging.
//
// The seed is printed; SHARDY_CRASH_SEED=<n> replays a run's choices (the
// points the random kills land at still depend on timing).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shardyfusion/manifest.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/reader.h"

#ifndef SHARDY_CLI_PATH
#error "SHARDY_CLI_PATH must name the shardy executable (CMakeLists.txt sets it)"
#endif

extern char** environ;

namespace shardyfusion {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The sanitizer build runs the writer about five times slower.
#ifdef __SANITIZE_ADDRESS__
constexpr int64_t kRecords = 30000;
constexpr int kRounds = 6;
#else
constexpr int64_t kRecords = 300000;
constexpr int kRounds = 15;  // every write mode with every kill point
#endif
constexpr int kNumDbs = 8;

// The value of key `i` in input `input` ('A' or 'B').
std::string ValueFor(char input, int64_t i) {
  return std::string(1, input) + "-" + std::to_string(i) + "-" + std::string(i % 23, 'x');
}

char OtherInput(char input) { return input == 'A' ? 'B' : 'A'; }

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts `shardy args...` with stdin from /dev/null and stdout and stderr
// written to files. Returns the child's pid, or -1.
pid_t SpawnShardy(const std::vector<std::string>& args, const std::string& out_path,
                  const std::string& err_path) {
  std::vector<std::string> owned = {SHARDY_CLI_PATH};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// Reaps `pid`; returns its wait status.
int Reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Whether `pid` has exited, without reaping it: until it is reaped its pid
// cannot be reused, so killing it stays safe.
bool HasExited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// How one write mode of the CLI is asked for.
struct BuildMode {
  std::string name;
  std::vector<std::string> flags;
};

// When a round kills its writer.
enum class KillPoint {
  kRandomDelay,      // after up to a fifth more than one uninterrupted build
  kManifestWritten,  // as soon as the run's manifest object exists
  kCurrentSwitched,  // as soon as `_CURRENT` names the run (cleanup is still to come)
};

// Where a round's kill landed, as the store shows it afterwards.
struct Landings {
  int before_manifest = 0;       // no manifest of the run
  int manifest_not_current = 0;  // manifest written, `_CURRENT` not switched
  int after_switch = 0;          // `_CURRENT` names the killed run
  int finished_first = 0;        // the build exited before the kill
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "shardy_crash_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    prefix_ = dir_ + "/snap";
    staging_ = dir_ + "/staging";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes input `input` as JSONL, keys in order; returns its path.
  std::string WriteInput(char input) {
    const std::string path = dir_ + "/input-" + std::string(1, input) + ".jsonl";
    std::ofstream out(path, std::ios::binary);
    for (int64_t i = 0; i < kRecords; ++i) {
      out << "{\"key\": " << i << ", \"value\": \"" << ValueFor(input, i) << "\"}\n";
    }
    return path;
  }

  std::vector<std::string> BuildArgs(const std::string& input_path, const std::string& run_id,
                                     const BuildMode& mode) const {
    const std::vector<std::pair<std::string, std::string>> flags = {
        {"--input", input_path},
        {"--format", "jsonl"},
        {"--key-field", "key"},
        {"--key-type", "int"},
        {"--value-field", "value"},
        {"--prefix", prefix_},
        {"--num-dbs", std::to_string(kNumDbs)},
        {"--run-id", run_id},
        {"--local-root", staging_},
    };
    std::vector<std::string> args = {"build"};
    for (const auto& [flag, value] : flags) {
      args.push_back(flag);
      args.push_back(value);
    }
    args.insert(args.end(), mode.flags.begin(), mode.flags.end());
    return args;
  }

  std::string LogPath(const std::string& run_id, const char* stream) const {
    return dir_ + "/" + run_id + "." + stream;
  }

  // Runs a build to its end; it must succeed. Sets *manifest_ref from the
  // result it prints.
  void BuildToEnd(const std::vector<std::string>& args, const std::string& run_id,
                  std::string* manifest_ref) {
    const pid_t pid = SpawnShardy(args, LogPath(run_id, "out"), LogPath(run_id, "err"));
    ASSERT_GT(pid, 0) << "cannot start " << SHARDY_CLI_PATH;
    const int status = Reap(pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "build " << run_id << ": " << DescribeStatus(status) << "\n"
        << ReadWholeFile(LogPath(run_id, "err"));
    const nlohmann::json result =
        nlohmann::json::parse(ReadWholeFile(LogPath(run_id, "out")), nullptr, false);
    ASSERT_TRUE(result.is_object()) << ReadWholeFile(LogPath(run_id, "out"));
    EXPECT_EQ(result.value("rows_written", int64_t{-1}), kRecords);
    *manifest_ref = result.value("manifest_ref", "");
  }

  bool ManifestWritten(const std::string& run_id) const {
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(prefix_ + "/manifests", ec)) {
      const std::string name = e.path().filename().string();
      if (name.ends_with("_run_id=" + run_id) && fs::exists(e.path() / "manifest", ec)) {
        return true;
      }
    }
    return false;
  }

  bool CurrentNames(const std::string& run_id) const {
    Result<CurrentPointer> pointer = ParseCurrentPointer(ReadWholeFile(prefix_ + "/_CURRENT"));
    return pointer.ok() && pointer->run_id == run_id;
  }

  // Returns once `reached()` holds or the child `pid` has exited.
  template <typename Condition>
  static void WaitUntil(pid_t pid, Condition reached) {
    while (!reached() && !HasExited(pid)) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  // `_CURRENT` must name one of `allowed` (run id -> its input), with a
  // manifest that opens without falling back to an older one, in which every
  // key reads back with its input's value. Sets *current_run and
  // *current_ref.
  void VerifyCurrent(const std::map<std::string, char>& allowed, std::string* current_run,
                     std::string* current_ref) {
    Result<StoreLocation> loc = OpenStoreForUrl("file://" + prefix_);
    ASSERT_TRUE(loc.ok()) << loc.status().ToString();
    ManifestStore manifests(loc->store, loc->key);
    Result<std::optional<CurrentPointer>> pointer = manifests.LoadCurrent();
    ASSERT_TRUE(pointer.ok()) << pointer.status().ToString();
    ASSERT_TRUE(pointer->has_value()) << "_CURRENT is missing";
    const CurrentPointer& current = **pointer;
    const auto it = allowed.find(current.run_id);
    ASSERT_NE(it, allowed.end()) << "_CURRENT names run " << current.run_id
                                 << ", which is neither the old nor the new snapshot";

    ReaderOptions options;
    options.local_root = dir_ + "/reader-cache";
    options.max_fallback_attempts = 0;  // a fallback would hide a broken current manifest
    Result<std::unique_ptr<ShardedReader>> reader =
        ShardedReader::Open("file://" + prefix_, options);
    ASSERT_TRUE(reader.ok()) << current.manifest_ref << ": " << reader.status().ToString();
    const SnapshotInfo info = (*reader)->snapshot_info();
    EXPECT_EQ(info.manifest_ref, current.manifest_ref);
    EXPECT_EQ(info.run_id, current.run_id);
    EXPECT_EQ(info.num_dbs, kNumDbs);
    EXPECT_EQ(info.row_count, kRecords);

    const char input = it->second;
    int64_t misses = 0;
    int64_t other_input = 0;
    int64_t garbled = 0;
    int64_t first_bad = -1;
    for (int64_t i = 0; i < kRecords; ++i) {
      Result<std::optional<std::string>> v = (*reader)->Get(Key::Int(i));
      ASSERT_TRUE(v.ok()) << "key " << i << " of " << current.manifest_ref << ": "
                          << v.status().ToString();
      if (v->has_value() && **v == ValueFor(input, i)) continue;
      if (!v->has_value()) {
        ++misses;
      } else if (**v == ValueFor(OtherInput(input), i)) {
        ++other_input;
      } else {
        ++garbled;
      }
      if (first_bad < 0) first_bad = i;
    }
    EXPECT_EQ(misses + other_input + garbled, 0)
        << current.manifest_ref << " (input " << input << "): " << misses << " keys missing, "
        << other_input << " with input " << OtherInput(input) << "'s value, " << garbled
        << " with other values; first bad key " << first_bad;
    reader->reset();
    fs::remove_all(options.local_root);
    *current_run = current.run_id;
    *current_ref = current.manifest_ref;
  }

  // What killed writers leave behind (none of it is referenced by a
  // manifest): local staging, temp files of unfinished puts, the shard data
  // of runs other than `current_run`, and run records still marked running.
  std::string Leftovers(const std::string& current_run) const {
    std::error_code ec;
    int64_t staged = 0;
    for (const fs::directory_entry& e : fs::directory_iterator(staging_, ec)) {
      staged += e.path().filename().string().starts_with("run_id=");
    }
    int64_t shard_runs = 0;
    for (const fs::directory_entry& e : fs::directory_iterator(prefix_ + "/shards", ec)) {
      shard_runs += e.path().filename().string() != "run_id=" + current_run;
    }
    int64_t temp_files = 0;
    int64_t running = 0;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(prefix_, ec)) {
      const std::string name = e.path().filename().string();
      temp_files += name.find(".shardy-tmp.") != std::string::npos;
      if (name == "run.yaml") {
        running +=
            ReadWholeFile(e.path().string()).find("\nstatus: running\n") != std::string::npos;
      }
    }
    return std::to_string(staged) + " local staging dirs, " + std::to_string(temp_files) +
           " temp files in the store, " + std::to_string(shard_runs) +
           " unreferenced shard runs, " + std::to_string(running) + " run records still running";
  }

  std::string dir_;
  std::string prefix_;
  std::string staging_;
};

TEST_F(CrashTest, KilledWriterNeverLeavesCurrentIncomplete) {
  uint64_t seed = std::random_device()();
  if (const char* s = std::getenv("SHARDY_CRASH_SEED")) seed = std::stoull(s);
  std::cout << "[ crash    ] seed " << seed << " (SHARDY_CRASH_SEED replays it)" << std::endl;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::vector<BuildMode> modes = {
      {"single", {}},
      {"parallel", {"--parallel"}},
      {"parallel-3-workers", {"--parallel", "--workers", "3"}},
      {"shard-retries", {"--shard-retries", "2", "--retry-backoff", "0"}},
      {"sqlite", {"--backend", "sqlite"}},
  };
  const std::map<char, std::string> input_path = {{'A', WriteInput('A')}, {'B', WriteInput('B')}};

  std::map<std::string, char> input_of = {{"base", 'A'}};
  const Clock::time_point base_start = Clock::now();
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(
      BuildToEnd(BuildArgs(input_path.at('A'), "base", modes[0]), "base", &ref));
  const auto build_us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - base_start).count();
  std::string current;
  std::string current_ref;
  ASSERT_NO_FATAL_FAILURE(VerifyCurrent(input_of, &current, &current_ref));
  EXPECT_EQ(current_ref, ref);

  // Up to a fifth past one build, so that some kills land in the publish at
  // its end, or after it. A seed replays the fractions, not the durations.
  std::uniform_real_distribution<double> delay_fraction(0, 1.2);
  const KillPoint kill_points[] = {KillPoint::kRandomDelay, KillPoint::kManifestWritten,
                                   KillPoint::kCurrentSwitched};
  Landings landed;
  for (int round = 0; round < kRounds; ++round) {
    const BuildMode& mode = modes[round % modes.size()];
    const KillPoint kill_point = kill_points[round % 3];
    const auto delay = std::chrono::microseconds(
        static_cast<int64_t>(delay_fraction(rng) * static_cast<double>(build_us)));
    const char input = OtherInput(input_of.at(current));
    const std::string run_id = "round-" + std::to_string(round);
    std::string when = "after " + std::to_string(delay.count()) + " us";
    if (kill_point == KillPoint::kManifestWritten) when = "when its manifest appears";
    if (kill_point == KillPoint::kCurrentSwitched) when = "when _CURRENT names it";
    SCOPED_TRACE(run_id + ": " + mode.name + " build of input " + std::string(1, input) +
                 ", killed " + when);

    const pid_t pid = SpawnShardy(BuildArgs(input_path.at(input), run_id, mode),
                                  LogPath(run_id, "out"), LogPath(run_id, "err"));
    ASSERT_GT(pid, 0) << "cannot start " << SHARDY_CLI_PATH;
    switch (kill_point) {
      case KillPoint::kRandomDelay:
        std::this_thread::sleep_for(delay);
        break;
      case KillPoint::kManifestWritten:
        WaitUntil(pid, [&] { return ManifestWritten(run_id); });
        break;
      case KillPoint::kCurrentSwitched:
        WaitUntil(pid, [&] { return CurrentNames(run_id); });
        break;
    }
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    const int status = Reap(pid);
    const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (!killed) {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << DescribeStatus(status) << "\n"
          << ReadWholeFile(LogPath(run_id, "err"));
    }

    const std::string before = current;
    ASSERT_NO_FATAL_FAILURE(
        VerifyCurrent({{before, input_of.at(before)}, {run_id, input}}, &current, &current_ref));
    input_of[run_id] = input;
    if (kill_point == KillPoint::kCurrentSwitched) {
      EXPECT_EQ(current, run_id) << "the writer was killed after switching _CURRENT";
    }
    if (!killed) {
      EXPECT_EQ(current, run_id) << "a build that finished is not current";
      ++landed.finished_first;
    } else if (current == run_id) {
      ++landed.after_switch;
    } else if (ManifestWritten(run_id)) {
      ++landed.manifest_not_current;
    } else {
      ++landed.before_manifest;
    }
    std::cout << "[ crash    ] " << run_id << " " << mode.name << ", killed " << when << ": "
              << (killed ? "" : "finished first; ") << "current is " << current << std::endl;
  }

  // An uninterrupted build after all the kills publishes its input fully.
  const char final_input = OtherInput(input_of.at(current));
  input_of["final"] = final_input;
  ASSERT_NO_FATAL_FAILURE(
      BuildToEnd(BuildArgs(input_path.at(final_input), "final", modes[0]), "final", &ref));
  ASSERT_NO_FATAL_FAILURE(VerifyCurrent({{"final", final_input}}, &current, &current_ref));
  EXPECT_EQ(current_ref, ref);
  EXPECT_FALSE(fs::exists(staging_ + "/run_id=final"));
  // The final build swept what the killed ones left under the local root.
  for (const fs::directory_entry& e : fs::directory_iterator(staging_)) {
    ADD_FAILURE() << "left in the local staging root: " << e.path();
  }

  std::cout << "[ crash    ] " << kRounds << " kills, base build " << build_us / 1000
            << " ms: " << landed.before_manifest << " before the manifest, "
            << landed.manifest_not_current << " between the manifest and the _CURRENT switch, "
            << landed.after_switch << " after the switch, " << landed.finished_first
            << " after the build finished; left behind: " << Leftovers(current) << std::endl;
}

// An interrupted build (Ctrl-C while it reads its input) aborts cleanly:
// exit 1 naming the signal, nothing published, no shard objects left, and
// its run record failed with the signal instead of `running`.
TEST_F(CrashTest, AnInterruptedBuildAbortsAndRecordsWhy) {
  ::signal(SIGPIPE, SIG_IGN);  // the build may close its input first
  const std::string fifo = dir_ + "/input.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  std::vector<std::string> args = BuildArgs(fifo, "interrupted", {"single", {}});
  const pid_t pid = SpawnShardy(args, LogPath("interrupted", "out"), LogPath("interrupted", "err"));
  ASSERT_GT(pid, 0) << "cannot start " << SHARDY_CLI_PATH;
  const int fd = ::open(fifo.c_str(), O_WRONLY);  // waits for the build to open it
  ASSERT_GE(fd, 0) << std::strerror(errno);
  int64_t written = 0;
  const auto write_lines = [&](int n) {
    std::string text;
    for (int i = 0; i < n; ++i, ++written) {
      text += "{\"key\": " + std::to_string(written) + ", \"value\": \"v\"}\n";
    }
    return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  };
  ASSERT_TRUE(write_lines(5000));
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  // The build notices at its next record.
  for (int i = 0; i < 500 && !HasExited(pid) && write_lines(10); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::close(fd);
  const int status = Reap(pid);
  const std::string err = ReadWholeFile(LogPath("interrupted", "err"));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << DescribeStatus(status) << "\n"
                                                             << err;
  EXPECT_NE(err.find("interrupted by signal 2 (Interrupt) while reading the input; nothing was "
                     "published"),
            std::string::npos)
      << err;
  EXPECT_FALSE(fs::exists(prefix_ + "/_CURRENT"));
  EXPECT_FALSE(fs::exists(prefix_ + "/manifests"));
  std::vector<std::string> shard_files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(prefix_ + "/shards", ec)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') {
      shard_files.push_back(e.path().string());
    }
  }
  EXPECT_TRUE(shard_files.empty()) << shard_files.front();
  int records = 0;
  for (const auto& e : fs::recursive_directory_iterator(prefix_ + "/runs", ec)) {
    if (e.path().filename() != "run.yaml") continue;
    ++records;
    const std::string yaml = ReadWholeFile(e.path().string());
    EXPECT_NE(yaml.find("status: failed"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("interrupted by signal 2"), std::string::npos) << yaml;
  }
  EXPECT_EQ(records, 1);
}

// A build killed (SIGKILL) after its checkpoints continues with `--resume`:
// the resumed build reads the input from the checkpoint's position on and
// publishes the complete snapshot, on both backends. A resume with a changed
// input, or of a published run, is refused; stdin cannot resume.
TEST_F(CrashTest, AKilledBuildResumesFromItsCheckpoint) {
  const std::string input = WriteInput('A');
  const std::vector<BuildMode> modes = {
      {"slatedb", {"--checkpoint-records", "20000"}},
      {"sqlite", {"--backend", "sqlite", "--checkpoint-records", "20000"}}};
  for (const BuildMode& mode : modes) {
    SCOPED_TRACE(mode.name);
    const std::string run_id = "resume-" + mode.name;
    const std::vector<std::string> args = BuildArgs(input, run_id, mode);
    const std::string checkpoint = staging_ + "/run_id=" + run_id + "/checkpoint.json";
    const pid_t pid = SpawnShardy(args, LogPath(run_id, "out"), LogPath(run_id, "err"));
    ASSERT_GT(pid, 0);
    int64_t checkpointed = 0;
    WaitUntil(pid, [&] {
      const nlohmann::json j = nlohmann::json::parse(ReadWholeFile(checkpoint), nullptr, false);
      checkpointed = j.is_object() ? j.value("records", int64_t{0}) : 0;
      return checkpointed >= kRecords / 3;
    });
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    const int status = Reap(pid);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the build ended before the kill: " << DescribeStatus(status);
    EXPECT_FALSE(CurrentNames(run_id));

    std::vector<std::string> resume = args;
    for (std::string& a : resume) {
      if (a == "--run-id") a = "--resume";
    }
    // The input changed since (its modification time): refused, and the
    // checkpoint stays usable.
    struct stat before;
    ASSERT_EQ(::stat(input.c_str(), &before), 0);
    const struct timespec later[2] = {before.st_atim, {before.st_mtim.tv_sec + 10, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, input.c_str(), later, 0), 0);
    const pid_t refused = SpawnShardy(resume, LogPath(run_id, "out"), LogPath(run_id, "err"));
    const int refused_status = Reap(refused);
    EXPECT_TRUE(WIFEXITED(refused_status) && WEXITSTATUS(refused_status) == 1);
    EXPECT_NE(ReadWholeFile(LogPath(run_id, "err")).find("the input's mtime_ns was"),
              std::string::npos)
        << ReadWholeFile(LogPath(run_id, "err"));
    const struct timespec back[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, input.c_str(), back, 0), 0);

    std::string manifest_ref;
    BuildToEnd(resume, run_id, &manifest_ref);
    std::string current_run;
    std::string current_ref;
    VerifyCurrent({{run_id, 'A'}}, &current_run, &current_ref);
    EXPECT_EQ(current_ref, manifest_ref);
    EXPECT_FALSE(fs::exists(staging_ + "/run_id=" + run_id)) << "the resumed build cleaned up";
    std::cout << "[ resume   ] " << mode.name << ": killed after a checkpoint of " << checkpointed
              << " of " << kRecords << " records" << std::endl;

    // Published: never resumed again.
    const pid_t again = SpawnShardy(resume, LogPath(run_id, "out"), LogPath(run_id, "err"));
    const int again_status = Reap(again);
    EXPECT_TRUE(WIFEXITED(again_status) && WEXITSTATUS(again_status) == 1);
    EXPECT_NE(ReadWholeFile(LogPath(run_id, "err")).find("already published"), std::string::npos)
        << ReadWholeFile(LogPath(run_id, "err"));
  }
  std::vector<std::string> from_stdin = BuildArgs("-", "stdin-run", modes[0]);
  for (std::string& a : from_stdin) {
    if (a == "--run-id") a = "--resume";
  }
  const pid_t pid = SpawnShardy(from_stdin, LogPath("stdin", "out"), LogPath("stdin", "err"));
  const int status = Reap(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << DescribeStatus(status);
  EXPECT_NE(ReadWholeFile(LogPath("stdin", "err")).find("needs the input as a file"),
            std::string::npos);
}

}  // namespace
}  // namespace shardyfusion
