// A one-line progress display for long builds: records read, records per
// second and elapsed time, redrawn in place on a terminal at most every
// `kRedrawInterval`. Disabled (writes nothing) when the stream is not a
// terminal, so logs and pipes stay clean.
//
// Thread-safety: used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace shardyfusion::cli {

class Progress {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::milliseconds kRedrawInterval{250};

  // `clock` defaults to std::chrono::steady_clock::now.
  Progress(std::ostream* out, bool enabled, Clock clock = nullptr);

  // Reports that `records` records have been read so far.
  void Update(uint64_t records);
  // Draws the final state and ends the line. Idempotent.
  void Finish(uint64_t records);

  // The line drawn for `records` after `elapsed`, without control characters.
  static std::string Render(uint64_t records, std::chrono::steady_clock::duration elapsed);

 private:
  void Draw(uint64_t records, std::chrono::steady_clock::time_point now);

  std::ostream* out_;
  bool enabled_;
  Clock clock_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace shardyfusion::cli
