// The SlateDB backend beside RocksDB on one shard: the project's target lines.
//
// Data: N records whose keys are the even numbers 0, 2, ..., 2N-2 as 8-byte
// u64be, so that absent keys (the odd numbers) fall inside every SST's key
// range and must be turned away by the bloom filter or the data block, not by
// a range check; 100-byte values from Value100; shuffled input order.
//
// Writers, each once per run, in an order that rotates from run to run:
//   writer_slatedb_direct_1shard  the sharded writer, num_dbs=1, SlateDB kDirect
//                                 (the default): an L0 SST per 64 MiB of input,
//                                 so two L0 SSTs at the default 1M records
//   writer_slatedb_local_1shard   the same in kLocal: one sorted run (one SST)
//                                 staged in a local file store, then uploaded
//   writer_sqlite_1shard          the same with the SQLite backend (the main
//                                 workload's line above uses 8 shards)
//   rocksdb_sstfilewriter_sorted  rocksdb::SstFileWriter: the rows copied into
//                                 memory, std::sort by key, Put in order,
//                                 Finish (which fsyncs, as our file store does)
// Every writer's time includes making the values. Ratios are medians of the
// per-run ratios: each compares writers measured seconds apart.
//
// Lookups, one thread, warm (one untimed pass over the same probes first):
// random present keys (90%) and random absent keys (10%), timed as two loops;
// the line gives the mix (ops/s, us/op) and each part's us/op. Readers:
// slatedb::DbReader::Get on the kDirect and the kLocal shard, the public
// ShardedReader on the kDirect snapshot, and rocksdb::DB::Get on a DB that
// ingested the SST of rocksdb_sstfilewriter_sorted, with a 256 MiB LRU block
// cache; ours get the same capacity (the reader factory's default).
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "backend/slatedb/block_cache.h"
#include "backend/slatedb/db_reader.h"
#include "bench.h"
#include "shardyfusion/object_store.h"
#include "shardyfusion/reader.h"
#include "shardyfusion/slatedb_backend.h"
#include "shardyfusion/sqlite_backend.h"

