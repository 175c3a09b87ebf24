#include "coordinator/search/bo/tpe_split.h"

#include "coordinator/search/bo/tpe.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator::bo {
namespace {

struct ObsSpec {
  std::vector<double> ys;
  std::vector<double> constraints;
};

ObsSpec Obs(std::vector<double> ys, std::vector<double> constraints = {}) {
  return ObsSpec{std::move(ys), std::move(constraints)};
}

Problem Make(const std::vector<ObsSpec>& obs) {
  Problem p;
  p.dims = {Dimension::Continuous()};
  for (const ObsSpec& o : obs) {
    p.completed.push_back(Observation{{0.5}, o.ys[0], {}});
    if (o.ys.size() > 1) p.ys.push_back(o.ys);
    if (!o.constraints.empty()) p.constraints.push_back(o.constraints);
  }
  return p;
}

TEST(TpeSplitTest, WholeRanksFirstThenHypervolumeTieBreak) {
  // Front: (0,4) (1,1) (1.1,1.05)? no: (1.1,1.05) is dominated by (1,1).
  // Rank 0: a=(0,4), b=(1,1), c=(4,0); rank 1: d=(2,2), e=(1.1,1.05)... e
  // is dominated only by b: rank 1 too; f=(5,5) rank 2.
  const Problem p = Make({Obs({0, 4}), Obs({1, 1}), Obs({4, 0}), Obs({2, 2}), Obs({1.1, 1.05}),
                          Obs({5, 5})});
  TpeSplit s = SplitGoodBad(p, 3);
  EXPECT_EQ(s.good, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(s.bad, (std::vector<size_t>{3, 4, 5}));
  // Four good: rank 0 and one of rank 1 by hypervolume within rank 1 under
  // its reference (2.09, 2.095): d=(2,2) adds 0.09*0.095, e adds
  // 0.99*1.045 — e.
  s = SplitGoodBad(p, 4);
  EXPECT_EQ(s.good, (std::vector<size_t>{0, 1, 2, 4}));
  // Weights: e is dominated by b within the good group: the floor weight.
  ASSERT_EQ(s.good_weights.size(), 4u);
  EXPECT_EQ(s.good_weights[3], kMinGoodWeight);
  for (size_t j = 0; j < 3; ++j) EXPECT_GT(s.good_weights[j], 0.01) << j;
}

TEST(TpeSplitTest, FeasibleBeforeInfeasibleByViolation) {
  // The best objective values are infeasible; feasible ones are good first,
  // then infeasible ones by total violation.
  const Problem p = Make({Obs({0, 0}, {1}), Obs({3, 3}, {0}), Obs({1, 1}, {0.5}), Obs({4, 2}, {-1}),
                          Obs({0, 1}, {2})});
  TpeSplit s = SplitGoodBad(p, 2);
  EXPECT_EQ(s.good, (std::vector<size_t>{1, 3}));
  s = SplitGoodBad(p, 3);
  EXPECT_EQ(s.good, (std::vector<size_t>{1, 2, 3}));  // violation 0.5 is the least
  // Single objective with a constraint: feasible by value, then violation.
  const Problem q = Make({Obs({0}, {1}), Obs({3}, {0}), Obs({2}, {-1}), Obs({1}, {0.1})});
  s = SplitGoodBad(q, 3);
  EXPECT_EQ(s.good, (std::vector<size_t>{1, 2, 3}));
  EXPECT_EQ(s.good_weights, (std::vector<double>(3, 1.0)));
}

TEST(TpeSplitTest, MultiObjectiveTpeSuggestsPointsInTheCube) {
  Problem p;
  p.dims = {Dimension::Continuous(), Dimension::Continuous()};
  for (int i = 0; i < 20; ++i) {
    const double a = (i % 5) / 4.0, b = (i / 5) / 3.0;
    p.completed.push_back(Observation{{a, b}, a, {}});
    p.ys.push_back({a, 1 - a + b});
    p.constraints.push_back({b - 0.5});
  }
  TpeSuggester tpe(TpeOptions{});
  std::vector<bool> from_model;
  auto points = tpe.Suggest(p, 4, 3, &from_model);
  ASSERT_TRUE(points.ok()) << points.status();
  ASSERT_EQ(points->size(), 4u);
  for (const auto& x : *points) {
    for (double v : x) EXPECT_TRUE(v >= 0 && v <= 1);
  }
  EXPECT_EQ(from_model, std::vector<bool>(4, true));
  // The same inputs give the same points.
  auto again = tpe.Suggest(p, 4, 3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *points);
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
