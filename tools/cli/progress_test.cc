#include "tools/cli/progress.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace hpsweep::cli {
namespace {

proto::Sweep RunningSweep() {
  proto::Sweep s;
  s.spec.max_trials = 10;
  s.spec.metric.name = "loss";
  s.counters.completed = 4;
  s.counters.failed = 1;
  s.counters.running = 2;
  s.best_value = 0.125;
  s.state = proto::SweepState::kRunning;
  return s;
}

TEST(ProgressTest, LineCountsFinishedTrialsAndShowsTheState) {
  EXPECT_EQ(ProgressLine(RunningSweep(), {10, std::nullopt}),
            "[#####.....] 5/10 done, 2 running, 1 failed, 0 pruned | best loss 0.125 | running");
  EXPECT_EQ(ProgressLine(RunningSweep(), {}),
            "5/10 done, 2 running, 1 failed, 0 pruned | best loss 0.125 | running");
}

TEST(ProgressTest, TheDisplayedEtaCountsDownAndMovesOnlyPartWayToANewEstimate) {
  std::ostringstream out;
  ProgressDisplay display(out, /*tty=*/false, 0);
  proto::Sweep s = RunningSweep();
  display.Show(s, ProgressTiming{20, 1, std::nullopt});  // raw 25 s, shown as is
  EXPECT_NE(out.str().find("ETA 0:25"), std::string::npos) << out.str();
  // 10 s later a burst: 9 finished, raw ETA 30 / 8 * 1 = 3.75 s. Counted
  // down 15 s; shown 0.7 * 15 + 0.3 * 3.75 = 11.6 s, not 4.
  s.counters.completed = 8;
  display.Show(s, ProgressTiming{30, 1, std::nullopt});
  EXPECT_NE(out.str().find("ETA 0:12"), std::string::npos) << out.str();
  // Everything finished: 0.
  s.counters.completed = 9;
  display.Show(s, ProgressTiming{31, 1, std::nullopt});
  EXPECT_NE(out.str().find("ETA 0:00"), std::string::npos) << out.str();
}

TEST(ProgressTest, TimingGivesAnEtaFromTrialsFinishedInThisRun) {
  // 5 finished, 1 of them before the run: 4 in 20 s, 5 to go: 25 s.
  EXPECT_EQ(ProgressLine(RunningSweep(), {0, ProgressTiming{20, 1, std::nullopt}}),
            "5/10 done, 2 running, 1 failed, 0 pruned | best loss 0.125 | 0:20 elapsed, ETA 0:25");
  EXPECT_EQ(ProgressLine(RunningSweep(), {0, ProgressTiming{20, 5, std::nullopt}}),
            "5/10 done, 2 running, 1 failed, 0 pruned | best loss 0.125 | 0:20 elapsed, ETA --:--");
}

TEST(ProgressTest, FormatSeconds) {
  EXPECT_EQ(FormatSeconds(0), "0:00");
  EXPECT_EQ(FormatSeconds(65), "1:05");
  EXPECT_EQ(FormatSeconds(3723), "1:02:03");
  EXPECT_EQ(FormatSeconds(-1), "--:--");
  EXPECT_EQ(FormatSeconds(NAN), "--:--");
}

TEST(ProgressTest, LogDisplayPrintsALineOnlyWhenSomethingChanges) {
  std::ostringstream out;
  ProgressDisplay display(out, /*tty=*/false, 30);
  proto::Sweep s = RunningSweep();
  display.Show(s, ProgressTiming{1, 0, std::nullopt});
  display.Show(s, ProgressTiming{2, 0, std::nullopt});  // only the time moved
  s.counters.completed = 5;
  display.Show(s, ProgressTiming{3, 0, std::nullopt});
  display.Finish();
  EXPECT_EQ(out.str(),
            "5/10 done, 2 running, 1 failed, 0 pruned | best loss 0.125 | 0:01 elapsed, ETA 0:01\n"
            // Smoothed: the 1 s shown at 0:01 has counted down to 0 by 0:03,
            // and moves 30% of the way to the new 2 s estimate.
            "6/10 done, 2 running, 1 failed, 0 pruned | best loss 0.125 | 0:03 elapsed, ETA 0:01\n");
}

TEST(ProgressTest, TerminalDisplayRewritesOneLineWithABar) {
  std::ostringstream out;
  ProgressDisplay display(out, /*tty=*/true, 10);
  display.Show(RunningSweep());
  display.Show(RunningSweep());
  display.Finish();
  const std::string line =
      "[#####.....] 5/10 done, 2 running, 1 failed, 0 pruned | best loss 0.125 | running";
  EXPECT_EQ(out.str(), "\r\033[2K" + line + "\r\033[2K" + line + "\n");
}

}  // namespace
}  // namespace hpsweep::cli
