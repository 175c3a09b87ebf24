#include "coordinator/search/bo/pareto.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace hpsweep::coordinator::bo {
namespace {

TEST(ParetoTest, Dominance) {
  EXPECT_TRUE(Dominates({1, 2}, {1, 3}));
  EXPECT_FALSE(Dominates({1, 3}, {1, 2}));
  EXPECT_FALSE(Dominates({1, 2}, {1, 2}));  // equal points: neither
  EXPECT_FALSE(Dominates({1, 3}, {2, 2}));  // incomparable
  EXPECT_FALSE(Dominates({2, 2}, {1, 3}));
}

TEST(ParetoTest, NonDominatedKeepsTiesAndSkipsInfeasible) {
  const std::vector<Point> points = {{1, 3}, {2, 2}, {2, 2}, {3, 3}, {3, 1}, {0, 0}, {NAN, 0}};
  // Everything feasible: (0, 0) dominates all the rest.
  EXPECT_EQ(NonDominated(points), (std::vector<size_t>{5}));
  // (0, 0) infeasible: the front is (1,3), both (2,2) and (3,1); (3,3) is
  // dominated; the NaN point is never in it.
  const std::vector<bool> feasible = {true, true, true, true, true, false, true};
  EXPECT_EQ(NonDominated(points, feasible), (std::vector<size_t>{0, 1, 2, 4}));
  // Nothing feasible: an empty front.
  EXPECT_TRUE(NonDominated(points, std::vector<bool>(points.size(), false)).empty());
}

TEST(ParetoTest, NondominationRanks) {
  EXPECT_EQ(NondominationRanks({{1, 1}, {2, 2}, {3, 3}, {1, 3}, {2, 2}}),
            (std::vector<int>{0, 1, 2, 1, 1}));
  EXPECT_EQ(NondominationRanks({{1, 2, 3}, {3, 2, 1}, {2, 2, 2}, {3, 3, 3}}),
            (std::vector<int>{0, 0, 0, 1}));
  EXPECT_TRUE(NondominationRanks({}).empty());
}

TEST(ParetoTest, Hypervolume2dByHand) {
  // Staircase (1,3), (2,2), (3,1) under (4,4): 3 + 2 + 1.
  const std::vector<Point> stairs = {{1, 3}, {2, 2}, {3, 1}};
  EXPECT_DOUBLE_EQ(Hypervolume(stairs, {4, 4}), 6);
  // A duplicate, a dominated point and a point beyond the reference add nothing.
  EXPECT_DOUBLE_EQ(Hypervolume({{1, 3}, {2, 2}, {2, 2}, {3, 3}, {3, 1}, {5, 0}}, {4, 4}), 6);
  // A point on the reference's boundary adds nothing either.
  EXPECT_DOUBLE_EQ(Hypervolume({{4, 0}}, {4, 4}), 0);
  EXPECT_DOUBLE_EQ(Hypervolume({}, {4, 4}), 0);
  // Each stair point alone covers one unit square nobody else covers.
  EXPECT_EQ(HypervolumeContributions(stairs, {4, 4}), (std::vector<double>{1, 1, 1}));
  // Ties share their volume: removing one copy loses nothing.
  EXPECT_EQ(HypervolumeContributions({{1, 3}, {2, 2}, {2, 2}}, {4, 4}),
            (std::vector<double>{1, 0, 0}));
  // A dominated point contributes nothing.
  EXPECT_EQ(HypervolumeContributions({{1, 1}, {2, 2}}, {4, 4}), (std::vector<double>{5, 0}));
}

TEST(ParetoTest, Hypervolume3dByHand) {
  EXPECT_DOUBLE_EQ(Hypervolume({{1, 1, 1}}, {2, 2, 2}), 1);
  // Boxes 4 and 2 overlapping in the unit cube [1,2]^3: 4 + 2 - 1.
  EXPECT_DOUBLE_EQ(Hypervolume({{0, 0, 1}, {1, 1, 0}}, {2, 2, 2}), 5);
  // Three boxes of 2, pairwise and triple overlap the same unit cube:
  // inclusion-exclusion 6 - 3 + 1.
  const std::vector<Point> three = {{0, 1, 1}, {1, 0, 1}, {1, 1, 0}};
  EXPECT_DOUBLE_EQ(Hypervolume(three, {2, 2, 2}), 4);
  EXPECT_EQ(HypervolumeContributions(three, {2, 2, 2}), (std::vector<double>{1, 1, 1}));
  // Ties and a dominated point change nothing.
  EXPECT_DOUBLE_EQ(Hypervolume({{0, 1, 1}, {1, 0, 1}, {1, 1, 0}, {1, 1, 0}, {1, 1, 1}}, {2, 2, 2}), 4);
}

// Counts the unit cells of [0, ref) dominated by integer points: an
// independent exact answer for any number of objectives.
double CountCells(const std::vector<Point>& points, const Point& ref) {
  const size_t d = ref.size();
  std::vector<int> cell(d, 0);
  double count = 0;
  while (true) {
    for (const Point& p : points) {
      bool covers = true;
      for (size_t k = 0; k < d && covers; ++k) covers = p[k] <= cell[k];
      if (covers) {
        ++count;
        break;
      }
    }
    size_t k = 0;
    while (k < d && ++cell[k] == static_cast<int>(ref[k])) cell[k++] = 0;
    if (k == d) return count;
  }
}

TEST(ParetoTest, HypervolumeMatchesCellCountingIn3And4Dimensions) {
  std::mt19937 gen(7);
  for (size_t d : {3, 4}) {
    for (int rep = 0; rep < 20; ++rep) {
      const int side = 7;
      std::uniform_int_distribution<int> coord(0, side);  // `side` itself: on the boundary
      std::vector<Point> points(1 + rep % 12, Point(d));
      for (Point& p : points) {
        for (double& v : p) v = coord(gen);
      }
      const Point ref(d, side);
      EXPECT_DOUBLE_EQ(Hypervolume(points, ref), CountCells(points, ref)) << "d=" << d << " rep=" << rep;
    }
  }
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
