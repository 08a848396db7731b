// shardy_bench: one line per workload, like LevelDB's db_bench.
//
//   shardy_bench [--records N] [--runs R] [--dir DIR]     writer + lookup workloads
//                [--writer-only [--ascending] [--prefix URL]]
//                                                          only the writer line (into URL)
//   shardy_bench --slatedb-only [--records N] [--runs R] [--writer-only]
//                                                          only the SlateDB vs RocksDB lines
//   shardy_bench --memory [--records N] [--sort-memory-mib M]
//                [--backend slatedb|slatedb-local|sqlite]  peak RSS of a streamed build
//                [--shard-counts 8,256,4096]               (SlateDB direct by default; 8
//                                                          shards, or one build per count,
//                                                          each in its own process)
//   shardy_bench --cel [--records N] [--runs R]          CEL routing evaluations/s
//   scripts/with-s3-server.sh shardy_bench --s3 [--mib M] [--runs R]
//                                                          S3 upload/download MB/s beside curl
//   shardy_bench --multiget [--records N] [--runs R]     MultiGet against a loop of Get on
//                                                          the same keys, warm, both backends
//   shardy_bench --reader-open [--s3] [--runs R]         opening an 8- and a 1,000-shard
//                                                          snapshot, and a cold get: time and
//                                                          store requests (--s3: on the server)
//
// Writer workload: 8-byte int keys in shuffled order, 100-byte values, 8
// shards, local directory, SQLite backend. Beside it, in the same run, two
// ceilings: a bare loop inserting the same rows into one SQLite table with a
// prepared statement in one transaction, in input order and pre-sorted.
// Lookup workload: warm point lookups through the sharded reader beside a
// bare prepared SELECT on the same shard file. Medians over R runs.
// Then the SlateDB backend beside RocksDB on one shard (bench/slatedb_bench.cc).
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <ranges>
#include <string>
#include <thread>
#include <vector>

#include "bench.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/routing.h"
#include "shardyfusion/s3.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"
#include "shardyfusion/writer.h"
#include "storage/fault_store.h"

namespace sf = shardyfusion;
using shardy_bench::Clock;
using shardy_bench::Die;
using shardy_bench::KeyU64Be;
using shardy_bench::Median;
using shardy_bench::Seconds;
using shardy_bench::Value100;

namespace {

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK)
    Die(std::string(sql) + ": " + (err ? err : "?"));
}

