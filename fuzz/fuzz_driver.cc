// A stand-in for libFuzzer's main, so that the fuzz targets run as ordinary
// tests in every build (g++, and under ASan+UBSan in the sanitizer build).
// It feeds the target (linked in, LLVMFuzzerTestOneInput) every seed of its
// corpus (seeds.h), then a fixed number of deterministic mutations of them:
// bit flips, byte sets, integer overwrites, truncations, insertions,
// deletions, duplications and splices, from a PRNG with a fixed seed, so a
// failure reproduces exactly.
//
//   fuzz_<target> FIXTURES_DIR [--mutations=N] [--prng-seed=S]
//   fuzz_<target> --replay FILE...   run saved inputs (e.g. libFuzzer's)
//
// Each input is copied into a heap buffer of its exact size, so ASan sees a
// read past its end. When an input crashes the target (a sanitizer report,
// an abort from a failed FUZZ_CHECK, a fault), it is written to
// fuzz-crash-<target> in the working directory for --replay.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/seeds.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Provided by the sanitizer runtimes; absent (null) in a plain build.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

#ifndef SHARDY_FUZZ_TARGET
#error "SHARDY_FUZZ_TARGET must name the target (see CMakeLists.txt)"
#endif

namespace {

constexpr char kTarget[] = SHARDY_FUZZ_TARGET;

// The input being run and what it is, for the crash handlers.
const uint8_t* g_input = nullptr;
size_t g_input_size = 0;
char g_input_label[128] = "";

void SaveCrashingInput() {
  static bool saved = false;
  if (saved || g_input == nullptr) return;
  saved = true;
  // Only async-signal-safe calls from here on.
  char path[96] = "fuzz-crash-";
  strncat(path, kTarget, sizeof(path) - strlen(path) - 1);
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    for (size_t done = 0; done < g_input_size;) {
      const ssize_t n = write(fd, g_input + done, g_input_size - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fd);
  }
  const char* parts[] = {"fuzz_driver: crashing input (", g_input_label, ") saved as ", path, "\n"};
  for (const char* p : parts) {
    if (write(STDERR_FILENO, p, strlen(p)) < 0) break;
  }
}

void OnFatalSignal(int sig) {
  SaveCrashingInput();
  signal(sig, SIG_DFL);
  raise(sig);
}

void InstallCrashHandlers() {
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(sig, OnFatalSignal);
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(SaveCrashingInput);
}

void RunOne(std::string_view input, const std::string& label) {
  std::unique_ptr<uint8_t[]> exact(new uint8_t[input.size()]);
  if (!input.empty()) std::memcpy(exact.get(), input.data(), input.size());
  g_input = exact.get();
  g_input_size = input.size();
  std::snprintf(g_input_label, sizeof(g_input_label), "%s", label.c_str());
  LLVMFuzzerTestOneInput(exact.get(), input.size());
  g_input = nullptr;
}

// SplitMix64: tiny, and the same sequence on every platform.
class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n). REQUIRES: n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

// Integers that tend to sit on boundaries of lengths, offsets and counts.
uint64_t InterestingInteger(Prng& rng, size_t input_size) {
  const uint64_t values[] = {0,
                             1,
                             2,
                             0x7f,
                             0x80,
                             0xff,
                             0x7fff,
                             0xffff,
                             0x7fffffff,
                             0xffffffff,
                             UINT64_MAX,
                             UINT64_MAX / 2,
                             input_size,
                             input_size > 0 ? input_size - 1 : 0,
                             rng.Below(256)};
  return values[rng.Below(sizeof(values) / sizeof(values[0]))];
}

