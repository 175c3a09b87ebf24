// Scoring of Gaussian predictive distributions for regression models with a
// mean and a variance output (fno1d's `uncertainty: "gaussian"` mode): the
// training loss (Gaussian negative log-likelihood, optionally beta-weighted)
// and the validation metrics a sweep can target (NLL, interval coverage,
// calibration error, sharpness).
//
// Every function treats each element of the tensors as one scalar prediction
// (all samples and grid points pooled). Thread safety: pure functions.
#ifndef HPSWEEP_MODELS_GAUSSIAN_PREDICTIVE_H_
#define HPSWEEP_MODELS_GAUSSIAN_PREDICTIVE_H_

#include <torch/torch.h>

namespace hpsweep::models {

// Training loss: the mean over elements of the per-element Gaussian NLL
//   0.5 * (log(2 pi) + log var + (target - mean)^2 / var),
// each element weighted by var^beta with the weight detached from the graph
// (beta-NLL, Seitzer et al. 2022). beta = 0 is the plain NLL; beta = 1 gives
// the mean the gradient of a squared error, which counters NLL's habit of
// fitting hard points badly by declaring them noisy.
// REQUIRES: equal shapes, variance > 0, beta in [0, 1].
torch::Tensor GaussianNllLoss(const torch::Tensor& mean, const torch::Tensor& variance,
                              const torch::Tensor& target, double beta);

// Validation scores of a Gaussian predictive distribution, with directions:
struct GaussianScores {
  // Mean per-element Gaussian NLL in nats (the plain one, beta = 0). Minimize.
  double nll = 0;
  // Fraction of targets inside the central 90% interval mean +- 1.645 sd;
  // 0.9 when calibrated (no direction: below is overconfident, above is
  // underconfident).
  double coverage90 = 0;
  // Mean over the central intervals of level p = 0.1, 0.2, ..., 0.9 of
  // |coverage(p) - p|: 0 when calibrated at every level. Minimize.
  double calibration_error = 0;
  // Mean predicted standard deviation (sharpness; in the target's units).
  // Smaller is sharper, which only means something next to calibration.
  double mean_std = 0;
};

// REQUIRES: equal shapes, variance > 0. Computed in float64.
GaussianScores ScoreGaussian(const torch::Tensor& mean, const torch::Tensor& variance,
                             const torch::Tensor& target);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_GAUSSIAN_PREDICTIVE_H_