// The ceiling: one table, one prepared statement, one transaction.
double BareSqliteInsert(const std::string& path, const std::vector<int64_t>& keys) {
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("open " + path);
  Exec(db,
       "PRAGMA page_size=4096; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
       "PRAGMA cache_size=-2000; PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY;");
  Exec(db, "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", -1, &stmt, nullptr);
  const Clock::time_point t0 = Clock::now();
  Exec(db, "BEGIN");
  char key[8];
  char value[100];
  for (int64_t k : keys) {
    KeyU64Be(k, key);
    Value100(k, value);
    sqlite3_bind_blob(stmt, 1, key, 8, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 2, value, 100, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) Die("insert");
    sqlite3_reset(stmt);
  }
  Exec(db, "COMMIT");
  const double s = Seconds(t0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  std::filesystem::remove(path);
  return s;
}

// `prefix` empty = file://<dir>/snapshot.
double RunWriter(const std::string& dir, const std::vector<int64_t>& keys, sf::BuildResult* out,
                 const std::string& prefix = "") {
  return shardy_bench::RunShardedWriter(prefix.empty() ? "file://" + dir + "/snapshot" : prefix,
                                        dir + "/staging", keys, 8, sf::NewSqliteWriterFactory(),
                                        out);
}

struct Latency {
  double ops_per_s;
  double p50_us;
  double p99_us;
};

template <typename Fn>
Latency MeasureLookups(const std::vector<int64_t>& probe, Fn&& lookup) {
  std::vector<double> lat;
  lat.reserve(probe.size());
  const Clock::time_point t0 = Clock::now();
  for (int64_t k : probe) {
    const Clock::time_point a = Clock::now();
    lookup(k);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  const double s = Seconds(t0);
  std::sort(lat.begin(), lat.end());
  return Latency{probe.size() / s, lat[lat.size() / 2], lat[lat.size() * 99 / 100]};
}

// Single-process and parallel mode side by side, interleaved run by run so
// that both see the same machine noise.
int ParallelMode(const std::string& dir, int64_t n, int runs, const std::string& backend,
                 uint32_t shards) {
  std::vector<int64_t> keys(n);
  for (int64_t i = 0; i < n; ++i) keys[i] = i;
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(7));
  auto factory = [&]() -> std::shared_ptr<sf::ShardWriterFactory> {
    if (backend == "sqlite") return sf::NewSqliteWriterFactory();
    sf::SlateDbWriterOptions o;
    o.mode =
        backend == "slatedb-local" ? sf::SlateDbWriteMode::kLocal : sf::SlateDbWriteMode::kDirect;
    return sf::NewSlateDbWriterFactory(o);
  };
  std::vector<double> single, parallel;
  sf::BuildResult build;
  for (int r = 0; r < runs; ++r) {
    for (bool par : {false, true}) {
      std::filesystem::remove_all(dir + "/snapshot");
      sf::WriteOptions options;
      options.parallel = par;
      (par ? parallel : single)
          .push_back(shardy_bench::RunShardedWriter("file://" + dir + "/snapshot", dir + "/staging",
                                                    keys, shards, factory(), &build, options));
    }
  }
  const double s = Median(single), p = Median(parallel);
  std::printf("%lld records, %u shards, %s, median of %d interleaved runs, %u cores\n",
              static_cast<long long>(n), shards, backend.c_str(), runs,
              std::thread::hardware_concurrency());
  std::printf("writer_single_process : %10.0f records/s\n", n / s);
  std::printf("writer_parallel       : %10.0f records/s\n", n / p);
  std::printf("ratio parallel / single : %.2fx\n", s / p);
  return 0;
}

long PeakRssKib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int MemoryMode(const std::string& dir, int64_t n, uint64_t sort_memory_mib,
               const std::string& backend, bool parallel, uint32_t shards) {
  sf::WriteOptions options;
  options.parallel = parallel;
  sf::HashShardedWriteConfig config;
  config.s3_prefix = "file://" + dir + "/snapshot-" + std::to_string(shards);
  config.num_dbs = shards;
  config.local_root = dir + "/staging";
  if (backend == "sqlite") {
    sf::SqliteWriterOptions sqlite;
    sqlite.sort_memory_bytes = sort_memory_mib << 20;
    config.adapter_factory = sf::NewSqliteWriterFactory(sqlite);
  } else {
    sf::SlateDbWriterOptions slatedb;
    slatedb.mode =
        backend == "slatedb-local" ? sf::SlateDbWriteMode::kLocal : sf::SlateDbWriteMode::kDirect;
    slatedb.sort_memory_bytes = sort_memory_mib << 20;
    config.adapter_factory = sf::NewSlateDbWriterFactory(slatedb);
  }
  char value[100];
  const Clock::time_point t0 = Clock::now();
  sf::Result<sf::BuildResult> r = sf::WriteHashSharded(
      std::views::iota(int64_t{0}, n), config,
      sf::RecordInput{[](int64_t k) {
                        return static_cast<int64_t>(
                            (static_cast<uint64_t>(k) * 0x9E3779B97F4A7C15ull) >> 1);
                      },
                      [&value](int64_t k) {
                        Value100(k, value);
                        return std::string_view(value, 100);
                      }},
      options);
  const double s = Seconds(t0);
  if (!r.ok()) Die(r.status().ToString());
  const double input_mib = n * 108.0 / (1 << 20);
  std::printf(
      "memory_streamed_build : %s%s, %lld records (%.0f MiB of key+value), %u shards, "
      "batch_size 50000, sort memory %llu MiB: %.0f records/s, peak RSS %.1f MiB\n",
      backend.c_str(), parallel ? " parallel" : "", static_cast<long long>(n), input_mib, shards,
      static_cast<unsigned long long>(sort_memory_mib), n / s, PeakRssKib() / 1024.0);
  return 0;
}

// One MemoryMode build per shard count, each in a child process of its own,
// so that every peak RSS is that build's alone.
int MemorySweep(const std::string& dir, int64_t n, uint64_t sort_memory_mib,
                const std::string& backend, bool parallel, const std::vector<uint32_t>& counts) {
  for (uint32_t shards : counts) {
    std::fflush(stdout);
    const pid_t child = ::fork();
    if (child < 0) Die("fork");
    if (child == 0) {
      const int rc = MemoryMode(dir, n, sort_memory_mib, backend, parallel, shards);
      std::fflush(stdout);
      ::_exit(rc);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      Die("the build with " + std::to_string(shards) + " shards failed");
    }
  }
  return 0;
}

std::string EnvOrDie(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    Die(std::string(name) + " is not set; run through scripts/with-s3-server.sh");
  }
  return v;
}

