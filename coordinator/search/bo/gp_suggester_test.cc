#include "coordinator/search/bo/gp_suggester.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>

#include "coordinator/search/bo/acquisition.h"
#include "coordinator/search/bo/gp.h"
#include "coordinator/search/bo/outcome_transform.h"
#include "coordinator/search/bo/suggest_common.h"
#include "coordinator/search/bo/test_functions.h"

namespace hpsweep::coordinator::bo {
namespace {

Problem Continuous(int d) {
  Problem p;
  p.dims.assign(d, Dimension::Continuous());
  return p;
}

// Runs `evals` evaluations of f, `batch` suggestions per round, and returns
// the best value found.
double Optimize(const GpSuggester& gp, const TestFunction& f, int evals, int batch, uint64_t seed) {
  Problem p = Continuous(f.dims);
  double best = INFINITY;
  while (static_cast<int>(p.completed.size()) < evals) {
    auto xs = gp.Suggest(p, std::min(batch, evals - static_cast<int>(p.completed.size())), seed);
    EXPECT_TRUE(xs.ok()) << xs.status();
    if (!xs.ok()) return INFINITY;
    for (const auto& x : *xs) {
      const double y = f.eval(x);
      best = std::min(best, y);
      p.completed.push_back({x, y, {}});
    }
  }
  return best;
}

TEST(GpSuggesterTest, GetsCloseToBraninsMinimumIn30Evaluations) {
  GpSuggester gp{GpOptions{}};
  const TestFunction& branin = TestFunctions()[0];
  // Tolerance: 0.05 above 0.397887 (random search after 30 evaluations is
  // typically ~1 above).
  EXPECT_LT(Optimize(gp, branin, 30, 1, 11) - branin.minimum, 0.05);
}

TEST(GpSuggesterTest, BatchesAreDistinctAndAvoidPendingAndFailedPoints) {
  GpSuggester gp{GpOptions{}};
  Problem p = Continuous(2);
  for (int i = 0; i < 8; ++i) {
    const std::vector<double> x = {0.1 * i + 0.05, std::fmod(0.37 * i, 1.0)};
    p.completed.push_back({x, BraninUnit(x), {}});
  }
  p.pending.push_back({{0.55, 0.15}, {}});
  p.failed.push_back({{0.95, 0.95}, {}});
  auto xs = gp.Suggest(p, 8, 5);
  ASSERT_TRUE(xs.ok()) << xs.status();
  ASSERT_EQ(xs->size(), 8u);
  for (size_t i = 0; i < xs->size(); ++i) {
    for (size_t j = 0; j < i; ++j) EXPECT_GT(MaxAbsDistance((*xs)[i], (*xs)[j]), 1e-3) << i << "," << j;
    EXPECT_GT(MaxAbsDistance((*xs)[i], p.pending[0].x), 1e-3);
    EXPECT_GT(MaxAbsDistance((*xs)[i], p.failed[0].x), 1e-3);
    for (double v : (*xs)[i]) EXPECT_TRUE(v >= 0 && v <= 1);
  }
}

// An unfitted point (a trial stopped early, its value not given to the
// model) is known: of the two choices no trial has a value for, the one
// such a trial already took is never suggested.
TEST(GpSuggesterTest, UnfittedPointsAreNotSuggestedAgain) {
  GpOptions options;
  options.initial_design = 2;  // a model from the third point on
  GpSuggester gp{options};
  Problem p;
  p.dims = {Dimension::Categorical(4)};
  p.completed.push_back({{1, 0, 0, 0}, 1.0, {}});
  p.completed.push_back({{0, 1, 0, 0}, 1.2, {}});
  p.unfitted.push_back({{0, 0, 1, 0}, {}});
  int from_model_count = 0;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    std::vector<bool> from_model;
    auto xs = gp.Suggest(p, 1, seed, &from_model);
    ASSERT_TRUE(xs.ok()) << xs.status();
    EXPECT_EQ((*xs)[0], (std::vector<double>{0, 0, 0, 1})) << "seed " << seed;
    from_model_count += from_model[0] ? 1 : 0;
  }
  // The model chose (its candidates held both unseen choices), not only the
  // design that fills in when none of them is new.
  EXPECT_GT(from_model_count, 0);
}

TEST(GpSuggesterTest, DeterministicBySeed) {
  GpSuggester gp{GpOptions{}};
  Problem p = Continuous(3);
  for (int i = 0; i < 10; ++i) {
    const std::vector<double> x = {std::fmod(0.31 * i, 1.0), std::fmod(0.77 * i, 1.0), 0.1 * i};
    p.completed.push_back({x, x[0] * x[0] + std::sin(5 * x[1]) + x[2], {}});
  }
  auto a = gp.Suggest(p, 3, 9);
  auto b = gp.Suggest(p, 3, 9);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(GpSuggesterTest, InitialDesignIsSobolAndContinuesAcrossCalls) {
  GpOptions options;
  options.initial_design = 6;
  GpSuggester gp{options};
  Problem p = Continuous(2);
  auto first = gp.Suggest(p, 6, 1);
  ASSERT_TRUE(first.ok());
  Problem q = Continuous(2);
  std::vector<std::vector<double>> piecewise;
  for (int i = 0; i < 3; ++i) {
    auto two = gp.Suggest(q, 2, 1);
    ASSERT_TRUE(two.ok());
    for (const auto& x : *two) {
      piecewise.push_back(x);
      q.pending.push_back({x, {}});
    }
  }
  EXPECT_EQ(*first, piecewise);
}

TEST(GpSuggesterTest, MixedSpaceSuggestionsAreSnappedAndConditionalsAccepted) {
  GpSuggester gp{GpOptions{}};
  Problem p;
  p.dims = {Dimension::Continuous(), Dimension::Integer(4), Dimension::Categorical(3), Dimension::Continuous()};
  // Objective prefers choice 2, level 1/3, x0 near 0.3; the last dimension is
  // active only for choice 0.
  auto f = [](const std::vector<double>& x) {
    return std::pow(x[0] - 0.3, 2) + std::abs(x[1] - 1.0 / 3) + (x[4] > 0.5 ? 0.0 : 1.0);
  };
  for (int i = 0; i < 12; ++i) {
    std::vector<double> x = {std::fmod(0.618 * i, 1.0), (i % 4) / 3.0, 0, 0, 0, std::fmod(0.37 * i, 1.0)};
    x[2 + i % 3] = 1.0;
    const bool last_active = i % 3 == 0;
    p.completed.push_back({x, f(x), {true, true, true, last_active}});
  }
  auto xs = gp.Suggest(p, 4, 3);
  ASSERT_TRUE(xs.ok()) << xs.status();
  for (const auto& x : *xs) {
    ASSERT_EQ(x.size(), 6u);
    const double level = x[1] * 3;
    EXPECT_NEAR(level, std::round(level), 1e-12);
    EXPECT_EQ(x[2] + x[3] + x[4], 1.0);
    for (int k = 2; k < 5; ++k) EXPECT_TRUE(x[k] == 0.0 || x[k] == 1.0);
  }
}

// Categorical and integer coordinates are optimized as the discrete values
// they are: the search settles on the best category and level.
TEST(GpSuggesterTest, MixedSpaceSearchFindsTheBestCategoryAndLevel) {
  GpSuggester gp{GpOptions{}};
  Problem p;
  p.dims = {Dimension::Continuous(), Dimension::Integer(5), Dimension::Categorical(4)};
  // Best: category 3, level 1 (of 0..4), x0 = 0.7; other categories are
  // worse by more than the continuous coordinate can make up.
  auto f = [](const std::vector<double>& x) {
    const double category_cost[4] = {0.8, 0.5, 1.2, 0.0};
    int category = 0;
    for (int k = 0; k < 4; ++k) {
      if (x[2 + k] == 1.0) category = k;
    }
    return std::pow(x[0] - 0.7, 2) + std::abs(x[1] * 4 - 1) * 0.3 + category_cost[category];
  };
  double best = INFINITY;
  std::vector<double> best_x;
  for (int round = 0; round < 30; ++round) {
    auto xs = gp.Suggest(p, 1, 17);
    ASSERT_TRUE(xs.ok()) << xs.status();
    const double y = f(xs->front());
    if (y < best) best = y, best_x = xs->front();
    p.completed.push_back({xs->front(), y, {}});
  }
  EXPECT_EQ(best_x[5], 1.0);                   // category 3
  EXPECT_NEAR(best_x[1] * 4, 1.0, 1e-9);       // level 1
  EXPECT_NEAR(best_x[0], 0.7, 0.1);
}

TEST(GpSuggesterTest, IntegerSearchLandsOnTheBestLevel) {
  // Two integer Dimensions of 201 levels; the bowl's minimum lies between
  // levels. The acquisition is climbed level by level (the discrete
  // neighbourhood ascent), so the search ends on the nearest level, not on
  // a level a rounded relaxed optimum happens to give.
  GpSuggester gp{GpOptions{}};
  Problem p;
  p.dims = {Dimension::Integer(201), Dimension::Integer(201)};
  auto f = [](const std::vector<double>& x) {
    return std::pow(x[0] - 0.3712, 2) + 3 * std::pow(x[1] - 0.6088, 2);
  };
  double best = INFINITY;
  std::vector<double> best_x;
  for (int round = 0; round < 30; ++round) {
    auto xs = gp.Suggest(p, 1, 23);
    ASSERT_TRUE(xs.ok()) << xs.status();
    const double y = f(xs->front());
    if (y < best) best = y, best_x = xs->front();
    p.completed.push_back({xs->front(), y, {}});
  }
  EXPECT_NEAR(best_x[0] * 200, 74.0, 1e-9);  // 0.3712 * 200 = 74.24
  EXPECT_NEAR(best_x[1] * 200, 122.0, 1e-9);  // 0.6088 * 200 = 121.76
}

TEST(GpSuggesterTest, OneSuggestionInFourLooksAwayFromAKnownBasin) {
  // A bowl around 0.2, sampled densely there and sparsely elsewhere: the
  // model is sure of the basin. Of a batch of four (trial indices 28..31),
  // the first is greedy and lands in the basin; the fourth targets a large
  // improvement, which only the unexplored part of the range can promise.
  GpSuggester gp{GpOptions{}};
  Problem p = Continuous(1);
  auto f = [](double x) { return (x - 0.2) * (x - 0.2); };
  for (int i = 0; i < 20; ++i) {
    const double x = 0.15 + 0.1 * i / 19.0;
    p.completed.push_back({{x}, f(x), {}});
  }
  for (int i = 0; i < 8; ++i) {
    const double x = 0.3 + 0.7 * i / 7.0;
    p.completed.push_back({{x}, f(x), {}});
  }
  auto xs = gp.Suggest(p, 4, 31);
  ASSERT_TRUE(xs.ok()) << xs.status();
  EXPECT_LT(std::abs((*xs)[0][0] - 0.2), 0.06);
  EXPECT_GT(std::abs((*xs)[3][0] - 0.2), std::abs((*xs)[0][0] - 0.2) + 0.05);

  // explore_every 0 turns the schedule off: the fourth is greedy too.
  GpOptions greedy;
  greedy.explore_every = 0;
  auto greedy_xs = GpSuggester(greedy).Suggest(p, 4, 31);
  ASSERT_TRUE(greedy_xs.ok()) << greedy_xs.status();
  EXPECT_EQ((*greedy_xs)[0], (*xs)[0]);
  EXPECT_LT(std::abs((*greedy_xs)[3][0] - 0.2), std::abs((*xs)[3][0] - 0.2));
}

TEST(GpSuggesterTest, SubspacePointsMoveAFewDimensionsOfACenterOverTheirRange) {
  // Continuous, integer (5 levels), categorical (3 choices), continuous.
  const std::vector<Dimension> dims = {Dimension::Continuous(), Dimension::Integer(5),
                                       Dimension::Categorical(3), Dimension::Continuous()};
  const std::vector<std::vector<double>> centers = {{0.1, 0.25, 1, 0, 0, 0.9}, {0.7, 1.0, 0, 0, 1, 0.2}};
  const size_t offset[] = {0, 1, 2, 5}, width[] = {1, 1, 3, 1};
  Rng rng(5);
  const int n = 4000;
  const auto points = SubspacePoints(dims, centers, n, &rng);
  ASSERT_EQ(points.size(), static_cast<size_t>(n));
  std::vector<int> moved_per_dim(4, 0), moved_count(5, 0);
  std::vector<bool> far(4, false);
  for (int i = 0; i < n; ++i) {
    const auto& x = points[i];
    const auto& c = centers[i % centers.size()];
    std::vector<double> snapped = x;
    SnapToSpace(dims, &snapped);
    ASSERT_EQ(snapped, x) << "point " << i << " is not in the space";
    int moved = 0;
    for (size_t j = 0; j < 4; ++j) {
      bool differs = false;
      for (size_t k = offset[j]; k < offset[j] + width[j]; ++k) {
        differs |= x[k] != c[k];
        far[j] = far[j] || std::abs(x[k] - c[k]) > 0.5;
      }
      moved += differs;
      moved_per_dim[j] += differs;
    }
    ++moved_count[moved];
  }
  // Mostly one Dimension moves (each with probability 1/4, at least one; a
  // discrete one may redraw its own value), rarely all four; every
  // Dimension moves, and can move across its range.
  EXPECT_GT(moved_count[1], n / 2);
  EXPECT_LT(moved_count[4], n / 50);
  EXPECT_LT(moved_count[0], n / 4);
  for (size_t j = 0; j < 4; ++j) {
    EXPECT_GT(moved_per_dim[j], n / 8) << "Dimension " << j;
    EXPECT_TRUE(far[j]) << "Dimension " << j;
  }
  // Deterministic by the generator's seed; no centers, no points.
  Rng again(5);
  EXPECT_EQ(SubspacePoints(dims, centers, n, &again), points);
  EXPECT_TRUE(SubspacePoints(dims, {}, 10, &again).empty());
}

// A Rosenbrock valley in 4-D: values from ~0 to ~1e4 over the cube, the
// heavy right tail that standardized outcomes alone handle badly.
double RosenbrockUnit(const std::vector<double>& u) {
  double s = 0;
  for (size_t i = 0; i + 1 < u.size(); ++i) {
    const double x = -2 + 4 * u[i], y = -2 + 4 * u[i + 1];
    s += 100 * (y - x * x) * (y - x * x) + (1 - x) * (1 - x);
  }
  return s;
}

TEST(GpSuggesterTest, HeavyTailedObjectiveKeepsThePosteriorFiniteAndOrdered) {
  Problem p = Continuous(4);
  std::vector<std::vector<double>> xs;
  std::vector<double> ys;
  for (int i = 0; i < 30; ++i) {
    std::vector<double> x = {std::fmod(0.618 * i + 0.1, 1.0), std::fmod(0.414 * i + 0.2, 1.0),
                             std::fmod(0.732 * i + 0.3, 1.0), std::fmod(0.236 * i + 0.4, 1.0)};
    xs.push_back(x);
    ys.push_back(RosenbrockUnit(x));
    p.completed.push_back({x, ys.back(), {}});
  }
  const WarpedOutcomes warped = WarpOutcomes(ys);
  // The tail is compressed: Rosenbrock's values are positive, so by the
  // Box-Cox step toward zero (and perhaps the Yeo-Johnson step after it).
  EXPECT_TRUE(warped.box_cox_lambda < 1.0 || warped.lambda < 1.0)
      << warped.box_cox_lambda << " " << warped.lambda;
  const auto x = torch::empty({30, 4}, torch::kFloat64);
  for (int i = 0; i < 30; ++i) {
    for (int j = 0; j < 4; ++j) x[i][j] = xs[i][j];
  }
  const auto y = torch::tensor(warped.values, torch::kFloat64);
  auto hp = FitGpHyperparameters(x, y, GpFitOptions{}, 3);
  ASSERT_TRUE(hp.ok()) << hp.status();
  auto model = GpModel::Create(x, y, *hp);
  ASSERT_TRUE(model.ok()) << model.status();
  torch::NoGradGuard no_grad;
  const auto [mean, var] = model->Posterior(x);
  EXPECT_TRUE(torch::isfinite(mean).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(var).all().item<bool>());
  // Ordered: at the observed points the posterior mean ranks the best
  // observation below the worst.
  const int64_t best = std::min_element(ys.begin(), ys.end()) - ys.begin();
  const int64_t worst = std::max_element(ys.begin(), ys.end()) - ys.begin();
  EXPECT_LT(mean[best].item<double>(), mean[worst].item<double>());
  // LogEI stays finite everywhere, including far from the incumbent.
  const auto grid = torch::rand({512, 4}, torch::kFloat64);
  const auto [gm, gv] = model->Posterior(grid);
  const double best_f = y.min().item<double>();
  const auto log_ei = LogExpectedImprovement(gm, gv, best_f);
  EXPECT_TRUE(torch::isfinite(log_ei).all().item<bool>());
  // And the suggester proposes model points in the cube.
  std::vector<bool> from_model;
  auto next = GpSuggester(GpOptions{}).Suggest(p, 2, 5, &from_model);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(from_model, std::vector<bool>({true, true}));
  for (const auto& point : *next) {
    for (double v : point) EXPECT_TRUE(v >= 0 && v <= 1);
  }
}

TEST(GpSuggesterTest, WarmStartsDoNotChangeWhatIsSuggested) {
  // Past 16 points, fits start from the last checkpoint's hyperparameters.
  // A suggester that has seen the sweep grow (its checkpoint cached) and a
  // fresh one (a restarted coordinator) propose the same points.
  const TestFunction& hartmann = TestFunctions()[1];
  Problem p = Continuous(hartmann.dims);
  GpSuggester grown{GpOptions{}};
  for (int i = 0; i < 23; ++i) {
    std::vector<double> x(hartmann.dims);
    for (int j = 0; j < hartmann.dims; ++j) x[j] = std::fmod(0.618 * (i + 1) * (j + 1) + 0.1 * j, 1.0);
    p.completed.push_back({x, hartmann.eval(x), {}});
    if (i >= 15) {
      ASSERT_TRUE(grown.Suggest(p, 1, 4).ok());
    }
  }
  auto warm = grown.Suggest(p, 2, 4);
  auto cold = GpSuggester(GpOptions{}).Suggest(p, 2, 4);
  ASSERT_TRUE(warm.ok() && cold.ok());
  EXPECT_EQ(*warm, *cold);
  GpOptions always_full;
  always_full.warm_iterations = 0;
  auto full = GpSuggester(always_full).Suggest(p, 2, 4);
  ASSERT_TRUE(full.ok()) << full.status();
  for (const auto& x : *full) {
    for (double v : x) EXPECT_TRUE(v >= 0 && v <= 1);
  }
}

// Objectives users send in practice: a constant (every trial the same
// loss), values spanning hundreds of orders of magnitude, a plateau with one
// outlier, and many dimensions. Every suggestion is a new point of the cube
// and comes from the model.
TEST(GpSuggesterTest, DegenerateObjectivesStillGiveModelSuggestions) {
  struct Case {
    const char* name;
    int dims;
    std::function<double(const std::vector<double>&, int)> f;
  };
  const std::vector<Case> cases = {
      {"constant", 3, [](const std::vector<double>&, int) { return 2.5; }},
      {"huge range", 10, [](const std::vector<double>& x, int) { return std::pow(10.0, 300 * (x[0] - 0.5)); }},
      {"plateau and outlier", 2, [](const std::vector<double>&, int i) { return i == 7 ? -1e6 : 0.0; }},
      {"twenty dimensions", 20,
       [](const std::vector<double>& x, int) {
         double s = 0;
         for (double v : x) s += (v - 0.3) * (v - 0.3);
         return s;
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Problem p = Continuous(c.dims);
    // Past the initial design of max(5, 2 d) points.
    for (int i = 0; i < 2 * c.dims + 4; ++i) {
      std::vector<double> x(c.dims);
      for (int j = 0; j < c.dims; ++j) x[j] = std::fmod(0.618 * (i + 1) * (j + 1) + 0.1 * j, 1.0);
      p.completed.push_back({x, c.f(x, i), {}});
    }
    std::vector<bool> from_model;
    auto xs = GpSuggester(GpOptions{}).Suggest(p, 3, 9, &from_model);
    ASSERT_TRUE(xs.ok()) << xs.status();
    ASSERT_EQ(xs->size(), 3u);
    EXPECT_EQ(from_model, std::vector<bool>(3, true));
    for (const auto& x : *xs) {
      for (double v : x) EXPECT_TRUE(v >= 0 && v <= 1) << v;
      for (const auto& o : p.completed) EXPECT_GT(MaxAbsDistance(x, o.x), 1e-9);
    }
  }
}

TEST(GpSuggesterTest, ACancelledSuggestionStopsAndAnUncancelledOneIsUnchanged) {
  const TestFunction& branin = TestFunctions()[0];
  Problem p = Continuous(branin.dims);
  for (int i = 0; i < 20; ++i) {
    const std::vector<double> x = {std::fmod(0.618 * (i + 1), 1.0), std::fmod(0.382 * (i + 1) + 0.1, 1.0)};
    p.completed.push_back({x, branin.eval(x), {}});
  }
  GpSuggester gp{GpOptions{}};
  std::atomic<bool> cancelled{true};
  EXPECT_EQ(gp.Suggest(p, 2, 3, nullptr, &cancelled).status().code(), StatusCode::kCancelled);
  cancelled = false;
  auto with_flag = gp.Suggest(p, 2, 3, nullptr, &cancelled);
  auto without = GpSuggester(GpOptions{}).Suggest(p, 2, 3);
  ASSERT_TRUE(with_flag.ok() && without.ok());
  EXPECT_EQ(*with_flag, *without);
}

TEST(GpSuggesterTest, BadInputIsRejected) {
  GpSuggester gp{GpOptions{}};
  Problem p = Continuous(2);
  p.completed.push_back({{0.5, 2.0}, 1.0, {}});
  EXPECT_EQ(gp.Suggest(p, 1, 0).status().field(), "/completed/0/x/1");
  GpOptions bad;
  bad.raw_samples = 0;
  EXPECT_EQ(GpSuggester(bad).Suggest(Continuous(2), 1, 0).status().code(), StatusCode::kInvalidArgument);
  GpOptions bad_schedule;
  bad_schedule.explore_every = -1;
  EXPECT_EQ(GpSuggester(bad_schedule).Suggest(Continuous(2), 1, 0).status().field(), "explore_every");
  GpOptions bad_margin;
  bad_margin.explore_margin = NAN;
  EXPECT_EQ(GpSuggester(bad_margin).Suggest(Continuous(2), 1, 0).status().field(), "explore_margin");
  GpOptions bad_moves;
  bad_moves.discrete_moves = -1;
  EXPECT_EQ(GpSuggester(bad_moves).Suggest(Continuous(2), 1, 0).status().field(), "discrete_moves");
  EXPECT_EQ(gp.Suggest(Continuous(2), 0, 0).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
