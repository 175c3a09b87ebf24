#include "coordinator/search/bo/mo_acquisition.h"

#include "gtest/gtest.h"

namespace hpsweep::coordinator::bo {
namespace {

torch::TensorOptions F64() { return torch::TensorOptions().dtype(torch::kFloat64); }

TEST(MoAcquisitionTest, ChebyshevByHand) {
  const auto f = torch::tensor({{0.2, 0.8}, {0.5, 0.5}}, F64());
  const auto w = torch::tensor({0.5, 0.5}, F64());
  const auto s = ChebyshevScalarize(f, w, 0.05);
  EXPECT_DOUBLE_EQ(s[0].item<double>(), 0.4 + 0.05 * 0.5);
  EXPECT_DOUBLE_EQ(s[1].item<double>(), 0.25 + 0.05 * 0.5);
}

TEST(MoAcquisitionTest, SoftImprovementIsFiniteAndOrderedFarFromTheIncumbent) {
  // Degenerate front: the incumbent is 0 and samples lie far above it (every
  // sample worse by 1 to 1000 normalized ranges): plain EI would be exactly 0
  // for all of them.
  std::vector<double> offsets = {-0.5, 0.0, 1.0, 10.0, 100.0, 1000.0};
  const auto base = torch::linspace(0, 0.1, 16, F64());
  std::vector<torch::Tensor> rows;
  for (double o : offsets) rows.push_back(base + o);
  const auto s = torch::stack(rows);
  const auto v = LogMeanSoftImprovement(s, 0.0, 1e-3);
  ASSERT_EQ(v.size(0), static_cast<int64_t>(offsets.size()));
  for (int64_t i = 0; i < v.size(0); ++i) {
    EXPECT_TRUE(std::isfinite(v[i].item<double>())) << i;
    if (i > 0) {
      EXPECT_LT(v[i].item<double>(), v[i - 1].item<double>()) << i;
    }
  }
  // Where improvements are large the value approaches log(mean improvement).
  const auto big = LogMeanSoftImprovement(torch::full({1, 4}, -2.0, F64()), 0.0, 1e-3);
  EXPECT_NEAR(big[0].item<double>(), std::log(2.0), 1e-9);
}

TEST(MoAcquisitionTest, ProbabilityOfFeasibility) {
  const auto mean = torch::tensor({{0.0, -50.0}, {0.0, 50.0}, {-1.0, -50.0}}, F64());
  const auto var = torch::ones({3, 2}, F64());
  const auto thresholds = torch::zeros({2}, F64());
  const auto lp = LogProbabilityOfFeasibility(mean, var, thresholds);
  EXPECT_NEAR(lp[0].item<double>(), std::log(0.5), 1e-12);
  EXPECT_TRUE(std::isfinite(lp[1].item<double>()));  // 50 sd infeasible: tiny, finite
  EXPECT_LT(lp[1].item<double>(), -1000);
  EXPECT_GT(lp[2].item<double>(), lp[0].item<double>());
  const auto none = LogProbabilityOfFeasibility(torch::zeros({2, 0}, F64()), torch::zeros({2, 0}, F64()),
                                                torch::zeros({0}, F64()));
  EXPECT_EQ(none.sum().item<double>(), 0);
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