// Runs a shell command and returns its wall time; dies if it fails.
double TimedShell(const std::string& cmd) {
  const Clock::time_point t0 = Clock::now();
  if (std::system(cmd.c_str()) != 0) Die("command failed: " + cmd);
  return Seconds(t0);
}

// Upload and download of one object through the S3 store, beside curl
// moving the same object to and from the same server in the same run.
int S3Mode(const std::string& dir, int64_t mib, int runs) {
  const std::string endpoint = EnvOrDie("SHARDY_TEST_S3_ENDPOINT");
  const std::string bucket = EnvOrDie("SHARDY_TEST_S3_BUCKET");
  const std::string ak = EnvOrDie("AWS_ACCESS_KEY_ID");
  const std::string sk = EnvOrDie("AWS_SECRET_ACCESS_KEY");
  sf::S3Config config = sf::S3ConfigFromEnvironment();
  config.options.endpoint_url = endpoint;
  config.options.addressing_style = "path";
  auto store = sf::NewS3Store(bucket, config);
  if (!store.ok()) Die(store.status().ToString());

  const std::string src = dir + "/object.bin";
  {
    std::ofstream out(src, std::ios::binary);
    std::mt19937_64 rng(7);
    std::vector<uint64_t> block(1 << 17);  // 1 MiB
    for (int64_t m = 0; m < mib; ++m) {
      for (uint64_t& w : block) w = rng();
      out.write(reinterpret_cast<const char*>(block.data()), block.size() * 8);
    }
  }
  const std::string curl = "curl -s --fail --aws-sigv4 aws:amz:us-east-1:s3 --user " + ak + ":" +
                           sk + " -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' ";
  std::vector<double> ours_up, ours_down, curl_up, curl_down;
  for (int r = 0; r < runs; ++r) {
    const std::string key = "bench/object-" + std::to_string(r);
    Clock::time_point t0 = Clock::now();
    auto put = (*store)->PutFile(key, src, sf::PutOptions());
    ours_up.push_back(Seconds(t0));
    if (!put.ok()) Die(put.status().ToString());
    t0 = Clock::now();
    auto got = (*store)->GetToFile(key, dir + "/down.bin");
    ours_down.push_back(Seconds(t0));
    if (!got.ok() || !*got) Die("download failed");
    const std::string url = endpoint + "/" + bucket + "/bench/curl-" + std::to_string(r);
    curl_up.push_back(TimedShell(curl + "-T " + src + " " + url + " -o /dev/null"));
    curl_down.push_back(TimedShell(curl + "-o " + dir + "/curl-down.bin " + url));
    std::filesystem::remove(dir + "/down.bin");
    std::filesystem::remove(dir + "/curl-down.bin");
  }
  const double mb = mib * 1048576.0 / 1e6;
  const double ou = Median(ours_up), od = Median(ours_down);
  const double cu = Median(curl_up), cd = Median(curl_down);
  std::printf("%lld MiB object, local S3 server, median of %d runs\n", static_cast<long long>(mib),
              runs);
  std::printf("s3_upload_putfile        : %8.1f MB/s  (curl -T: %8.1f MB/s, ratio %.2fx)\n",
              mb / ou, mb / cu, cu / ou);
  std::printf("s3_download_gettofile    : %8.1f MB/s  (curl -o: %8.1f MB/s, ratio %.2fx)\n",
              mb / od, mb / cd, cd / od);
  return 0;
}

