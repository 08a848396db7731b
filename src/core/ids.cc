#include "core/ids.h"

#include <unistd.h>

#include <cstdint>
#include <random>

namespace shardyfusion {

std::string NewUuid4Hex() {
  // Reseeded in a forked child: it would otherwise repeat the parent's ids.
  thread_local pid_t seeded_pid = 0;
  thread_local std::mt19937_64 rng;
  if (seeded_pid != getpid()) {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    rng.seed(seq);
    seeded_pid = getpid();
  }
  unsigned char b[16];
  for (int i = 0; i < 16; i += 8) {
    const uint64_t r = rng();
    for (int j = 0; j < 8; ++j) b[i + j] = static_cast<unsigned char>(r >> (8 * j));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned char c : b) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace shardyfusion
