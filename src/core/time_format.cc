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

std::optional<SystemTime> ParseIsoTimestamp(std::string_view text) {
  auto digits = [&](size_t at, size_t n) -> std::optional<int> {
    if (at + n > text.size()) return std::nullopt;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2),
             mi = digits(14, 2), sec = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 ||
      *mi > 59 || *sec > 60) {
    return std::nullopt;
  }
  size_t at = 19;
  long micros = 0;
  if (at < text.size() && text[at] == '.') {
    size_t n = 0;
    while (at + 1 + n < text.size() && text[at + 1 + n] >= '0' && text[at + 1 + n] <= '9') ++n;
    if (n == 0 || n > 6) return std::nullopt;
    micros = *digits(at + 1, n);
    for (size_t i = n; i < 6; ++i) micros *= 10;
    at += 1 + n;
  }
  const std::string_view zone = text.substr(at);
  if (zone != "Z" && zone != "+00:00") return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *sec;
  const std::time_t secs = timegm(&tm);
  return SystemTime(std::chrono::microseconds(static_cast<int64_t>(secs) * 1000000 + micros));
}

}  // namespace shardyfusion
