#include "core/time_format.h"

#include <cstdio>
#include <ctime>

namespace shardyfusion {
namespace {

// Splits t into a UTC calendar time and microseconds.
void Split(SystemTime t, std::tm* tm, long* micros) {
  const auto us = t.time_since_epoch().count();
  long long secs = us / 1000000;
  long long rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    secs -= 1;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  gmtime_r(&tt, tm);
  *micros = static_cast<long>(rem);
}

std::string Format(SystemTime t, bool always_fraction) {
  std::tm tm{};
  long micros = 0;
  Split(t, &tm, &micros);
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (always_fraction || micros != 0) {
    n += std::snprintf(buf + n, sizeof(buf) - n, ".%06ld", micros);
  }
  std::snprintf(buf + n, sizeof(buf) - n, "Z");
  return buf;
}

}  // namespace

SystemTime NowMicros() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::string FormatDirTimestamp(SystemTime t) { return Format(t, true); }
std::string FormatIsoTimestamp(SystemTime t) { return Format(t, false); }

}  // namespace shardyfusion
