#include "coordinator/search/bo/mo_acquisition.h"

#include <cmath>

namespace hpsweep::coordinator::bo {

torch::Tensor ChebyshevScalarize(const torch::Tensor& f, const torch::Tensor& weights, double rho) {
  const auto weighted = f * weights;
  return std::get<0>(weighted.max(-1)) + rho * weighted.sum(-1);
}

torch::Tensor LogMeanSoftImprovement(const torch::Tensor& scalarized, double best, double tau) {
  const auto d = (best - scalarized) / tau;
  // log softplus(d): softplus(d) ~ exp(d) far below 0 (log = d), ~ d far above.
  const auto softplus = torch::where(d > 30, d, torch::log1p(torch::exp(torch::clamp(d, -1e300, 30))));
  const auto log_sp = torch::where(d < -30, d, torch::log(softplus));
  const double samples = static_cast<double>(scalarized.size(1));
  return std::log(tau) + torch::logsumexp(log_sp, 1) - std::log(samples);
}

torch::Tensor LogProbabilityOfFeasibility(const torch::Tensor& mean, const torch::Tensor& variance,
                                          const torch::Tensor& thresholds) {
  if (mean.size(1) == 0) return torch::zeros({mean.size(0)}, mean.options());
  const auto z = (thresholds - mean) / torch::sqrt(torch::clamp_min(variance, 1e-18));
  return torch::special::log_ndtr(z).sum(1);
}

}  // namespace hpsweep::coordinator::bo
