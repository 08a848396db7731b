// slatedb_interop: our SlateDB writer and reader, driven from the oracle
// scripts so real SlateDB can check them (and they can check real SlateDB).
//
//   slatedb_interop write OUT_DIR [SCENARIO...]     (check-writer.sh)
//     Writes SlateDB databases with this project's writer (the same
//     ShardWriterFactory the sharded writer uses, into a file:// store), one
//     per scenario. Each OUT_DIR/<scenario>/ gets:
//       db/             the database root
//       expected.jsonl  every key's last written value, {"k":b64,"v":b64} per
//                       line, sorted by key bytes (dump.mjs's output format)
//       absent.txt      base64 keys that were never written (neighbours of
//                       real keys: prefixes, extensions, gaps, past the end)
//     The contents are deterministic (fixed PRNG seeds); file names are not.
//
//   slatedb_interop check DB_DIR EXPECTED_JSONL ABSENT_TXT   (check-reader.sh)
//     Opens DB_DIR with our read-only DbReader and gets every key of
//     EXPECTED_JSONL (which must match) and of ABSENT_TXT (which must be
//     missing). Exit 0 when all agree, 1 with the first disagreements.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backend/slatedb/block_cache.h"
#include "backend/slatedb/db_reader.h"
#include "backend/slatedb/fixture_files.h"
#include "core/base64.h"
#include "shardyfusion/slatedb_backend.h"
#include "storage/file_store.h"