// MultiGet of batches of 1,000 random keys against a loop of Get over the
// same keys, on a warm 8-shard snapshot of N records, each backend;
// interleaved run by run, medians, the ratio from the same runs.
int MultiGetMode(const std::string& dir, int64_t n, int runs) {
  std::vector<int64_t> keys(n);
  for (int64_t i = 0; i < n; ++i) keys[i] = i;
  std::printf(
      "multiget vs get loop: %lld records, 8 shards, batches of 1000 random keys, warm, "
      "median of %d runs\n",
      static_cast<long long>(n), runs);
  for (const char* backend : {"slatedb", "sqlite"}) {
    const std::string url = "file://" + dir + "/multiget-" + backend;
    sf::HashShardedWriteConfig c;
    c.s3_prefix = url;
    c.num_dbs = 8;
    c.local_root = dir + "/stage";
    c.write_run_record = false;
    if (std::string(backend) == "sqlite") c.adapter_factory = sf::NewSqliteWriterFactory();
    auto built =
        sf::WriteHashSharded(keys, c,
                             sf::RecordInput{[](int64_t k) { return k; },
                                             [](int64_t) { return std::string(100, 'v'); }});
    if (!built.ok()) Die(built.status().ToString());
    sf::ReaderOptions o;
    o.local_root = dir + "/cache-" + backend;
    auto reader = sf::ShardedReader::Open(url, o);
    if (!reader.ok()) Die(reader.status().ToString());
    std::mt19937_64 rng(11);
    std::vector<std::vector<sf::Key>> batches(200);
    for (auto& b : batches) {
      for (int i = 0; i < 1000; ++i) b.push_back(sf::Key::Int(static_cast<int64_t>(rng() % n)));
    }
    for (const auto& b : batches) (void)(*reader)->MultiGet(b);  // warm
    std::vector<double> loop_s, multi_s;
    for (int r = 0; r < runs; ++r) {
      Clock::time_point t0 = Clock::now();
      for (const auto& b : batches) {
        for (const sf::Key& k : b) {
          auto v = (*reader)->Get(k);
          if (!v.ok() || !v->has_value()) Die("get failed");
        }
      }
      loop_s.push_back(Seconds(t0));
      t0 = Clock::now();
      for (const auto& b : batches) {
        auto v = (*reader)->MultiGet(b);
        if (!v.ok() || v->size() != b.size()) Die("multiget failed");
      }
      multi_s.push_back(Seconds(t0));
    }
    const double keys_total = 200.0 * 1000.0;
    std::printf("multiget %-8s: %9.0f keys/s  (get loop %9.0f keys/s, ratio %.2fx)\n", backend,
                keys_total / Median(multi_s), keys_total / Median(loop_s),
                Median(loop_s) / Median(multi_s));
  }
  return 0;
}

