#include "models/gaussian_predictive.h"

#include <cmath>

namespace hpsweep::models {
namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178;  // 0.5 * log(2 pi)

// Per-element NLL.
torch::Tensor PointNll(const torch::Tensor& mean, const torch::Tensor& variance,
                       const torch::Tensor& target) {
  return 0.5 * (variance.log() + (target - mean).pow(2) / variance) + kHalfLog2Pi;
}

}  // namespace

torch::Tensor GaussianNllLoss(const torch::Tensor& mean, const torch::Tensor& variance,
                              const torch::Tensor& target, double beta) {
  torch::Tensor nll = PointNll(mean, variance, target);
  if (beta == 0.0) return nll.mean();
  return (variance.detach().pow(beta) * nll).mean();
}

GaussianScores ScoreGaussian(const torch::Tensor& mean, const torch::Tensor& variance,
                             const torch::Tensor& target) {
  torch::Tensor mu = mean.to(torch::kDouble), var = variance.to(torch::kDouble);
  torch::Tensor y = target.to(torch::kDouble);
  GaussianScores s;
  s.nll = PointNll(mu, var, y).mean().item<double>();
  s.mean_std = var.sqrt().mean().item<double>();
  // |z| of each target; the central interval of level p is |z| <= sqrt(2) erfinv(p).
  torch::Tensor z = ((y - mu).abs() / var.sqrt()).flatten();
  torch::Tensor levels = torch::arange(1, 10, torch::kDouble) / 10.0;  // 0.1 .. 0.9
  torch::Tensor bounds = std::sqrt(2.0) * torch::erfinv(levels);
  torch::Tensor coverage = z.unsqueeze(1).le(bounds.unsqueeze(0)).to(torch::kDouble).mean(0);
  s.coverage90 = coverage[8].item<double>();
  s.calibration_error = (coverage - levels).abs().mean().item<double>();
  return s;
}

}  // namespace hpsweep::models
