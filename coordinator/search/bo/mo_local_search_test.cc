#include "coordinator/search/bo/mo_local_search.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace hpsweep::coordinator::bo {
namespace {

BatchAcquisition Of(double (*f)(const std::vector<double>&)) {
  return [f](const std::vector<std::vector<double>>& rows) {
    std::vector<double> v;
    for (const auto& r : rows) v.push_back(f(r));
    return v;
  };
}

// A front on the boundary, as ZDT's: the best point has x0 = 1 and every
// other coordinate at its lower bound; leaving the bound costs far more
// than moving x0 gains.
double Ridge(const std::vector<double>& x) {
  double penalty = 0;
  for (size_t c = 1; c < x.size(); ++c) penalty += x[c];
  return x[0] - 20 * penalty;
}

TEST(MoLocalSearchTest, MovesOneCoordinateAcrossItsRangeWhileTheOthersStayAtTheirBound) {
  std::vector<std::vector<double>> points = {{0.2, 0, 0, 0, 0, 0}, {0.5, 0, 0, 0, 0, 0}};
  std::vector<double> values = {Ridge(points[0]), Ridge(points[1])};
  Rng rng(7);
  LocalSearch(Of(Ridge), std::vector<bool>(6, true), LocalSearchOptions{}, &rng, &points, &values);
  for (size_t b = 0; b < points.size(); ++b) {
    EXPECT_GE(points[b][0], 0.97) << "point " << b;
    for (size_t c = 1; c < 6; ++c) EXPECT_LE(points[b][c], 0.005) << "point " << b << " x" << c;
    EXPECT_DOUBLE_EQ(values[b], Ridge(points[b]));
  }
}

// An interior optimum in 8 dimensions.
double Bowl(const std::vector<double>& x) {
  double s = 0;
  for (size_t c = 0; c < x.size(); ++c) s += std::pow(x[c] - (0.1 + 0.1 * c), 2);
  return -s;
}

TEST(MoLocalSearchTest, ConvergesToAnInteriorOptimum) {
  std::vector<std::vector<double>> points = {std::vector<double>(8, 0.9)};
  std::vector<double> values = {Bowl(points[0])};
  Rng rng(3);
  LocalSearch(Of(Bowl), std::vector<bool>(8, true), LocalSearchOptions{}, &rng, &points, &values);
  for (size_t c = 0; c < 8; ++c) EXPECT_NEAR(points[0][c], 0.1 + 0.1 * c, 0.02) << "x" << c;
}

TEST(MoLocalSearchTest, FixedCoordinatesStayAndTheResultIsDeterministic) {
  // Coordinates 1 and 2 are not movable (a one-hot categorical).
  const std::vector<bool> movable = {true, false, false, true};
  auto run = [&](uint64_t seed) {
    std::vector<std::vector<double>> points = {{0.5, 1, 0, 0.5}};
    std::vector<double> values = {Bowl(points[0])};
    Rng rng(seed);
    LocalSearch(Of(Bowl), movable, LocalSearchOptions{}, &rng, &points, &values);
    return points[0];
  };
  const std::vector<double> x = run(5);
  EXPECT_EQ(x[1], 1.0);
  EXPECT_EQ(x[2], 0.0);
  EXPECT_NEAR(x[0], 0.1, 0.02);
  EXPECT_NEAR(x[3], 0.4, 0.02);
  EXPECT_EQ(run(5), x);
  // Nothing movable: nothing moves.
  std::vector<std::vector<double>> points = {{0.5, 0.5}};
  std::vector<double> values = {0};
  Rng rng(1);
  LocalSearch(Of(Bowl), {false, false}, LocalSearchOptions{}, &rng, &points, &values);
  EXPECT_EQ(points[0], (std::vector<double>{0.5, 0.5}));
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
