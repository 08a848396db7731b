// Writes the seed corpus of every fuzz target (seeds.h) as files, for
// libFuzzer: OUT_DIR/<target>/seed-<n>.
//
//   fuzz_write_seeds FIXTURES_DIR OUT_DIR

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz/seeds.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fuzz_write_seeds FIXTURES_DIR OUT_DIR\n");
    return 2;
  }
  namespace fs = std::filesystem;
  for (const std::string& target : shardyfusion::slatedb::fuzz::FuzzTargetNames()) {
    const std::vector<std::string> seeds = shardyfusion::slatedb::fuzz::FuzzSeeds(target, argv[1]);
    if (seeds.empty()) {
      std::fprintf(stderr, "fuzz_write_seeds: no seeds for %s from %s\n", target.c_str(), argv[1]);
      return 1;
    }
    const fs::path dir = fs::path(argv[2]) / target;
    fs::create_directories(dir);
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::ofstream out(dir / ("seed-" + std::to_string(i)), std::ios::binary | std::ios::trunc);
      out.write(seeds[i].data(), static_cast<std::streamsize>(seeds[i].size()));
      if (!out) {
        std::fprintf(stderr, "fuzz_write_seeds: cannot write %s\n", dir.c_str());
        return 1;
      }
    }
    std::printf("%s: %zu seeds\n", target.c_str(), seeds.size());
  }
  return 0;
}