void Mutate(std::string* s, const std::vector<std::string>& pool, Prng& rng) {
  switch (rng.Below(9)) {
    case 0:  // flip a bit
      if (!s->empty()) (*s)[rng.Below(s->size())] ^= static_cast<char>(1 << rng.Below(8));
      break;
    case 1:  // set a byte
      if (!s->empty()) (*s)[rng.Below(s->size())] = static_cast<char>(rng.Next());
      break;
    case 2: {  // overwrite a big-endian integer of 1, 2, 4 or 8 bytes
      const size_t width = size_t{1} << rng.Below(4);
      if (s->size() < width) break;
      const size_t at = rng.Below(s->size() - width + 1);
      const uint64_t v = InterestingInteger(rng, s->size());
      for (size_t i = 0; i < width; ++i) {
        (*s)[at + i] = static_cast<char>(v >> (8 * (width - 1 - i)));
      }
      break;
    }
    case 3:  // truncate
      s->resize(rng.Below(s->size() + 1));
      break;
    case 4: {  // insert random bytes
      std::string bytes(1 + rng.Below(8), '\0');
      for (char& c : bytes) c = static_cast<char>(rng.Next());
      s->insert(rng.Below(s->size() + 1), bytes);
      break;
    }
    case 5: {  // delete a range
      if (s->empty()) break;
      const size_t at = rng.Below(s->size());
      s->erase(at, 1 + rng.Below(16));
      break;
    }
    case 6: {  // duplicate a range elsewhere
      if (s->empty()) break;
      const size_t from = rng.Below(s->size());
      const std::string chunk = s->substr(from, 1 + rng.Below(32));
      s->insert(rng.Below(s->size() + 1), chunk);
      break;
    }
    case 7: {  // splice: a head of this input, a tail of another
      const std::string& other = pool[rng.Below(pool.size())];
      const size_t head = rng.Below(s->size() + 1);
      const size_t tail = rng.Below(other.size() + 1);
      *s = s->substr(0, head) + other.substr(tail);
      break;
    }
    default:  // swap two bytes
      if (s->size() >= 2) std::swap((*s)[rng.Below(s->size())], (*s)[rng.Below(s->size())]);
      break;
  }
}

bool ParseFlag(std::string_view arg, std::string_view name, uint64_t* value) {
  if (!arg.starts_with(name)) return false;
  *value = std::stoull(std::string(arg.substr(name.size())));
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: fuzz_%s FIXTURES_DIR [--mutations=N] [--prng-seed=S]\n"
               "       fuzz_%s --replay FILE...\n",
               kTarget, kTarget);
  return 2;
}

int Replay(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "fuzz_%s: cannot read %s\n", kTarget, argv[i]);
      return 1;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    RunOne(bytes, argv[i]);
  }
  std::printf("fuzz_%s: %d inputs replayed\n", kTarget, argc - 2);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  InstallCrashHandlers();
  if (std::string_view(argv[1]) == "--replay") return Replay(argc, argv);

  uint64_t mutations = 2000;
  uint64_t prng_seed = 0x5eed;
  for (int i = 2; i < argc; ++i) {
    if (!ParseFlag(argv[i], "--mutations=", &mutations) &&
        !ParseFlag(argv[i], "--prng-seed=", &prng_seed)) {
      return Usage();
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> seeds = shardyfusion::slatedb::fuzz::FuzzSeeds(kTarget, argv[1]);
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz_%s: no seeds from %s\n", kTarget, argv[1]);
    return 1;
  }
  for (size_t i = 0; i < seeds.size(); ++i) RunOne(seeds[i], "seed " + std::to_string(i));

  Prng rng(prng_seed);
  for (uint64_t m = 0; m < mutations; ++m) {
    const size_t seed = m % seeds.size();  // every seed in turn
    std::string input = seeds[seed];
    const size_t ops = 1 + rng.Below(4);
    for (size_t op = 0; op < ops; ++op) Mutate(&input, seeds, rng);
    RunOne(input, "mutation " + std::to_string(m) + " of seed " + std::to_string(seed));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz_%s: %zu seeds and %llu mutations passed in %.1f s\n", kTarget, seeds.size(),
              static_cast<unsigned long long>(mutations), seconds);
  return 0;
}
