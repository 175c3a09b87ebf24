#include "models/gaussian_predictive.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hpsweep::models {
namespace {

// Targets drawn from the predicted distribution itself: calibrated by
// construction, so every score has a known value up to sampling error.
TEST(GaussianPredictiveTest, CalibratedPredictionsScoreAsTheTheorySays) {
  torch::manual_seed(3);
  const int64_t n = 200000;
  torch::Tensor mean = torch::randn({n}, torch::kDouble);
  torch::Tensor sd = 0.1 + torch::rand({n}, torch::kDouble);
  torch::Tensor target = mean + sd * torch::randn({n}, torch::kDouble);
  GaussianScores s = ScoreGaussian(mean, sd.pow(2), target);
  // E[NLL] = 0.5 log(2 pi e) + E[log sd].
  const double expected_nll = 0.5 * std::log(2 * M_PI * M_E) + sd.log().mean().item<double>();
  EXPECT_NEAR(s.nll, expected_nll, 0.01);
  // Binomial sd of a coverage over 2e5 points is < 0.0012; allow 4 of them.
  EXPECT_NEAR(s.coverage90, 0.9, 0.005);
  EXPECT_LT(s.calibration_error, 0.005);
  EXPECT_NEAR(s.mean_std, sd.mean().item<double>(), 1e-9);
}

TEST(GaussianPredictiveTest, OverAndUnderConfidenceShowInCoverageAndError) {
  torch::manual_seed(4);
  torch::Tensor mean = torch::zeros({100000});
  torch::Tensor target = torch::randn({100000});
  // Claimed sd 0.5 of a unit-variance target: P(|z| <= 0.8224) = 0.589.
  GaussianScores over = ScoreGaussian(mean, torch::full({100000}, 0.25), target);
  EXPECT_NEAR(over.coverage90, 0.589, 0.01);
  // Claimed sd 2: P(|z| <= 3.29) = 0.999.
  GaussianScores under = ScoreGaussian(mean, torch::full({100000}, 4.0), target);
  EXPECT_GT(under.coverage90, 0.99);
  GaussianScores right = ScoreGaussian(mean, torch::ones({100000}), target);
  EXPECT_GT(over.calibration_error, 0.15);
  EXPECT_GT(under.calibration_error, 0.15);
  EXPECT_LT(right.calibration_error, 0.01);
  // The NLL is a proper score: the true variance beats both wrong ones.
  EXPECT_LT(right.nll, over.nll);
  EXPECT_LT(right.nll, under.nll);
}

TEST(GaussianPredictiveTest, LossIsTheNllAndBetaWeightsItWithoutGradient) {
  torch::Tensor mean = torch::tensor({0.0, 1.0}, torch::requires_grad());
  torch::Tensor var = torch::tensor({0.5, 2.0}, torch::requires_grad());
  torch::Tensor target = torch::tensor({1.0, 1.0});
  torch::Tensor nll = GaussianNllLoss(mean, var, target, 0.0);
  // Element 0: 0.5 (log 2pi + log 0.5 + 2); element 1: 0.5 (log 2pi + log 2).
  const double e0 = 0.5 * (std::log(2 * M_PI) + std::log(0.5) + 2.0);
  const double e1 = 0.5 * (std::log(2 * M_PI) + std::log(2.0));
  EXPECT_NEAR(nll.item<double>(), (e0 + e1) / 2, 1e-6);
  EXPECT_NEAR(ScoreGaussian(mean.detach(), var.detach(), target).nll, (e0 + e1) / 2, 1e-6);
  torch::Tensor beta = GaussianNllLoss(mean, var, target, 1.0);
  EXPECT_NEAR(beta.item<double>(), (0.5 * e0 + 2.0 * e1) / 2, 1e-6);
  // With beta = 1 the mean's gradient is that of half the squared error / n:
  // d/dmean0 [0.5 * 0.5 * (1 - mean0)^2 / 0.5] / 2 = -(1 - 0) / 2.
  beta.backward();
  EXPECT_NEAR(mean.grad()[0].item<double>(), -0.5, 1e-6);
}

}  // namespace
}  // namespace hpsweep::models
