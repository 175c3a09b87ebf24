// The stopping rules on synthetic learning curves whose order is known: the
// tests name exactly which trials the rule stops and at which rung, for a
// minimized and a maximized metric.
#include "coordinator/lifecycle/stopping.h"

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::TrialState;

proto::SweepSpec Spec(const Json& early_terminate, bool maximize) {
  Json j = {{"name", "s"},
            {"metric", {{"name", maximize ? "acc" : "loss"}, {"goal", maximize ? "maximize" : "minimize"}}},
            {"method", "random"},
            {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
            {"program", {{"external", true}}},
            {"early_terminate", early_terminate}};
  auto spec = proto::ParseSweepSpec(j);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

std::unique_ptr<StoppingPolicy> Make(const Json& et, bool maximize) {
  auto policy = CreateStoppingPolicy(Spec(et, maximize));
  EXPECT_TRUE(policy.ok()) << policy.status();
  EXPECT_NE(policy->get(), nullptr);
  return std::move(policy).value();
}

// A learning curve of quality q (lower is better): the loss falls with the
// step and keeps its order; the maximized twin is an accuracy that rises.
double Curve(double q, int64_t step, bool maximize) {
  const double loss = q + 1.0 / static_cast<double>(step);
  return maximize ? 1.0 - loss / 20.0 : loss;
}

struct Stop {
  int64_t step;
  int64_t rung;
};

// Every live trial reports steps 1..last in rounds (round s: each live trial,
// in number order, reports step s), as concurrent workers would. Returns the
// stopped trials by number.
std::map<uint64_t, Stop> RunRounds(StoppingPolicy& policy, const std::vector<double>& quality,
                                   int64_t last, bool maximize) {
  std::map<uint64_t, Stop> stopped;
  for (int64_t step = 1; step <= last; ++step) {
    for (uint64_t t = 0; t < quality.size(); ++t) {
      if (stopped.count(t)) continue;
      StopDecision d = policy.Report(t, step, Curve(quality[t], step, maximize));
      if (d.stop) {
        EXPECT_FALSE(d.reason.empty());
        stopped[t] = Stop{step, d.rung};
      }
    }
  }
  return stopped;
}

class StoppingTest : public testing::TestWithParam<bool> {};  // param: maximize

TEST_P(StoppingTest, AshaStopsExactlyTheTrialsOutsideTheTopThirdAtEachRung) {
  const bool maximize = GetParam();
  auto policy = Make({{"type", "asha"}, {"min_iter", 1}, {"eta", 3}, {"max_iter", 27}}, maximize);
  // Rungs at steps 1, 3, 9. Worked through by hand (rank <= max(1, n/3)):
  //  step 1: 0 (6) first; 1 (9) 2nd of 2; 2 (2) best of 3; 3 (8) 3rd of 4;
  //          4 (4) 2nd of 5; 5 (7) 4th of 6, keep 2; 6 (1) best of 7;
  //          7 (5) 4th of 8, keep 2; 8 (3) 3rd of 9, keep 3 -> continues.
  //  step 3: 0, 2, 6 lead; 8 (3) is 3rd of 4, keep 1 -> stopped at rung 1.
  //  step 9: 0 first, 2 best of 2, 6 best of 3: all continue.
  const std::vector<double> quality = {6, 9, 2, 8, 4, 7, 1, 5, 3};
  std::map<uint64_t, Stop> stopped = RunRounds(*policy, quality, 12, maximize);
  std::map<uint64_t, std::pair<int64_t, int64_t>> got;
  for (const auto& [t, s] : stopped) got[t] = {s.step, s.rung};
  const std::map<uint64_t, std::pair<int64_t, int64_t>> want = {
      {1, {1, 0}}, {3, {1, 0}}, {4, {1, 0}}, {5, {1, 0}}, {7, {1, 0}}, {8, {3, 1}}};
  EXPECT_EQ(got, want);
}

TEST_P(StoppingTest, AshaReasonNamesRungRankAndMetric) {
  const bool maximize = GetParam();
  auto policy = Make({{"type", "asha"}, {"min_iter", 2}, {"eta", 2}}, maximize);
  EXPECT_FALSE(policy->Report(0, 1, Curve(1, 1, maximize)).stop) << "no rung below step 2";
  EXPECT_FALSE(policy->Report(0, 2, Curve(1, 2, maximize)).stop);
  StopDecision d = policy->Report(1, 2, Curve(5, 2, maximize));
  ASSERT_TRUE(d.stop);
  EXPECT_EQ(d.rung, 0);
  EXPECT_NE(d.reason.find("asha: rung 0 (step 2)"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find(maximize ? "acc" : "loss"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("ranks 2 of 2"), std::string::npos) << d.reason;
  // No max_iter: rungs go on (2, 4, 8, ...); one report past several rungs
  // is judged at the highest of them only (rank 1 of 1 at step 8: trial 1,
  // stopped, never reported there), but the levels a searcher reads hold
  // its value at every milestone it passed.
  EXPECT_FALSE(policy->Report(0, 9, Curve(1, 9, maximize)).stop);
  std::vector<RungValue> levels = policy->Levels(0);
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[0].step, 2);
  EXPECT_DOUBLE_EQ(levels[0].value, Curve(1, 2, maximize));
  EXPECT_EQ(levels[1].step, 4);
  EXPECT_EQ(levels[2].step, 8);
  EXPECT_EQ(levels[2].level, 2);
  EXPECT_DOUBLE_EQ(levels[1].value, Curve(1, 9, maximize));
  EXPECT_DOUBLE_EQ(levels[2].value, Curve(1, 9, maximize));
  EXPECT_EQ(policy->Levels(1).size(), 1u) << "trial 1 reached step 2 only";
  EXPECT_TRUE(policy->Levels(7).empty()) << "never reported";
}

TEST_P(StoppingTest, HyperbandLevelsCoverMilestonesBelowATrialsBracket) {
  const bool maximize = GetParam();
  // Brackets start at 1, 3, 9; a trial of the last is judged at 9 only, but
  // what it showed at steps 1 and 3 is at levels 0 and 1, where trials of
  // the first bracket were judged.
  auto policy =
      Make({{"type", "hyperband"}, {"min_iter", 1}, {"eta", 3}, {"max_iter", 27}}, maximize);
  uint64_t last = 0;
  while (policy->BracketOf(last) != 2) ++last;
  for (int64_t step = 1; step <= 10; ++step) {
    EXPECT_FALSE(policy->Report(last, step, Curve(1, step, maximize)).stop);
  }
  std::vector<RungValue> levels = policy->Levels(last);
  ASSERT_EQ(levels.size(), 3u);
  for (int64_t k = 0; k < 3; ++k) {
    EXPECT_EQ(levels[k].level, k);
    EXPECT_DOUBLE_EQ(levels[k].step, std::pow(3.0, static_cast<double>(k)));
    EXPECT_DOUBLE_EQ(levels[k].value, Curve(1, static_cast<int64_t>(levels[k].step), maximize));
  }
}

TEST_P(StoppingTest, AshaJudgesEachRungOnceAndIgnoresRepeatedReports) {
  const bool maximize = GetParam();
  auto policy = Make({{"type", "asha"}, {"min_iter", 1}, {"eta", 2}}, maximize);
  EXPECT_FALSE(policy->Report(0, 1, Curve(2, 1, maximize)).stop);
  EXPECT_FALSE(policy->Report(1, 1, Curve(1, 1, maximize)).stop) << "best of 2";
  // Trial 1 re-reports step 1 (resumed from a checkpoint): not judged again.
  EXPECT_FALSE(policy->Report(1, 1, Curve(9, 1, maximize)).stop);
  EXPECT_TRUE(policy->Report(2, 1, Curve(3, 1, maximize)).stop) << "3rd of 3, keep 1";
}

// max_iter 10 is not 1 * 3^k: brackets start at 1, 3 and 9, and a fourth
// has no rung below 10, so its trials train in full however they do.
TEST_P(StoppingTest, HyperbandKeepsABracketThatTrainsInFull) {
  const bool maximize = GetParam();
  Json block = {{"type", "hyperband"}, {"min_iter", 1}, {"eta", 3}, {"max_iter", 10}};
  auto et = proto::ParseEarlyTerminate(block);
  ASSERT_TRUE(et.ok()) << et.status();
  EXPECT_EQ(et->brackets, 4);
  auto policy = Make(block, maximize);
  std::map<int64_t, uint64_t> first_of;  // bracket -> its first trial
  for (uint64_t n = 0; first_of.size() < 4 && n < 100; ++n) first_of.emplace(policy->BracketOf(n), n);
  ASSERT_EQ(first_of.size(), 4u);
  // Good trials fill every rung first; then each bracket's second trial is
  // far worse at every step.
  for (const auto& [bracket, n] : first_of) {
    for (int64_t step = 1; step <= 10; ++step) policy->Report(n, step, Curve(1, step, maximize));
  }
  std::map<int64_t, bool> stopped;
  for (uint64_t n = 0; n < 100; ++n) {
    const int64_t b = policy->BracketOf(n);
    if (first_of.at(b) == n || stopped.count(b)) continue;
    bool stop = false;
    for (int64_t step = 1; step <= 10 && !stop; ++step) {
      stop = policy->Report(n, step, Curve(50, step, maximize)).stop;
    }
    stopped[b] = stop;
  }
  EXPECT_EQ(stopped, (std::map<int64_t, bool>{{0, true}, {1, true}, {2, true}, {3, false}}));
  // The s form and powers of eta keep Hyperband's count.
  for (const Json& b : {Json{{"type", "hyperband"}, {"max_iter", 27}, {"s", 2}},
                        Json{{"type", "hyperband"}, {"min_iter", 1}, {"eta", 3}, {"max_iter", 9}}}) {
    EXPECT_EQ(proto::ParseEarlyTerminate(b)->brackets, 3) << b.dump();
  }
}

TEST_P(StoppingTest, HyperbandAssignsBracketsInHyperbandsSharesAndRanksWithinThem) {
  const bool maximize = GetParam();
  // max_iter 9, eta 3: brackets start at 1, 3, 9 (s = 2, 1, 0) with sizes
  // ceil(3/3 * 9) = 9, ceil(3/2 * 3) = 5, ceil(3/1 * 1) = 3 per cycle of 17.
  auto policy = Make({{"type", "hyperband"}, {"min_iter", 1}, {"eta", 3}, {"max_iter", 9}}, maximize);
  std::map<int64_t, int> counts;
  for (uint64_t t = 0; t < 17; ++t) ++counts[policy->BracketOf(t)];
  EXPECT_EQ(counts, (std::map<int64_t, int>{{0, 9}, {1, 5}, {2, 3}}));
  for (uint64_t t = 0; t < 17; ++t) EXPECT_EQ(policy->BracketOf(t), policy->BracketOf(t + 17));

  std::vector<uint64_t> in[3];
  for (uint64_t t = 0; t < 17; ++t) in[policy->BracketOf(t)].push_back(t);
  // Bracket 2 (first rung at 9 = max_iter) has no rung: never stopped.
  for (uint64_t t : in[2]) {
    for (int64_t step = 1; step <= 9; ++step) {
      EXPECT_FALSE(policy->Report(t, step, Curve(100 + t, step, maximize)).stop);
    }
  }
  // Bracket 1: nothing judged before step 3; then ranked only against bracket 1.
  const uint64_t a = in[1][0], b = in[1][1];
  EXPECT_FALSE(policy->Report(a, 1, Curve(50, 1, maximize)).stop);
  EXPECT_FALSE(policy->Report(a, 3, Curve(50, 3, maximize)).stop) << "first at its rung";
  StopDecision d = policy->Report(b, 3, Curve(60, 3, maximize));
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.rung, 0);
  EXPECT_NE(d.reason.find("hyperband bracket 1, rung 0 (step 3)"), std::string::npos) << d.reason;
  // Bracket 0: rungs at 1 and 3; a bad first trial there continues (bracket 1's
  // better values do not count), the next worse one stops at rung 0.
  const uint64_t c = in[0][0], e = in[0][1];
  EXPECT_FALSE(policy->Report(c, 1, Curve(70, 1, maximize)).stop);
  StopDecision de = policy->Report(e, 1, Curve(80, 1, maximize));
  EXPECT_TRUE(de.stop);
  EXPECT_EQ(de.rung, 0);
}

TEST_P(StoppingTest, HyperbandAcceptsWandbsTwoForms) {
  const bool maximize = GetParam();
  // {"min_iter": 3, "eta": 3}: bracket 0's rungs at 3, 9, 27, ...
  auto first = Make({{"type", "hyperband"}, {"min_iter", 3}, {"eta", 3}}, maximize);
  uint64_t t0 = 0;
  while (first->BracketOf(t0) != 0) ++t0;
  uint64_t t1 = t0 + 1;
  while (first->BracketOf(t1) != 0) ++t1;
  EXPECT_EQ(first->Report(t0, 2, Curve(1, 2, maximize)).rung, -1);
  EXPECT_FALSE(first->Report(t0, 3, Curve(1, 3, maximize)).stop);
  EXPECT_TRUE(first->Report(t1, 3, Curve(2, 3, maximize)).stop);
  // {"max_iter": 27, "s": 2}: min_iter = 27 / 3^2 = 3, rungs 3 and 9 (W&B's bands).
  auto second = Make({{"type", "hyperband"}, {"max_iter", 27}, {"s", 2}}, maximize);
  t0 = 0;
  while (second->BracketOf(t0) != 0) ++t0;
  EXPECT_EQ(second->Report(t0, 2, Curve(1, 2, maximize)).rung, -1);
  EXPECT_EQ(second->Report(t0, 3, Curve(1, 3, maximize)).rung, 0);
  EXPECT_EQ(second->Report(t0, 9, Curve(1, 9, maximize)).rung, 1);
  EXPECT_EQ(second->Report(t0, 27, Curve(1, 27, maximize)).rung, -1) << "no rung at max_iter";
}

TEST_P(StoppingTest, MedianStopsTrialsWhoseBestIsWorseThanTheCompletedMedian) {
  const bool maximize = GetParam();
  auto policy = Make({{"type", "median"}, {"warmup_steps", 1}, {"min_trials", 3}}, maximize);
  // Three trials complete with qualities 2, 4, 6 over steps 1..4: the median
  // at each step is the quality-4 curve.
  for (uint64_t t = 0; t < 3; ++t) {
    for (int64_t step = 1; step <= 4; ++step) {
      EXPECT_FALSE(policy->Report(t, step, Curve(2 + 2.0 * t, step, maximize)).stop)
          << "fewer than 3 completed trials: nobody is judged";
    }
  }
  // Only two completed so far: trial 3 (quality 9) is not judged yet.
  policy->Finished(0, TrialState::kCompleted);
  policy->Finished(1, TrialState::kCompleted);
  EXPECT_FALSE(policy->Report(3, 2, Curve(9, 2, maximize)).stop);
  policy->Finished(2, TrialState::kCompleted);
  policy->Finished(2, TrialState::kCompleted);  // idempotent
  policy->Finished(9, TrialState::kFailed);     // only completed trials count

  // Quality 9: step 1 is warm-up; stopped at step 2.
  EXPECT_FALSE(policy->Report(4, 1, Curve(9, 1, maximize)).stop);
  StopDecision d = policy->Report(4, 2, Curve(9, 2, maximize));
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.rung, -1);
  EXPECT_NE(d.reason.find("median"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("of the 3 completed trials"), std::string::npos) << d.reason;
  // Quality 3 (better than the median 4) continues.
  for (int64_t step = 1; step <= 4; ++step) {
    EXPECT_FALSE(policy->Report(5, step, Curve(3, step, maximize)).stop);
  }
  // The best value so far counts: a trial at quality 3 whose step-3 value is
  // bad continues, since its best (step 2) is still better than the median.
  EXPECT_FALSE(policy->Report(6, 2, Curve(3, 2, maximize)).stop);
  EXPECT_FALSE(policy->Report(6, 3, Curve(20, 3, maximize)).stop);
  // No completed trial reported step 5: nobody is judged there.
  EXPECT_FALSE(policy->Report(7, 5, Curve(50, 5, maximize)).stop);
}

INSTANTIATE_TEST_SUITE_P(Goals, StoppingTest, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "maximize" : "minimize";
                         });

TEST(StoppingPolicyTest, NoEarlyTerminateMeansNoPolicy) {
  auto policy = CreateStoppingPolicy(Spec(nullptr, false));
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy->get(), nullptr);
}

