#include "coordinator/bo/outcome_transform.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hpsweep::coordinator::bo {
namespace {

double Mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

// Sample skewness: how lopsided the values are.
double Skewness(const std::vector<double>& v) {
  const double m = Mean(v);
  double m2 = 0, m3 = 0;
  for (double x : v) {
    m2 += (x - m) * (x - m);
    m3 += (x - m) * (x - m) * (x - m);
  }
  m2 /= v.size();
  m3 /= v.size();
  return m3 / std::pow(m2, 1.5);
}

TEST(OutcomeTransformTest, YeoJohnsonIsIncreasingAndIdentityAtOne) {
  for (double lambda : {-2.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.5}) {
    double previous = -INFINITY;
    for (double x = -10; x <= 10; x += 0.25) {
      const double t = YeoJohnson(x, lambda);
      EXPECT_TRUE(std::isfinite(t));
      EXPECT_GT(t, previous) << "lambda " << lambda << " x " << x;
      previous = t;
    }
  }
  for (double x : {-3.0, -0.1, 0.0, 0.7, 5.0}) EXPECT_NEAR(YeoJohnson(x, 1.0), x, 1e-12);
}

TEST(OutcomeTransformTest, HeavyRightTailIsCompressedAndOrderKept) {
  // Values like a Rosenbrock valley's: most near zero, a few enormous.
  std::vector<double> y;
  for (int i = 0; i < 40; ++i) y.push_back(std::pow(1.3, i) - 1 + 0.01 * i);
  const WarpedOutcomes w = WarpOutcomes(y);
  EXPECT_LT(w.lambda, 1.0);
  ASSERT_EQ(w.values.size(), y.size());
  for (size_t i = 1; i < y.size(); ++i) EXPECT_GT(w.values[i], w.values[i - 1]) << "order kept";
  for (double v : w.values) EXPECT_TRUE(std::isfinite(v));
  EXPECT_LT(std::abs(Skewness(w.values)), std::abs(Skewness(y)) / 2);
  EXPECT_NEAR(Mean(w.values), 0.0, 1e-9);
}

TEST(OutcomeTransformTest, SymmetricValuesAreLeftAlmostAlone) {
  std::vector<double> y;
  for (int i = -20; i <= 20; ++i) y.push_back(3.0 + 0.5 * i);  // evenly spread
  const WarpedOutcomes w = WarpOutcomes(y);
  EXPECT_NEAR(w.lambda, 1.0, 0.3);
}

TEST(OutcomeTransformTest, ScaleAndShiftDoNotChangeTheResult) {
  std::vector<double> y = {0.1, 0.4, 0.2, 9.0, 1.5, 0.05, 30.0, 0.8};
  std::vector<double> scaled;
  for (double v : y) scaled.push_back(1e6 * v - 42.0);
  const WarpedOutcomes a = WarpOutcomes(y);
  const WarpedOutcomes b = WarpOutcomes(scaled);
  EXPECT_DOUBLE_EQ(a.lambda, b.lambda);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(a.values[i], b.values[i], 1e-6);
}

TEST(OutcomeTransformTest, DegenerateInputsAreOnlyStandardized) {
  EXPECT_TRUE(WarpOutcomes({}).values.empty());
  const WarpedOutcomes same = WarpOutcomes({2.0, 2.0, 2.0});
  for (double v : same.values) EXPECT_EQ(v, 0.0);
  const WarpedOutcomes two = WarpOutcomes({1.0, 5.0, 1.0, 5.0});
  EXPECT_EQ(two.lambda, 1.0);
  EXPECT_LT(two.values[0], two.values[1]);
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
