// FinalValueEstimator: when early ranks are taken to predict final ones, and
// what it predicts for a trial stopped early.
#include "coordinator/search/pruned_estimate.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

// n completed trials whose early and final ranks agree: early i, final 10 i.
std::vector<EarlyAndFinal> Concordant(int n) {
  std::vector<EarlyAndFinal> out;
  for (int i = 0; i < n; ++i) out.push_back({static_cast<double>(i), 10.0 * i});
  return out;
}

TEST(FinalValueEstimatorTest, AgreeingRanksPredictTheMatchingFinal) {
  const FinalValueEstimator e(Concordant(10));
  ASSERT_TRUE(e.informative());
  EXPECT_DOUBLE_EQ(e.rho(), 1.0);
  EXPECT_DOUBLE_EQ(e.Estimate(100), 90)
      << "worse than every completed trial early: the worst final";
  EXPECT_DOUBLE_EQ(e.Estimate(-1), 0) << "better than every one: the best final";
  // Early value 2 is the third of ten: its final lies between the third and
  // fourth finals.
  const double mid = e.Estimate(2);
  EXPECT_GT(mid, 20);
  EXPECT_LT(mid, 30);
}

TEST(FinalValueEstimatorTest, EarlyRanksThatDoNotPredictGiveNoEstimate) {
  // Slow starters: the trials that end best were worst early.
  std::vector<EarlyAndFinal> reversed;
  for (int i = 0; i < 10; ++i) reversed.push_back({static_cast<double>(i), -10.0 * i});
  const FinalValueEstimator against(reversed);
  EXPECT_DOUBLE_EQ(against.rho(), -1.0);
  EXPECT_FALSE(against.informative());

  // No association: early values alternate against the finals' order.
  const FinalValueEstimator none({{0, 0}, {5, 1}, {1, 2}, {4, 3}, {2, 4}, {3, 5}});
  EXPECT_LT(std::abs(none.rho()), 0.3);
  EXPECT_FALSE(none.informative());
}

TEST(FinalValueEstimatorTest, NeedsEnoughCompletedTrialsForTheTest) {
  // Perfect agreement: rho sqrt(n - 1) is 1.41 with 3 trials (below the 5%
  // critical value 1.645) and 1.73 with 4.
  EXPECT_FALSE(FinalValueEstimator(Concordant(2)).informative());
  EXPECT_FALSE(FinalValueEstimator(Concordant(3)).informative());
  EXPECT_TRUE(FinalValueEstimator(Concordant(4)).informative());
  EXPECT_FALSE(FinalValueEstimator({}).informative());
}

TEST(FinalValueEstimatorTest, WeakerAgreementShrinksTowardTheMedianFinal) {
  // Mostly agreeing ranks (two swapped pairs): 0 < rho < 1.
  std::vector<EarlyAndFinal> c = Concordant(12);
  std::swap(c[1].final_value, c[4].final_value);
  std::swap(c[7].final_value, c[10].final_value);
  const FinalValueEstimator weak(c);
  ASSERT_TRUE(weak.informative());
  ASSERT_LT(weak.rho(), 1.0);
  const FinalValueEstimator strong(Concordant(12));
  // The worst early value: a bad final under both, less extreme when early
  // ranks predict less.
  const double median_final = 55;
  EXPECT_GT(weak.Estimate(100), median_final);
  EXPECT_LT(weak.Estimate(100), strong.Estimate(100));
  EXPECT_LT(weak.Estimate(-1), median_final);
  EXPECT_GT(weak.Estimate(-1), strong.Estimate(-1));
}

TEST(FinalValueEstimatorTest, IgnoresNonFinitePairsAndHandlesTies) {
  std::vector<EarlyAndFinal> c = Concordant(6);
  c.push_back({std::numeric_limits<double>::quiet_NaN(), 1.0});
  c.push_back({1.0, std::numeric_limits<double>::infinity()});
  const FinalValueEstimator e(c);
  EXPECT_DOUBLE_EQ(e.rho(), 1.0);
  EXPECT_DOUBLE_EQ(e.Estimate(100), 50);
  // Every early value tied: no order to learn from.
  EXPECT_FALSE(FinalValueEstimator({{1, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}}).informative());
}

}  // namespace
}  // namespace hpsweep::coordinator