namespace shardy_bench {

namespace sf = shardyfusion;

namespace {

// Options that make RocksDB's SST what ours is: no compression (SlateDB's
// default and ours), 4 KiB data blocks and a 10 bits/key bloom filter over
// whole keys (our SlateDbWriterOptions defaults). The rest stays RocksDB's
// default, which matches ours where we have a counterpart (a restart every 16
// keys, one index entry per block). RocksDB's filter is its own cache-local
// bloom and its checksum XXH3; ours are SlateDB's Legacy bloom and CRC-32.
rocksdb::Options RocksDbOptions(std::shared_ptr<rocksdb::Cache> block_cache) {
  rocksdb::Options options;
  options.compression = rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 4096;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  if (block_cache) table.block_cache = std::move(block_cache);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

void CheckRocks(const rocksdb::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

struct RowRef {
  std::string_view key;
  std::string_view value;
};

// What a user of RocksDB would write to get one SST from unsorted rows.
double RocksDbSstWrite(const std::string& path, const std::vector<int64_t>& keys) {
  std::filesystem::remove(path);
  const Clock::time_point t0 = Clock::now();
  std::unique_ptr<char[]> arena(new char[keys.size() * 108]);
  std::vector<RowRef> rows(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    char* p = arena.get() + i * 108;
    KeyU64Be(keys[i], p);
    Value100(keys[i], p + 8);
    rows[i] = RowRef{std::string_view(p, 8), std::string_view(p + 8, 100)};
  }
  std::sort(rows.begin(), rows.end(),
            [](const RowRef& a, const RowRef& b) { return a.key < b.key; });
  // invalidate_page_cache off: our writer leaves the page cache alone too.
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), RocksDbOptions(nullptr), nullptr,
                                /*invalidate_page_cache=*/false);
  CheckRocks(writer.Open(path), "SstFileWriter::Open " + path);
  for (const RowRef& row : rows) {
    CheckRocks(writer.Put(rocksdb::Slice(row.key.data(), row.key.size()),
                          rocksdb::Slice(row.value.data(), row.value.size())),
               "SstFileWriter::Put");
  }
  CheckRocks(writer.Finish(), "SstFileWriter::Finish");
  return Seconds(t0);
}

struct Writer {
  const char* label;
  std::function<double()> run;  // one timed build; seconds
};

// A reader under test: looks `key` up, stores the value, says if found.
struct Lookup {
  const char* label;
  std::function<bool(int64_t key, std::string* value)> get;
};

// Seconds for one pass over `probe`; adds the hits to *found.
double TimeProbe(const Lookup& lookup, const std::vector<int64_t>& probe, size_t* found) {
  std::string value;
  size_t hits = 0;
  const Clock::time_point t0 = Clock::now();
  for (int64_t k : probe) hits += lookup.get(k, &value);
  const double s = Seconds(t0);
  *found += hits;
  return s;
}

// The untimed warm-up pass, which also checks every answer.
void WarmAndVerify(const Lookup& lookup, const std::vector<int64_t>& hits,
                   const std::vector<int64_t>& misses) {
  std::string value;
  char want[100];
  for (int64_t k : hits) {
    Value100(k, want);
    if (!lookup.get(k, &value) || value != std::string_view(want, 100))
      Die(std::string(lookup.label) + ": wrong answer for key " + std::to_string(k));
  }
  for (int64_t k : misses) {
    if (lookup.get(k, &value))
      Die(std::string(lookup.label) + ": found absent key " + std::to_string(k));
  }
}

std::unique_ptr<sf::slatedb::DbReader> OpenShard(const sf::BuildResult& build) {
  if (build.winners.size() != 1 || !build.winners[0].db_url) Die("expected one SlateDB shard");
  sf::Result<sf::StoreLocation> loc = sf::OpenStoreForUrl(*build.winners[0].db_url);
  if (!loc.ok()) Die(loc.status().ToString());
  // The reader factory's default: a 256 MiB block cache (it holds every block).
  auto reader = sf::slatedb::DbReader::Open(
      loc->store, loc->key,
      std::make_shared<sf::slatedb::BlockCache>(sf::SlateDbReaderOptions().block_cache_bytes));
  if (!reader.ok()) Die(reader.status().ToString());
  return std::move(reader).value();
}

std::function<bool(int64_t, std::string*)> DbReaderGet(sf::slatedb::DbReader* reader) {
  return [reader](int64_t k, std::string* value) {
    char key[8];
    KeyU64Be(k, key);
    sf::Result<std::optional<std::string>> v = reader->Get(std::string_view(key, 8));
    if (!v.ok()) Die(v.status().ToString());
    if (!v->has_value()) return false;
    *value = std::move(**v);
    return true;
  };
}

double Ratio(const std::vector<double>& ours_s, const std::vector<double>& theirs_s) {
  std::vector<double> r;
  for (size_t i = 0; i < ours_s.size(); ++i) r.push_back(theirs_s[i] / ours_s[i]);
  return Median(r);
}

}  // namespace

int SlateDbMode(const std::string& dir, int64_t n, int runs, bool writer_only) {
  std::vector<int64_t> keys(n);
  for (int64_t i = 0; i < n; ++i) keys[i] = 2 * i;
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(42));
  const double mb = n * 108.0 / 1e6;
  const std::string direct_url = "file://" + dir + "/slatedb_direct";
  const std::string local_url = "file://" + dir + "/slatedb_local";
  const std::string sqlite_url = "file://" + dir + "/sqlite_1shard";
  const std::string sst_path = dir + "/rocksdb.sst";
  sf::SlateDbWriterOptions direct_options;
  direct_options.mode = sf::SlateDbWriteMode::kDirect;
  sf::SlateDbWriterOptions local_options;
  local_options.mode = sf::SlateDbWriteMode::kLocal;

  sf::BuildResult direct_build, local_build, sqlite_build;
  auto sharded = [&](const std::string& url, std::shared_ptr<sf::ShardWriterFactory> factory,
                     sf::BuildResult* build) {
    std::filesystem::remove_all(url.substr(7));
    return RunShardedWriter(url, dir + "/staging", keys, 1, std::move(factory), build);
  };
  const std::vector<Writer> writers = {
      {"writer_slatedb_direct_1shard",
       [&] {
         return sharded(direct_url, sf::NewSlateDbWriterFactory(direct_options), &direct_build);
       }},
      {"writer_slatedb_local_1shard",
       [&] {
         return sharded(local_url, sf::NewSlateDbWriterFactory(local_options), &local_build);
       }},
      {"writer_sqlite_1shard",
       [&] { return sharded(sqlite_url, sf::NewSqliteWriterFactory(), &sqlite_build); }},
      {"rocksdb_sstfilewriter_sorted", [&] { return RocksDbSstWrite(sst_path, keys); }},
  };
  std::vector<std::vector<double>> wt(writers.size());
  for (int r = 0; r < runs; ++r) {
    for (size_t j = 0; j < writers.size(); ++j) {
      const size_t w = (j + r) % writers.size();
      wt[w].push_back(writers[w].run());
    }
  }
  std::filesystem::remove_all(sqlite_url.substr(7));

