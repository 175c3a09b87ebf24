#include "coordinator/search/bo/outcome_transform.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hpsweep::coordinator::bo {
namespace {

double Mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

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

// Scale never changes the result. A shift does not either, except across
// zero: all-positive outcomes (a loss) have a natural floor at zero that the
// Box-Cox step compresses toward, and other outcomes have none.
TEST(OutcomeTransformTest, ScaleAndShiftDoNotChangeTheResult) {
  std::vector<double> y = {0.1, 0.4, 0.2, 9.0, 1.5, 0.05, 30.0, 0.8};
  auto expect_same = [&](const std::vector<double>& other) {
    const WarpedOutcomes a = WarpOutcomes(y);
    const WarpedOutcomes b = WarpOutcomes(other);
    EXPECT_DOUBLE_EQ(a.lambda, b.lambda);
    EXPECT_DOUBLE_EQ(a.box_cox_lambda, b.box_cox_lambda);
    for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(a.values[i], b.values[i], 1e-6);
  };
  std::vector<double> scaled, shifted_negative;
  for (double v : y) scaled.push_back(1e6 * v);
  expect_same(scaled);
  for (double& v : y) v -= 42.0;  // all negative: no floor, shift-invariant
  for (double v : y) shifted_negative.push_back(1e6 * v - 7.0);
  expect_same(shifted_negative);
}

// A positive, right-skewed loss spread over decades: the Box-Cox step
// compresses it (exponent below 1, never below 1/2), which spreads out the
// smallest values relative to the largest, and keeps the order.
TEST(OutcomeTransformTest, PositiveSkewedOutcomesAreCompressedTowardZero) {
  const std::vector<double> y = {0.02, 0.05, 0.1, 0.3, 0.9, 2.5, 7.0, 20.0, 60.0, 3.0, 0.5, 0.07};
  const WarpedOutcomes w = WarpOutcomes(y);
  EXPECT_LT(w.box_cox_lambda, 1.0);
  EXPECT_GE(w.box_cox_lambda, 0.5);
  // Order kept.
  for (size_t i = 0; i < y.size(); ++i) {
    for (size_t j = 0; j < y.size(); ++j) {
      if (y[i] < y[j]) {
        EXPECT_LT(w.values[i], w.values[j]) << i << " " << j;
      }
    }
  }
  // The two best values are further apart, relative to the whole range,
  // than plain standardization leaves them.
  const double raw_gap = (0.05 - 0.02) / (60.0 - 0.02);
  const double gap =
      (w.values[1] - w.values[0]) / (*std::max_element(w.values.begin(), w.values.end()) -
                                     *std::min_element(w.values.begin(), w.values.end()));
  EXPECT_GT(gap, 2 * raw_gap);
  // Not all positive: the step is skipped.
  std::vector<double> with_zero = y;
  with_zero[0] = 0.0;
  EXPECT_EQ(WarpOutcomes(with_zero).box_cox_lambda, 1.0);
}

// The better half keeps its values; the worse half keeps its order and sits
// a few deviations of the better half above the median however far out it
// was (a loss of 3.6e6 next to losses of 0.5).
TEST(OutcomeTransformTest, HalfRankKeepsTheBetterHalfAndTamesTheWorse) {
  const std::vector<double> y = {0.52, 0.49,  3.6e6, 0.61, 0.50, 1723.0,
                                 0.95, 0.483, 440.0, 1.02, 0.55};
  const std::vector<double> w = HalfRankWarp(y);
  ASSERT_EQ(w.size(), y.size());
  const double median = 0.61;  // the 6th of 11
  double good_ss = 0;
  int good = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] <= median) {
      EXPECT_EQ(w[i], y[i]) << i;
      good_ss += (y[i] - median) * (y[i] - median);
      ++good;
    } else {
      EXPECT_GT(w[i], median) << i;
    }
    for (size_t j = 0; j < y.size(); ++j) {
      if (y[i] < y[j]) {
        EXPECT_LT(w[i], w[j]) << i << " " << j;
      }
    }
  }
  const double good_sd = std::sqrt(good_ss / good);
  const double worst = *std::max_element(w.begin(), w.end());
  // The largest of 11 values has quantile 10.5/11: Phi^-1 = 1.69.
  EXPECT_NEAR(worst, median + good_sd * 1.6906216295848, 1e-9);
}

// Standard normal quantile by bisection on erfc (the test's own reference).
double Quantile(double p) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

TEST(OutcomeTransformTest, HalfRankOfGaussianDataIsNearlyTheIdentity) {
  // Exact normal quantiles: the worse half already mirrors the better half,
  // so the warp only rescales it by the better half's spread (about 1).
  std::vector<double> y;
  for (int i = 1; i <= 199; ++i) y.push_back(Quantile((i - 0.5) / 199));
  const std::vector<double> w = HalfRankWarp(y);
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_NEAR(w[i], y[i], 0.05 * std::max(1.0, std::abs(y[i]))) << i;
  }
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
