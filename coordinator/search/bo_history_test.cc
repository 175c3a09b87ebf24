// The bayes/tpe reading of a sweep's history: pruned trials are observations
// at the value they were stopped with, never better than the worst completed
// trial, for a minimized and a maximized metric; once parameters + 1 trials
// have completed, bayes fits them only at the final value their early one
// predicts, and leaves them unfitted where early values do not predict.
#include "coordinator/search/bo_history.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::TrialState;

SearchSpace Space(bool maximize) {
  Json j = {{"name", "s"},
            {"metric", {{"name", "m"}, {"goal", maximize ? "maximize" : "minimize"}}},
            {"method", "tpe"},
            {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
            {"program", {{"external", true}}}};
  return *SearchSpace::Create(*proto::ParseSweepSpec(j));
}

TrialView View(uint64_t n, TrialState state, std::optional<double> objective,
               std::optional<double> pruned = std::nullopt,
               std::vector<TrialView::LevelValue> levels = {}) {
  return TrialView{n,      Json{{"x", 0.1 * static_cast<double>(n)}}, state, objective, {}, {},
                   pruned, std::move(levels)};
}

TEST(BoHistoryTest, PrunedTrialsAreObservationsCappedAtTheWorstCompleted) {
  for (const bool maximize : {false, true}) {
    SCOPED_TRACE(maximize ? "maximize" : "minimize");
    const double s = maximize ? -1 : 1;  // user's direction -> minimized
    const std::vector<TrialView> history = {
        View(0, TrialState::kCompleted, s * 0.2),
        View(1, TrialState::kCompleted, s * 0.5),
        View(2, TrialState::kPruned, std::nullopt, s * 0.9),  // worse than every completed
        View(3, TrialState::kPruned, std::nullopt, s * 0.1),  // would beat them: capped
        View(4, TrialState::kPruned, std::nullopt),           // no value: failed
        View(5, TrialState::kFailed, std::nullopt),
        View(6, TrialState::kRunning, std::nullopt),
        View(7, TrialState::kCancelled, std::nullopt),
    };
    bo::Problem p = EncodeHistory(Space(maximize), history);
    ASSERT_EQ(p.completed.size(), 4u);
    EXPECT_DOUBLE_EQ(p.completed[0].y, 0.2);
    EXPECT_DOUBLE_EQ(p.completed[1].y, 0.5);
    EXPECT_DOUBLE_EQ(p.completed[2].y, 0.9);
    EXPECT_DOUBLE_EQ(p.completed[3].y, 0.5) << "capped at the worst completed objective";
    EXPECT_EQ(p.failed.size(), 2u);
    EXPECT_EQ(p.pending.size(), 1u);
  }
}

TEST(BoHistoryTest, WithNothingCompletedPrunedValuesCountAsTheyAre) {
  bo::Problem p = EncodeHistory(Space(false), {View(0, TrialState::kPruned, std::nullopt, 0.7),
                                               View(1, TrialState::kPruned, std::nullopt, 0.3)});
  ASSERT_EQ(p.completed.size(), 2u);
  EXPECT_DOUBLE_EQ(p.completed[0].y, 0.7);
  EXPECT_DOUBLE_EQ(p.completed[1].y, 0.3);
  EXPECT_TRUE(p.failed.empty());
}

TEST(BoHistoryTest, UntilFullFidelityLeavesPrunedTrialsUnfittedOnceDPlusOneCompleted) {
  // One parameter: two completed trials are enough.
  std::vector<TrialView> history = {
      View(0, TrialState::kCompleted, 0.2),
      View(1, TrialState::kPruned, std::nullopt, 0.9),
      View(2, TrialState::kPruned, std::nullopt),  // no value: failed either way
  };
  bo::Problem early = EncodeHistory(Space(false), history, PrunedTrials::kUntilFullFidelity);
  ASSERT_EQ(early.completed.size(), 2u) << "one completed trial: the pruned one is still fitted";
  EXPECT_DOUBLE_EQ(early.completed[1].y, 0.9);
  EXPECT_TRUE(early.unfitted.empty());
  EXPECT_EQ(early.failed.size(), 1u);

  history.push_back(View(3, TrialState::kCompleted, 0.5));
  history.push_back(View(4, TrialState::kPruned, std::nullopt, 0.1));
  bo::Problem full = EncodeHistory(Space(false), history, PrunedTrials::kUntilFullFidelity);
  ASSERT_EQ(full.completed.size(), 2u);
  EXPECT_DOUBLE_EQ(full.completed[0].y, 0.2);
  EXPECT_DOUBLE_EQ(full.completed[1].y, 0.5);
  ASSERT_EQ(full.unfitted.size(), 2u);
  EXPECT_DOUBLE_EQ(full.unfitted[0].x[0], 0.1);  // trial 1's x
  EXPECT_DOUBLE_EQ(full.unfitted[1].x[0], 0.4);  // trial 4's x
  EXPECT_EQ(full.failed.size(), 1u);

  // tpe's reading of the same history keeps fitting them.
  bo::Problem tpe = EncodeHistory(Space(false), history, PrunedTrials::kAsObservations);
  EXPECT_EQ(tpe.completed.size(), 4u);
  EXPECT_TRUE(tpe.unfitted.empty());
}

// Past d + 1 completions, bayes fits a pruned trial at the final value its
// value at its last level predicts, when the completed trials' values at that
// level predict their finals (pruned_estimate.h), and leaves it unfitted
// when they do not.
TEST(BoHistoryTest, UntilFullFidelityEstimatesPrunedTrialsWhereEarlyRanksPredict) {
  for (const bool maximize : {false, true}) {
    SCOPED_TRACE(maximize ? "maximize" : "minimize");
    const double s = maximize ? -1 : 1;  // user's direction
    // Four completed trials; at level 0 (say epoch 1) their order is their
    // final order, at level 1 (epoch 3) the reverse.
    std::vector<TrialView> history;
    for (int i = 0; i < 4; ++i) {
      history.push_back(View(i, TrialState::kCompleted, s * (0.1 + 0.1 * i), std::nullopt,
                             {{0, s * (1.0 + i)}, {1, s * (0.9 - 0.1 * i)}}));
    }
    // Stopped at level 0, worse there than every completed trial: predicted
    // to end as the worst did. Stopped at level 1: nothing to say.
    history.push_back(View(4, TrialState::kPruned, std::nullopt, s * 9.0, {{0, s * 9.0}}));
    history.push_back(
        View(5, TrialState::kPruned, std::nullopt, s * 0.95, {{0, s * 1.5}, {1, s * 0.95}}));
    bo::Problem p = EncodeHistory(Space(maximize), history, PrunedTrials::kUntilFullFidelity);
    ASSERT_EQ(p.completed.size(), 5u);
    EXPECT_NEAR(p.completed[4].x[0], 0.4, 1e-12) << "trial 4";
    EXPECT_NEAR(p.completed[4].y, 0.4, 1e-12) << "the worst completed trial's final (minimized)";
    ASSERT_EQ(p.unfitted.size(), 1u);
    EXPECT_NEAR(p.unfitted[0].x[0], 0.5, 1e-12) << "trial 5";
  }
}

TEST(BoHistoryTest, PrunedValueReadsTheMetricAPrunedTrialStoppedWith) {
  proto::Trial t;
  t.final_values = {{"m", 0.4}, {"other", 1.0}};
  EXPECT_FALSE(PrunedValue(t, "m").has_value()) << "not pruned";
  t.prune = proto::PruneInfo{3, 1, "asha"};
  EXPECT_DOUBLE_EQ(*PrunedValue(t, "m"), 0.4);
  EXPECT_FALSE(PrunedValue(t, "missing").has_value());
}

}  // namespace
}  // namespace hpsweep::coordinator