  std::printf(
      "%lld records, 8-byte u64be keys (even numbers), 100-byte values, shuffled input, one "
      "shard, median of %d runs\n",
      static_cast<long long>(n), runs);
  for (size_t w = 0; w < writers.size(); ++w) {
    const double s = Median(wt[w]);
    std::printf("%-32s: %10.0f rows/s %7.1f MB/s\n", writers[w].label, n / s, mb / s);
  }
  std::printf(
      "ratio slatedb writer / rocksdb sst writer : direct %.2fx  local %.2fx  (target >= 1.0x)\n",
      Ratio(wt[0], wt[3]), Ratio(wt[1], wt[3]));
  std::printf("ratio slatedb writer / sqlite writer      : direct %.2fx  local %.2fx\n",
              Ratio(wt[0], wt[2]), Ratio(wt[1], wt[2]));
  if (writer_only) return 0;

  // Lookups on what the last run wrote.
  std::unique_ptr<sf::slatedb::DbReader> direct_shard = OpenShard(direct_build);
  std::unique_ptr<sf::slatedb::DbReader> local_shard = OpenShard(local_build);
  sf::ReaderOptions ro;
  ro.local_root = dir + "/cache";
  auto sharded_reader = sf::ShardedReader::Open(direct_url, ro);
  if (!sharded_reader.ok()) Die(sharded_reader.status().ToString());

  rocksdb::Options db_options = RocksDbOptions(rocksdb::NewLRUCache(256 << 20));
  db_options.create_if_missing = true;
  rocksdb::DB* db_ptr = nullptr;
  std::filesystem::remove_all(dir + "/rocksdb");
  CheckRocks(rocksdb::DB::Open(db_options, dir + "/rocksdb", &db_ptr), "DB::Open");
  std::unique_ptr<rocksdb::DB> db(db_ptr);
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  CheckRocks(db->IngestExternalFile({sst_path}, ingest), "IngestExternalFile");

  const std::vector<Lookup> lookups = {
      {"lookup_slatedb_dbreader_direct", DbReaderGet(direct_shard.get())},
      {"lookup_slatedb_dbreader_local", DbReaderGet(local_shard.get())},
      {"lookup_sharded_reader_direct",
       [&](int64_t k, std::string* value) {
         sf::Result<std::optional<std::string>> v = (*sharded_reader)->Get(sf::Key::Int(k));
         if (!v.ok()) Die(v.status().ToString());
         if (!v->has_value()) return false;
         *value = std::move(**v);
         return true;
       }},
      {"lookup_rocksdb_db_get",
       [&](int64_t k, std::string* value) {
         char key[8];
         KeyU64Be(k, key);
         rocksdb::Status s = db->Get(rocksdb::ReadOptions(), rocksdb::Slice(key, 8), value);
         if (s.IsNotFound()) return false;
         CheckRocks(s, "DB::Get");
         return true;
       }},
  };

  const size_t probes = static_cast<size_t>(std::min<int64_t>(200000, n));
  std::vector<int64_t> hits(probes * 9 / 10), misses(probes - probes * 9 / 10);
  std::mt19937_64 rng(7);
  for (int64_t& k : hits) k = 2 * static_cast<int64_t>(rng() % n);
  for (int64_t& k : misses) k = 2 * static_cast<int64_t>(rng() % n) + 1;
  for (const Lookup& l : lookups) WarmAndVerify(l, hits, misses);

  std::vector<std::vector<double>> th(lookups.size()), tm(lookups.size()), tmix(lookups.size());
  for (int r = 0; r < runs; ++r) {
    for (size_t j = 0; j < lookups.size(); ++j) {
      const size_t l = (j + r) % lookups.size();
      size_t found = 0;
      th[l].push_back(TimeProbe(lookups[l], hits, &found));
      tm[l].push_back(TimeProbe(lookups[l], misses, &found));
      tmix[l].push_back(th[l].back() + tm[l].back());
      if (found != hits.size()) Die(std::string(lookups[l].label) + ": wrong hit count");
    }
  }
  std::printf("warm point lookups, one thread: %zu present + %zu absent random keys\n", hits.size(),
              misses.size());
  for (size_t l = 0; l < lookups.size(); ++l) {
    const double mix = Median(tmix[l]);
    std::printf("%-32s: %10.0f ops/s %6.2f us/op  (present %.2f us, absent %.2f us)\n",
                lookups[l].label, probes / mix, mix * 1e6 / probes,
                Median(th[l]) * 1e6 / hits.size(), Median(tm[l]) * 1e6 / misses.size());
  }
  const size_t rocks = lookups.size() - 1;
  for (size_t l = 0; l < rocks; ++l) {
    std::printf("ratio %s / rocksdb : %.2fx  (present %.2fx, absent %.2fx)  (target >= 1.0x)\n",
                lookups[l].label + 7, Ratio(tmix[l], tmix[rocks]), Ratio(th[l], th[rocks]),
                Ratio(tm[l], tm[rocks]));
  }
  return 0;
}

}  // namespace shardy_bench
