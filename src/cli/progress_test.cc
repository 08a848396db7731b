#include "cli/progress.h"

#include <gtest/gtest.h>

#include <sstream>

namespace shardyfusion::cli {
namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

// A clock the test moves by hand.
struct FakeClock {
  TimePoint now{};
  Progress::Clock fn() {
    return [this] { return now; };
  }
};

size_t Redraws(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (c == '\r');
  return n;
}

TEST(CliProgressTest, RedrawsAtMostEveryInterval) {
  FakeClock clock;
  std::ostringstream out;
  Progress progress(&out, true, clock.fn());
  // 100 ms per record: a redraw every third record at most.
  for (int i = 1; i <= 9; ++i) {
    clock.now += milliseconds(100);
    progress.Update(i);
  }
  EXPECT_EQ(Redraws(out.str()), 3u);
  progress.Finish(9);
  EXPECT_EQ(Redraws(out.str()), 4u);
  EXPECT_EQ(out.str().back(), '\n');
  EXPECT_NE(out.str().find(Progress::Render(9, milliseconds(900))), std::string::npos);
  progress.Finish(9);  // idempotent
  EXPECT_EQ(Redraws(out.str()), 4u);
}

TEST(CliProgressTest, DisabledWritesNothing) {
  FakeClock clock;
  std::ostringstream out;
  Progress progress(&out, false, clock.fn());
  clock.now += std::chrono::seconds(5);
  progress.Update(10);
  progress.Finish(10);
  EXPECT_EQ(out.str(), "");
}

TEST(CliProgressTest, RenderShowsCountRateAndElapsed) {
  EXPECT_EQ(Progress::Render(5000, std::chrono::seconds(2)),
            "read 5000 records  2500 records/s  2.0 s elapsed");
  EXPECT_EQ(Progress::Render(0, std::chrono::seconds(0)),
            "read 0 records  0 records/s  0.0 s elapsed");
}

}  // namespace
}  // namespace shardyfusion::cli
