#include "cli/progress.h"

#include <fmt/format.h>

namespace shardyfusion::cli {

Progress::Progress(std::ostream* out, bool enabled, Clock clock)
    : out_(out), enabled_(enabled), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  if (enabled_) start_ = clock_();
}

std::string Progress::Render(uint64_t records, std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double rate = seconds > 0 ? static_cast<double>(records) / seconds : 0.0;
  return fmt::format("read {} records  {:.0f} records/s  {:.1f} s elapsed", records, rate, seconds);
}

void Progress::Update(uint64_t records) {
  if (!enabled_ || finished_) return;
  const auto now = clock_();
  if (drawn_ && now - last_draw_ < kRedrawInterval) return;
  if (!drawn_ && now - start_ < kRedrawInterval) return;  // short builds draw only at the end
  Draw(records, now);
}

void Progress::Finish(uint64_t records) {
  if (!enabled_ || finished_) return;
  finished_ = true;
  Draw(records, clock_());
  *out_ << '\n' << std::flush;
}

void Progress::Draw(uint64_t records, std::chrono::steady_clock::time_point now) {
  // "\r" returns to the line start; "\x1b[K" clears what a longer previous
  // line left behind.
  *out_ << '\r' << Render(records, now - start_) << "\x1b[K" << std::flush;
  last_draw_ = now;
  drawn_ = true;
}

}  // namespace shardyfusion::cli