namespace {

using shardyfusion::KvBatch;
using shardyfusion::SlateDbCompression;
using shardyfusion::SlateDbWriteMode;
using shardyfusion::SlateDbWriterOptions;

struct Scenario {
  std::string name;
  std::string about;
  SlateDbWriterOptions options;
  // Fills batches (each a list of puts) and the never-written keys.
  std::function<void(std::vector<std::vector<std::pair<std::string, std::string>>>*,
                     std::set<std::string>*)>
      make;
};

std::string Digits(uint64_t i, int width) {
  std::string s = std::to_string(i);
  return std::string(width > static_cast<int>(s.size()) ? width - s.size() : 0, '0') + s;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Batches of `per_batch` puts over `key_space` keys "key<8 digits>", with
// overwrites; values "<batch>-<i>-" plus random text (every 97th empty).
void Overwrites(size_t batches, size_t per_batch, uint64_t key_space, uint64_t seed,
                std::vector<std::vector<std::pair<std::string, std::string>>>* out,
                std::set<std::string>* absent) {
  std::mt19937_64 rng(seed);
  size_t n = 0;
  for (size_t b = 0; b < batches; ++b) {
    out->emplace_back();
    for (size_t i = 0; i < per_batch; ++i, ++n) {
      const uint64_t k = (rng() % key_space) * 2;  // odd numbers are never written
      std::string value = n % 97 == 0 ? ""
                                      : std::to_string(b) + "-" + std::to_string(i) + "-" +
                                            std::string(rng() % 40, 'a' + rng() % 26);
      out->back().emplace_back("key" + Digits(k, 8), std::move(value));
    }
  }
  for (uint64_t k = 1; k < key_space * 2; k += key_space / 7 * 2 + 1)
    absent->insert("key" + Digits(k, 8));
  absent->insert("key");
  absent->insert("key" + Digits(0, 8) + "x");
  absent->insert("key" + Digits(key_space * 2 + 2, 8));
  absent->insert("a");
  absent->insert("zzz");
}

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> all;
  {
    Scenario s{"direct-l0s",
               "direct mode, many L0 SSTs (64 KiB memtables), overwrites across them",
               {},
               {}};
    s.options.l0_sst_size_bytes = 64 << 10;
    s.make = [](auto* b, auto* a) { Overwrites(20, 1000, 6000, 1, b, a); };
    all.push_back(s);
  }
  {
    Scenario s{"local-run", "local mode, one sorted run split into many SSTs (96 KiB)", {}, {}};
    s.options.mode = SlateDbWriteMode::kLocal;
    s.options.max_sst_size_bytes = 96 << 10;
    s.make = [](auto* b, auto* a) { Overwrites(20, 1000, 6000, 2, b, a); };
    all.push_back(s);
  }
  {
    Scenario s{"small", "ten keys: no bloom filter, one block", {}, {}};
    s.make = [](auto* b, auto* a) { Overwrites(2, 5, 10, 3, b, a); };
    all.push_back(s);
  }
  const std::pair<const char*, SlateDbCompression> codecs[] = {
      {"snappy", SlateDbCompression::kSnappy},
      {"zlib", SlateDbCompression::kZlib},
      {"lz4", SlateDbCompression::kLz4},
      {"zstd", SlateDbCompression::kZstd}};
  for (const auto& [name, codec] : codecs) {
    Scenario s{std::string("codec-") + name,
               std::string("compression ") + name + ", both modes' layouts",
               {},
               {}};
    s.options.compression = codec;
    s.options.l0_sst_size_bytes = 48 << 10;
    s.make = [](auto* b, auto* a) { Overwrites(6, 800, 3000, 4, b, a); };
    all.push_back(s);
    Scenario l = s;
    l.name += "-local";
    l.options.mode = SlateDbWriteMode::kLocal;
    l.options.max_sst_size_bytes = 64 << 10;
    all.push_back(l);
  }
  {
    Scenario s{"large-values",
               "values of 4-70 KiB, 2 KiB shared key prefixes, keys that prefix others",
               {},
               {}};
    s.make = [](auto* b, auto* a) {
      std::mt19937_64 rng(5);
      const std::string prefix(2048, 'p');
      b->emplace_back();
      for (int i = 0; i < 60; ++i) {
        const std::string k = prefix + "/item-" + Digits(i, 4);
        b->back().emplace_back(k, RandomBytes(rng, 4096 + rng() % 66000));
        b->back().emplace_back(k + "/meta", RandomBytes(rng, 10));
        a->insert(k + "/");
        a->insert(k + "/meta/x");
      }
      a->insert(prefix);
    };
    all.push_back(s);
  }
  {
    Scenario s{"binary-keys",
               "u64be-style binary keys with zero bytes, 1-byte and 65535-byte keys",
               {},
               {}};
    s.make = [](auto* b, auto* a) {
      b->emplace_back();
      for (uint64_t i = 0; i < 5000; ++i) {
        std::string k(8, '\0');
        const uint64_t x = i * 0x9E3779B97F4A7C15ull;
        for (int j = 0; j < 8; ++j) k[j] = static_cast<char>(x >> (56 - 8 * j));
        b->back().emplace_back(k, std::to_string(i));
        k[7] = static_cast<char>(k[7] ^ 1);
        a->insert(k);
      }
      b->back().emplace_back(std::string(1, '\0'), "zero");
      b->back().emplace_back(std::string(1, '\xff'), "ff");
      b->back().emplace_back(std::string(65535, 'L'), "longest");
      a->insert(std::string(65534, 'L'));
    };
    all.push_back(s);
  }
  // Small databases committed as fixtures (tests/fixtures/slatedb/ours-*).
  {
    Scenario s{"ours-direct", "fixture: direct mode, 4 L0 SSTs with overwrites, blooms", {}, {}};
    s.options.l0_sst_size_bytes = 12 << 10;
    s.options.min_filter_keys = 200;
    s.make = [](auto* b, auto* a) { Overwrites(4, 500, 1500, 7, b, a); };
    all.push_back(s);
  }
  {
    Scenario s{
        "ours-local-zstd", "fixture: local mode, zstd, a sorted run of several SSTs", {}, {}};
    s.options.mode = SlateDbWriteMode::kLocal;
    s.options.compression = SlateDbCompression::kZstd;
    s.options.max_sst_size_bytes = 4 << 10;
    s.make = [](auto* b, auto* a) { Overwrites(4, 500, 1500, 8, b, a); };
    all.push_back(s);
  }
  {
    Scenario s{"big", "100,000 puts with default settings: a large bloom and block index", {}, {}};
    s.make = [](auto* b, auto* a) { Overwrites(5, 20000, 60000, 6, b, a); };
    all.push_back(s);
  }
  return all;
}

int Write(const Scenario& s, const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  const fs::path dir = out / s.name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::vector<std::pair<std::string, std::string>>> batches;
  std::set<std::string> absent;
  s.make(&batches, &absent);

  shardyfusion::ShardWriterContext ctx;
  ctx.store = shardyfusion::FileStore::Shared();
  ctx.db_key = fs::absolute(dir / "db").lexically_normal().string().substr(1);
  ctx.local_dir = (dir / "staging").string();
  auto factory = shardyfusion::NewSlateDbWriterFactory(s.options);
  auto writer = factory->Open(ctx);
  if (!writer.ok()) {
    std::cerr << s.name << ": " << writer.status().ToString() << "\n";
    return 1;
  }
  std::map<std::string, std::string> model;
  for (const auto& rows : batches) {
    KvBatch batch;
    for (const auto& [k, v] : rows) {
      batch.Add(k, v);
      model[k] = v;
    }
    shardyfusion::Status st = (*writer)->WriteBatch(batch);
    if (!st.ok()) {
      std::cerr << s.name << ": " << st.ToString() << "\n";
      return 1;
    }
  }
  auto sealed = (*writer)->Seal();
  if (!sealed.ok()) {
    std::cerr << s.name << ": " << sealed.status().ToString() << "\n";
    return 1;
  }
  std::ofstream expected(dir / "expected.jsonl", std::ios::binary);
  for (const auto& [k, v] : model) {
    expected << "{\"k\":\"" << shardyfusion::Base64Encode(k) << "\",\"v\":\""
             << shardyfusion::Base64Encode(v) << "\"}\n";
  }
  std::ofstream absent_out(dir / "absent.txt", std::ios::binary);
  for (const std::string& k : absent) {
    if (model.count(k) == 0) absent_out << shardyfusion::Base64Encode(k) << "\n";
  }
  std::cout << s.name << ": " << model.size() << " keys, " << sealed->db_bytes << " bytes ("
            << s.about << ")\n";
  return 0;
}

int Check(const std::string& db_dir, const std::string& expected_path,
          const std::string& absent_path) {
  const auto expected = shardyfusion::slatedb::ReadExpectedJsonl(expected_path);
  const auto absent = shardyfusion::slatedb::ReadBase64Keys(absent_path);
  if (!expected || !absent) {
    std::cerr << "check: cannot read " << expected_path << " or " << absent_path << "\n";
    return 2;
  }
  const std::string root = std::filesystem::absolute(db_dir).lexically_normal().string();
  auto db = shardyfusion::slatedb::DbReader::Open(
      shardyfusion::FileStore::Shared(), root.substr(1),
      std::make_shared<shardyfusion::slatedb::BlockCache>(64 << 20));
  if (!db.ok()) {
    std::cerr << "check: " << db.status().ToString() << "\n";
    return 1;
  }
  int wrong = 0;
  auto report = [&wrong](const std::string& what, const std::string& key) {
    if (++wrong <= 5)
      std::cerr << "check: " << what << " key " << shardyfusion::Base64Encode(key) << "\n";
  };
  for (const auto& [k, v] : *expected) {
    auto got = (*db)->Get(k);
    if (!got.ok()) {
      std::cerr << "check: " << got.status().ToString() << "\n";
      return 1;
    }
    if (!got->has_value()) {
      report("missing", k);
    } else if (**got != v) {
      report("wrong value for", k);
    }
  }
  for (const std::string& k : *absent) {
    auto got = (*db)->Get(k);
    if (!got.ok() || got->has_value()) report("found never-written or deleted", k);
  }
  if (wrong > 0) {
    std::cerr << "check: " << wrong << " of " << expected->size() + absent->size()
              << " lookups disagree with real SlateDB\n";
    return 1;
  }
  std::cout << "check: " << expected->size() << " keys and " << absent->size()
            << " absent keys agree\n";
  return 0;
}

int Usage() {
  std::cerr << "usage: slatedb_interop write OUT_DIR [SCENARIO...]\n"
               "       slatedb_interop check DB_DIR EXPECTED_JSONL ABSENT_TXT\nscenarios:";
  for (const Scenario& s : Scenarios()) std::cerr << " " << s.name;
  std::cerr << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "check" && argc == 5) return Check(argv[2], argv[3], argv[4]);
  if (cmd != "write" || argc < 3) return Usage();
  std::set<std::string> wanted(argv + 3, argv + argc);
  int rc = 0;
  size_t written = 0;
  for (const Scenario& s : Scenarios()) {
    if (!wanted.empty() && wanted.count(s.name) == 0) continue;
    rc |= Write(s, argv[2]);
    ++written;
  }
  if (written == 0) {
    std::cerr << "slatedb_interop: no scenario matches\n";
    return 2;
  }
  return rc;
}