// Bad blocks are INVALID_ARGUMENT naming the field.
TEST(StoppingPolicyTest, BadFieldsAreNamed) {
  struct Case {
    Json et;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"type", "envelope"}}, "/early_terminate/type"},
      {{{"min_iter", 3}}, "/early_terminate/type"},
      {{{"type", "asha"}, {"eta", 1}}, "/early_terminate/eta"},
      {{{"type", "asha"}, {"eta", "3"}}, "/early_terminate/eta"},
      {{{"type", "asha"}, {"min_iter", 0}}, "/early_terminate/min_iter"},
      {{{"type", "asha"}, {"min_iter", 1.5}}, "/early_terminate/min_iter"},
      {{{"type", "asha"}, {"min_iter", 9}, {"max_iter", 9}}, "/early_terminate/max_iter"},
      {{{"type", "asha"}, {"s", 2}}, "/early_terminate/s"},
      {{{"type", "asha"}, {"brackets", 2}}, "/early_terminate/brackets"},
      {{{"type", "hyperband"}, {"s", 2}}, "/early_terminate/max_iter"},
      {{{"type", "hyperband"}, {"max_iter", 27}, {"s", 2}, {"min_iter", 3}}, "/early_terminate/min_iter"},
      {{{"type", "hyperband"}, {"max_iter", 8}, {"s", 2}}, "/early_terminate/s"},
      {{{"type", "hyperband"}, {"max_iter", 27}, {"s", 0}}, "/early_terminate/s"},
      {{{"type", "hyperband"}, {"brackets", 0}}, "/early_terminate/brackets"},
      {{{"type", "hyperband"}, {"min_iter", 3}, {"strict", true}}, "/early_terminate/strict"},
      {{{"type", "median"}, {"warmup_steps", -1}}, "/early_terminate/warmup_steps"},
      {{{"type", "median"}, {"min_trials", 0}}, "/early_terminate/min_trials"},
      {{{"type", "median"}, {"eta", 3}}, "/early_terminate/eta"},
  };
  for (const Case& c : cases) {
    auto policy = CreateStoppingPolicy(Spec(c.et, false));
    ASSERT_FALSE(policy.ok()) << c.et.dump();
    EXPECT_EQ(policy.status().code(), StatusCode::kInvalidArgument) << c.et.dump();
    EXPECT_EQ(policy.status().field(), c.field) << c.et.dump() << ": " << policy.status();
  }
}

}  // namespace
}  // namespace hpsweep::coordinator
