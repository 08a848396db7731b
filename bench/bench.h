// Helpers shared by shardy_bench's workloads, and the entry point of each
// workload that lives in its own file.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardyfusion/shard_backend.h"
#include "shardyfusion/writer.h"

namespace shardy_bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

[[noreturn]] inline void Die(const std::string& msg) {
  std::fprintf(stderr, "shardy_bench: %s\n", msg.c_str());
  std::exit(1);
}

// Deterministic, not very compressible 100-byte value of key `i`.
inline void Value100(int64_t i, char* out) {
  uint64_t x = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull;
  for (int j = 0; j < 100; ++j) {
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    out[j] = static_cast<char>('a' + (x % 26));
  }
}

// The key's u64be encoding, as the writer stores it (KeyEncoding::kU64BE).
inline void KeyU64Be(int64_t k, char* out) {
  for (int b = 0; b < 8; ++b)
    out[b] = static_cast<char>((static_cast<uint64_t>(k) >> (56 - 8 * b)) & 0xff);
}

// Writes `keys` (values from Value100) through the sharded writer into the
// snapshot `prefix_url` and returns the wall time; dies on an error.
inline double RunShardedWriter(const std::string& prefix_url, const std::string& local_root,
                               const std::vector<int64_t>& keys, uint32_t num_dbs,
                               std::shared_ptr<shardyfusion::ShardWriterFactory> factory,
                               shardyfusion::BuildResult* out,
                               const shardyfusion::WriteOptions& options = {}) {
  shardyfusion::HashShardedWriteConfig config;
  config.s3_prefix = prefix_url;
  config.num_dbs = num_dbs;
  config.local_root = local_root;
  config.adapter_factory = std::move(factory);
  char value[100];
  const Clock::time_point t0 = Clock::now();
  shardyfusion::Result<shardyfusion::BuildResult> r = shardyfusion::WriteHashSharded(
      keys, config,
      shardyfusion::RecordInput{[](int64_t k) { return k; },
                                [&value](int64_t k) {
                                  Value100(k, value);
                                  return std::string_view(value, 100);
                                }},
      options);
  const double s = Seconds(t0);
  if (!r.ok()) Die(r.status().ToString());
  *out = std::move(r).value();
  return s;
}

// SlateDB backend beside RocksDB (and the SQLite backend) on one shard:
// writer rows/s and warm point lookups (bench/slatedb_bench.cc).
int SlateDbMode(const std::string& dir, int64_t n, int runs, bool writer_only);

// CEL routing evaluations per second beside native C++ (bench/cel_bench.cc).
int CelMode(int64_t n, int runs);

}  // namespace shardy_bench
