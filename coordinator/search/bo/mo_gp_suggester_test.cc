#include "coordinator/search/bo/mo_gp_suggester.h"

#include <cmath>

#include "gtest/gtest.h"

namespace hpsweep::coordinator::bo {
namespace {

// Two objectives on [0,1]^2 (ZDT1-like), a constraint x0 <= 0.4.
Problem Observed(int n, bool degenerate = false) {
  Problem p;
  p.dims = {Dimension::Continuous(), Dimension::Continuous()};
  Rng rng(11);
  for (int i = 0; i < n; ++i) {
    const double a = rng.Uniform(), b = rng.Uniform();
    const double f1 = a, g = 1 + 9 * b, f2 = g * (1 - std::sqrt(f1 / g));
    p.completed.push_back(Observation{{a, b}, degenerate ? 1.0 : f1, {}});
    p.ys.push_back(degenerate ? std::vector<double>{1.0, 1.0} : std::vector<double>{f1, f2});
    p.constraints.push_back({a - 0.4});
  }
  return p;
}

GpOptions Small() {
  GpOptions o;
  o.raw_samples = 256;
  o.local_samples = 32;
  return o;
}

TEST(MoGpSuggesterTest, BatchIsDistinctInTheCubeFromTheModelAndDeterministic) {
  const Problem p = Observed(14);
  MoGpSuggester s(Small());
  std::vector<bool> from_model;
  auto points = s.Suggest(p, 3, 5, &from_model);
  ASSERT_TRUE(points.ok()) << points.status();
  ASSERT_EQ(points->size(), 3u);
  EXPECT_EQ(from_model, std::vector<bool>(3, true));
  for (size_t i = 0; i < points->size(); ++i) {
    for (double v : (*points)[i]) EXPECT_TRUE(v >= 0 && v <= 1);
    for (size_t j = 0; j < i; ++j) EXPECT_GT(MaxAbsDistance((*points)[i], (*points)[j]), 1e-9);
  }
  auto again = s.Suggest(p, 3, 5);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *points);
}

TEST(MoGpSuggesterTest, StaysInTheFeasibleRegion) {
  // Infeasible for x0 > 0.4; the GP of the constraint learns it from the
  // observations, and P(feasible) keeps suggestions out of the rest.
  const Problem p = Observed(20);
  MoGpSuggester s(Small());
  auto points = s.Suggest(p, 4, 9);
  ASSERT_TRUE(points.ok()) << points.status();
  int feasible = 0;
  for (const auto& x : *points) feasible += x[0] <= 0.45;
  EXPECT_GE(feasible, 3);
}

TEST(MoGpSuggesterTest, DegenerateFrontAndNothingFeasibleStillSuggest) {
  // Every observation has the same objective values (a front of one point)
  // and violates the constraint: the acquisition must stay finite and ordered.
  Problem p = Observed(10, /*degenerate=*/true);
  for (auto& c : p.constraints) c[0] = 1.0;
  MoGpSuggester s(Small());
  std::vector<bool> from_model;
  auto points = s.Suggest(p, 2, 1, &from_model);
  ASSERT_TRUE(points.ok()) << points.status();
  EXPECT_EQ(from_model, std::vector<bool>(2, true));
  // Without constraints too.
  p.constraints.clear();
  from_model.clear();
  points = s.Suggest(p, 2, 1, &from_model);
  ASSERT_TRUE(points.ok()) << points.status();
  EXPECT_EQ(from_model, std::vector<bool>(2, true));
}

TEST(MoGpSuggesterTest, PendingAndFailedTrialsAreAvoided) {
  Problem p = Observed(12);
  p.pending.push_back({{0.1, 0.1}, {}});
  p.failed.push_back({{0.2, 0.9}, {}});
  MoGpSuggester s(Small());
  auto points = s.Suggest(p, 2, 3);
  ASSERT_TRUE(points.ok()) << points.status();
  for (const auto& x : *points) {
    EXPECT_GT(MaxAbsDistance(x, {0.1, 0.1}), 1e-9);
    EXPECT_GT(MaxAbsDistance(x, {0.2, 0.9}), 1e-9);
  }
}

TEST(MoGpSuggesterTest, WarmStartsNeverChangeTheSuggestions) {
  // 20 observations: each model's fit starts from its checkpoint (the first
  // 16 points). Whatever the cache holds — nothing, the checkpoint of the
  // same points reached through a smaller problem, or another problem's —
  // the suggestions are the same.
  const Problem p = Observed(20);
  auto fresh = MoGpSuggester(Small()).Suggest(p, 2, 4);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  MoGpSuggester warmed(Small());
  ASSERT_TRUE(warmed.Suggest(Observed(17), 1, 4).ok());
  auto warm = warmed.Suggest(p, 2, 4);
  ASSERT_TRUE(warm.ok()) << warm.status();
  EXPECT_EQ(*warm, *fresh);
  MoGpSuggester other(Small());
  ASSERT_TRUE(other.Suggest(Observed(24, /*degenerate=*/true), 1, 4).ok());
  auto after_other = other.Suggest(p, 2, 4);
  ASSERT_TRUE(after_other.ok());
  EXPECT_EQ(*after_other, *fresh);
  // warm_iterations 0: every fit full; still a valid batch.
  GpOptions full = Small();
  full.warm_iterations = 0;
  std::vector<bool> from_model;
  auto cold = MoGpSuggester(full).Suggest(p, 2, 4, &from_model);
  ASSERT_TRUE(cold.ok()) << cold.status();
  EXPECT_EQ(from_model, std::vector<bool>(2, true));
}

TEST(MoGpSuggesterTest, FewObservationsUseTheDesign) {
  const Problem p = Observed(2);
  MoGpSuggester s(Small());
  std::vector<bool> from_model;
  auto points = s.Suggest(p, 2, 3, &from_model);
  ASSERT_TRUE(points.ok());
  EXPECT_EQ(from_model, std::vector<bool>(2, false));
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