// Opening a snapshot of 8 and of 1,000 SlateDB shards (20 records each) and
// a cold get, each through a fresh reader cache: median times and the store
// requests each step makes (the same for both counts: nothing per shard at
// open, one shard at the first get).
int ReaderOpenMode(const std::string& dir, int runs, bool s3) {
  std::shared_ptr<sf::ObjectStore> base;
  std::string root;
  if (s3) {
    sf::S3Config config = sf::S3ConfigFromEnvironment();
    config.options.endpoint_url = EnvOrDie("SHARDY_TEST_S3_ENDPOINT");
    config.options.addressing_style = "path";
    auto store = sf::NewS3Store(EnvOrDie("SHARDY_TEST_S3_BUCKET"), config);
    if (!store.ok()) Die(store.status().ToString());
    base = *store;
    root = base->Url("bench/reader-open-" + std::to_string(::getpid()));
  } else {
    root = "file://" + dir + "/reader-open";
    base = sf::OpenStoreForUrl(root)->store;
  }
  std::printf("reader open: SlateDB shards of 20 records, %s, median of %d runs\n",
              s3 ? "local S3 server" : "local directory", runs);
  for (uint32_t shards : {8u, 1000u}) {
    const std::string url = root + "/s" + std::to_string(shards);
    sf::HashShardedWriteConfig c;
    c.s3_prefix = url;
    c.store = base;
    c.num_dbs = shards;
    c.local_root = dir + "/stage";
    c.write_run_record = false;
    std::vector<int64_t> keys(20 * static_cast<size_t>(shards));
    for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<int64_t>(i);
    auto built =
        sf::WriteHashSharded(keys, c,
                             sf::RecordInput{[](int64_t k) { return k; },
                                             [](int64_t) { return std::string(100, 'v'); }});
    if (!built.ok()) Die(built.status().ToString());
    auto counting = std::make_shared<sf::FaultInjectingStore>(base);
    std::vector<double> open_s, get_s;
    size_t open_calls = 0, get_calls = 0;
    for (int r = 0; r < runs; ++r) {
      sf::ReaderOptions o;
      o.store = counting;
      o.local_root = dir + "/cache-" + std::to_string(shards) + "-" + std::to_string(r);
      size_t before = counting->Calls().size();
      Clock::time_point t0 = Clock::now();
      auto reader = sf::ShardedReader::Open(url, o);
      open_s.push_back(Seconds(t0));
      if (!reader.ok()) Die(reader.status().ToString());
      open_calls = counting->Calls().size() - before;
      before = counting->Calls().size();
      t0 = Clock::now();
      auto v = (*reader)->Get(sf::Key::Int(7));
      get_s.push_back(Seconds(t0));
      if (!v.ok() || !v->has_value()) Die("the cold get failed");
      get_calls = counting->Calls().size() - before;
    }
    std::printf(
        "reader_open %5u shards : %8.2f ms, %zu requests | cold get %8.2f ms, %zu requests\n",
        shards, Median(open_s) * 1e3, open_calls, Median(get_s) * 1e3, get_calls);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 1000000;
  int runs = 3;
  bool memory = false;
  bool writer_only = false;  // for profiling the writer alone
  bool ascending = false;    // --writer-only with keys in ascending order (bench/python_bench.py)
  std::string prefix;        // --writer-only into this URL (e.g. s3://) instead of a local dir
  bool slatedb_only = false;
  bool cel = false;
  bool parallel = false;
  uint32_t shards = 16;
  std::vector<uint32_t> shard_counts;  // --memory: one build per count
  uint64_t sort_memory_mib = sf::SqliteWriterOptions().sort_memory_bytes >> 20;
  bool s3 = false;
  bool reader_open = false;
  bool multiget = false;
  int64_t mib = 256;
  std::string backend = "slatedb";
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--records" && i + 1 < argc)
      n = std::stoll(argv[++i]);
    else if (a == "--runs" && i + 1 < argc)
      runs = std::stoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--memory")
      memory = true;
    else if (a == "--s3")
      s3 = true;
    else if (a == "--reader-open")
      reader_open = true;
    else if (a == "--multiget")
      multiget = true;
    else if (a == "--mib" && i + 1 < argc)
      mib = std::stoll(argv[++i]);
    else if (a == "--sort-memory-mib" && i + 1 < argc)
      sort_memory_mib = std::stoull(argv[++i]);
    else if (a == "--backend" && i + 1 < argc &&
             (std::string(argv[i + 1]) == "slatedb" ||
              std::string(argv[i + 1]) == "slatedb-local" || std::string(argv[i + 1]) == "sqlite"))
      backend = argv[++i];
    else if (a == "--writer-only")
      writer_only = true;
    else if (a == "--ascending")
      ascending = true;
    else if (a == "--prefix" && i + 1 < argc)
      prefix = argv[++i];
    else if (a == "--slatedb-only")
      slatedb_only = true;
    else if (a == "--cel")
      cel = true;
    else if (a == "--parallel")
      parallel = true;
    else if (a == "--shards" && i + 1 < argc)
      shards = static_cast<uint32_t>(std::stoul(argv[++i]));
    else if (a == "--shard-counts" && i + 1 < argc) {
      std::string list = argv[++i];
      for (size_t at = 0; at <= list.size();) {
        const size_t comma = std::min(list.find(',', at), list.size());
        shard_counts.push_back(static_cast<uint32_t>(std::stoul(list.substr(at, comma - at))));
        at = comma + 1;
      }
    } else {
      std::fprintf(
          stderr,
          "usage: shardy_bench [--records N] [--runs R] [--dir DIR] [--writer-only [--ascending] "
          "[--prefix URL]] "
          "[--slatedb-only]\n"
          "       shardy_bench --memory [--records N] [--sort-memory-mib M] [--parallel]\n"
          "                    [--backend slatedb|slatedb-local|sqlite] [--shard-counts A,B,..]\n"
          "       shardy_bench --cel [--records N] [--runs R]\n"
          "       shardy_bench --parallel [--records N] [--runs R] [--shards S]\n"
          "                    [--backend slatedb|slatedb-local|sqlite]\n"
          "       shardy_bench --s3 [--mib M] [--runs R]   (via scripts/with-s3-server.sh)\n"
          "       shardy_bench --reader-open [--s3] [--runs R]\n"
          "       shardy_bench --multiget [--records N] [--runs R]\n");
      return 2;
    }
  }
  if (cel) return shardy_bench::CelMode(n, runs);
  if (dir.empty()) {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/shardy_bench_XXXXXX";
    if (!mkdtemp(tmpl.data())) Die("mkdtemp");
    dir = tmpl;
  }
  std::filesystem::create_directories(dir);
  if (multiget) {
    const int rc = MultiGetMode(dir, n, runs);
    std::filesystem::remove_all(dir);
    return rc;
  }
  if (reader_open) {
    const int rc = ReaderOpenMode(dir, runs, s3);
    std::filesystem::remove_all(dir);
    return rc;
  }
  if (s3) {
    const int rc = S3Mode(dir, mib, runs);
    std::filesystem::remove_all(dir);
    return rc;
  }
  if (parallel && !memory) {
    const int rc = ParallelMode(dir, n, runs, backend, shards);
    std::filesystem::remove_all(dir);
    return rc;
  }
  if (memory) {
    if (shard_counts.empty()) shard_counts.push_back(8);
    const int rc = MemorySweep(dir, n, sort_memory_mib, backend, parallel, shard_counts);
    std::filesystem::remove_all(dir);
    return rc;
  }
  if (slatedb_only) {
    const int rc = shardy_bench::SlateDbMode(dir, n, runs, writer_only);
    std::filesystem::remove_all(dir);
    return rc;
  }

  std::vector<int64_t> shuffled(n);
  for (int64_t i = 0; i < n; ++i) shuffled[i] = i;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(42));
  std::vector<int64_t> sorted_keys(shuffled);
  std::sort(sorted_keys.begin(), sorted_keys.end());
  const double mb = n * 108.0 / 1e6;

  std::vector<double> t_writer, t_bare_input, t_bare_sorted;
  sf::BuildResult build;
  for (int r = 0; r < runs; ++r) {
    std::filesystem::remove_all(dir + "/snapshot");
    t_writer.push_back(RunWriter(dir, writer_only && ascending ? sorted_keys : shuffled, &build,
                                 writer_only ? prefix : ""));
    if (writer_only) continue;
    t_bare_input.push_back(BareSqliteInsert(dir + "/bare.db", shuffled));
    t_bare_sorted.push_back(BareSqliteInsert(dir + "/bare.db", sorted_keys));
  }
  if (writer_only) {
    std::printf("writer_sqlite_8shards_%s : %10.0f records/s\n",
                ascending ? "ascending" : "shuffled", n / Median(t_writer));
    return 0;
  }
  const double w = Median(t_writer), bi = Median(t_bare_input), bs = Median(t_bare_sorted);
  std::printf("%lld records, 8-byte keys, 100-byte values, median of %d runs\n",
              static_cast<long long>(n), runs);
  std::printf("writer_sqlite_8shards_shuffled : %10.0f records/s %7.1f MB/s\n", n / w, mb / w);
  std::printf("bare_sqlite_insert_input_order : %10.0f records/s %7.1f MB/s\n", n / bi, mb / bi);
  std::printf("bare_sqlite_insert_sorted      : %10.0f records/s %7.1f MB/s\n", n / bs, mb / bs);
  std::printf("ratio writer / sorted ceiling  : %.2fx   (writer / input-order ceiling: %.2fx)\n",
              bs / w, bi / w);

  // Lookups: the reader against a bare SELECT on shard 0's cached file.
  sf::ReaderOptions ro;
  ro.local_root = dir + "/cache";
  auto reader = sf::ShardedReader::Open("file://" + dir + "/snapshot", ro);
  if (!reader.ok()) Die(reader.status().ToString());
  std::shared_ptr<const sf::Router> router = sf::NewHashRouter(8);
  std::vector<int64_t> probe;
  for (int64_t k : shuffled) {
    if (**router->Route(sf::Key::Int(k), {}, nullptr) == 0) probe.push_back(k);
    if (probe.size() >= 200000) break;
  }
  std::string shard0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/cache")) {
    if (e.path().filename() == "shard.db" && e.path().parent_path().filename() == "shard=00000")
      shard0 = e.path();
  }
  if (shard0.empty()) Die("no cached shard 0 file");
  sqlite3* db = nullptr;
  // Opened as the reader opens its cached copy (read-only, immutable: the
  // file is replaced only by rename), so the ratio measures routing and
  // bookkeeping, not locking differences.
  const std::string uri = "file:" + shard0 + "?immutable=1";
  sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  Exec(db, "PRAGMA mmap_size=268435456; PRAGMA cache_size=-8000;");
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT v FROM kv WHERE k = ?", -1, &stmt, nullptr);
  size_t found_reader = 0, found_bare = 0;
  auto reader_get = [&](int64_t k) {
    auto v = (*reader)->Get(sf::Key::Int(k));
    found_reader += v.ok() && v->has_value();
  };
  auto bare_get = [&](int64_t k) {
    char key[8];
    KeyU64Be(k, key);
    sqlite3_bind_blob(stmt, 1, key, 8, SQLITE_STATIC);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string v(static_cast<const char*>(sqlite3_column_blob(stmt, 0)),
                    sqlite3_column_bytes(stmt, 0));
      found_bare += !v.empty();
    }
    sqlite3_reset(stmt);
  };
  MeasureLookups(probe, reader_get);  // warm both
  MeasureLookups(probe, bare_get);
  std::vector<Latency> lr, lb;
  for (int r = 0; r < runs; ++r) {
    lr.push_back(MeasureLookups(probe, reader_get));
    lb.push_back(MeasureLookups(probe, bare_get));
  }
  auto med = [](std::vector<Latency> v, double Latency::*f) {
    std::vector<double> x;
    for (const Latency& l : v) x.push_back(l.*f);
    return Median(x);
  };
  std::printf(
      "lookup_reader_get_warm         : %10.0f ops/s  p50 %.2f us  p99 %.2f us  (%zu keys, shard "
      "0)\n",
      med(lr, &Latency::ops_per_s), med(lr, &Latency::p50_us), med(lr, &Latency::p99_us),
      probe.size());
  std::printf("lookup_bare_sqlite_select_warm : %10.0f ops/s  p50 %.2f us  p99 %.2f us\n",
              med(lb, &Latency::ops_per_s), med(lb, &Latency::p50_us), med(lb, &Latency::p99_us));
  std::printf("ratio reader / bare select     : %.2fx\n",
              med(lr, &Latency::ops_per_s) / med(lb, &Latency::ops_per_s));
  if (found_reader != found_bare) Die("reader and bare select disagree on hits");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  reader->reset();
  std::filesystem::remove_all(dir + "/snapshot");
  std::filesystem::remove_all(dir + "/staging");
  std::filesystem::remove_all(dir + "/cache");
  int rc = shardy_bench::SlateDbMode(dir, n, runs, /*writer_only=*/false);
  if (rc == 0) rc = shardy_bench::CelMode(n, runs);
  std::filesystem::remove_all(dir);
  return rc;
}
