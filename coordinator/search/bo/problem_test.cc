#include "coordinator/search/bo/problem.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hpsweep::coordinator::bo {
namespace {

std::vector<Dimension> Mixed() {
  return {Dimension::Continuous(), Dimension::Integer(5), Dimension::Categorical(3)};
}

TEST(ProblemTest, CoordinateCountCountsOneHotWidth) { EXPECT_EQ(CoordinateCount(Mixed()), 5); }

TEST(ProblemTest, SnapRoundsIntegersAndCategoricals) {
  std::vector<double> x = {1.2, 0.3, 0.2, 0.7, 0.69};
  SnapToSpace(Mixed(), &x);
  EXPECT_EQ(x, (std::vector<double>{1.0, 0.25, 0, 1, 0}));
  Dimension custom = Dimension::Integer(3);
  custom.levels = {0.0, 0.1, 1.0};
  std::vector<double> y = {0.4};
  SnapToSpace({custom}, &y);
  EXPECT_EQ(y, std::vector<double>{0.1});
}

TEST(ProblemTest, NeutralizeInactive) {
  const std::vector<double> x = {0.1, 0.25, 0, 1, 0};
  EXPECT_EQ(NeutralizeInactive(Mixed(), x, {}), x);
  const std::vector<double> n = NeutralizeInactive(Mixed(), x, {true, false, false});
  EXPECT_EQ(n, (std::vector<double>{0.1, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3}));
}

TEST(ProblemTest, ValidateNamesTheField) {
  Problem p;
  p.dims = Mixed();
  p.completed.push_back({{0.1, 0.25, 0, 1, 0}, 1.0, {}});
  EXPECT_TRUE(ValidateProblem(p).ok());
  p.completed.push_back({{0.1, 0.25, 0, 1.5, 0}, 1.0, {}});
  EXPECT_EQ(ValidateProblem(p).field(), "/completed/1/x/3");
  p.completed.pop_back();
  p.pending.push_back({{0.1}, {}});
  EXPECT_EQ(ValidateProblem(p).field(), "/pending/0/x");
  p.pending.clear();
  p.unfitted.push_back({{0.1, 0.25, 0, 1, 0}, {true, true}});
  EXPECT_EQ(ValidateProblem(p).field(), "/unfitted/0/active");
  p.unfitted.clear();
  p.completed[0].y = std::nan("");
  EXPECT_EQ(ValidateProblem(p).field(), "/completed/0/y");
}

TEST(ProblemTest, KnownPointsHoldEveryKind) {
  Problem p;
  p.dims = {Dimension::Continuous()};
  p.completed.push_back({{0.1}, 1.0, {}});
  p.failed.push_back({{0.2}, {}});
  p.pending.push_back({{0.3}, {}});
  p.unfitted.push_back({{0.4}, {}});
  EXPECT_EQ(p.KnownPoints(), (std::vector<std::vector<double>>{{0.1}, {0.2}, {0.3}, {0.4}}));
}

TEST(RngTest, DeterministicAndInRange) {
  Rng a(5), b(5);
  for (int i = 0; i < 100; ++i) {
    const double u = a.Uniform();
    EXPECT_EQ(u, b.Uniform());
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
