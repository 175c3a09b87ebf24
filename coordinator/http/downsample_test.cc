#include "coordinator/http/downsample.h"

#include <algorithm>
#include <cmath>

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

std::vector<double> Range(size_t n) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i);
  return x;
}

TEST(DownsampleLttbTest, ShortCurvesAreKeptWhole) {
  EXPECT_EQ(DownsampleLttb(Range(5), Range(5), 5), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(DownsampleLttb(Range(3), Range(3), 100), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(DownsampleLttb({}, {}, 10).empty());
}

TEST(DownsampleLttbTest, KeepsEndsAndAtMostMaxPointsInOrder) {
  const std::vector<double> x = Range(1000);
  std::vector<double> y(1000);
  for (size_t i = 0; i < y.size(); ++i) y[i] = std::sin(static_cast<double>(i) / 37.0);
  for (size_t max_points : {3u, 10u, 50u, 999u}) {
    const std::vector<size_t> keep = DownsampleLttb(x, y, max_points);
    ASSERT_EQ(keep.size(), max_points);
    EXPECT_EQ(keep.front(), 0u);
    EXPECT_EQ(keep.back(), 999u);
    for (size_t i = 1; i < keep.size(); ++i) EXPECT_LT(keep[i - 1], keep[i]);
  }
}

TEST(DownsampleLttbTest, KeepsASpikeThatAStrideWouldMiss) {
  const std::vector<double> x = Range(101);
  std::vector<double> y(101, 1.0);
  y[37] = 50.0;  // a divergence in a flat curve
  const std::vector<size_t> keep = DownsampleLttb(x, y, 10);
  EXPECT_NE(std::find(keep.begin(), keep.end(), 37u), keep.end());
}

TEST(DownsampleLttbTest, TinyBudgets) {
  EXPECT_EQ(DownsampleLttb(Range(10), Range(10), 2), (std::vector<size_t>{0, 9}));
  EXPECT_EQ(DownsampleLttb(Range(10), Range(10), 1), (std::vector<size_t>{0}));
}

}  // namespace
}  // namespace hpsweep::coordinator
