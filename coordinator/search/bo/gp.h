// Exact Gaussian-process regression on the unit cube (LibTorch, float64).
//
// Model: y = m + f(x) + e, f ~ GP(0, s * Matern52(x, x'; lengthscale per
// coordinate)), e ~ N(0, noise). The caller standardizes y. Hyperparameters
// (lengthscales, outputscale s, noise, constant mean m) are fitted by
// maximizing log marginal likelihood + log prior with L-BFGS from several
// starts.
//
// The additive part (GpFitOptions::additive): f may also hold a sum of
// one-coordinate functions, s_a / d * sum_c Matern52(x_c, x'_c; its own
// lengthscale l_c), as the mixed sum-and-product kernels of CoCaBO (Ru et
// al. 2020) do. A product kernel alone generalizes only to points near
// those seen: from a good point with one coordinate in a poor basin it
// cannot tell that the coordinate's good value, seen elsewhere with other
// companions, would be good here too; an additive part can. Whether a fit
// keeps it is decided by leave-one-out predictions (FitGpHyperparameters).
//
// Priors (on standardized data, d = number of coordinates):
//   lengthscale ~ LogNormal(sqrt(2) + log(d)/2, sqrt(3))   (Hvarfner et al.
//     2024, BoTorch's default since 0.12: lengthscales grow with sqrt(d) so
//     that high-dimensional fits do not start out as white noise)
//   outputscale ~ LogNormal(0, 1)   (standardized outcomes have variance 1)
//   noise       ~ LogNormal(-4, 1), noise >= GpFitOptions::min_noise
//   mean        ~ N(0, 1)
//   additive lengthscale ~ LogNormal(sqrt(2), sqrt(3))  (the d = 1 case above)
//   additive variance s_a ~ LogNormal(0, 1)               (as the outputscale)
//
// Everything takes and returns double tensors on the CPU; functions that can
// fail (a non positive-definite kernel, a LibTorch error) return a Status.
// Thread safety: GpModel is immutable after Create and safe to share.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_GP_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_GP_H_

#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "common/status.h"
#include "coordinator/search/bo/gp_options.h"

namespace hpsweep::coordinator::bo {

struct GpHyperparameters {
  std::vector<double> lengthscales;  // one per coordinate, > 0
  double outputscale = 1.0;          // > 0
  double noise = 1e-4;               // > 0, variance on the standardized scale
  double mean = 0.0;
  // The additive part (GpFitOptions::additive): the lengthscales of its
  // one-coordinate kernels and its variance. Empty and 0 without it.
  std::vector<double> additive_lengthscales;  // one per coordinate, > 0
  double additive_scale = 0.0;                // >= 0
};


// Matern-5/2 cross-covariance s * k(a_i, b_j), a: [n,d], b: [m,d] → [n,m].
// `lengthscales` [d]. Differentiable in every argument.
torch::Tensor Matern52(const torch::Tensor& a, const torch::Tensor& b,
                       const torch::Tensor& lengthscales, const torch::Tensor& outputscale);

// Additive Matern-5/2 cross-covariance s / d * sum_c k(|a_ic - b_jc| / l_c)
// over the d coordinates, a: [n,d], b: [m,d] → [n,m]; `lengthscales` [d].
// Differentiable in every argument.
torch::Tensor AdditiveMatern52(const torch::Tensor& a, const torch::Tensor& b,
                               const torch::Tensor& lengthscales, const torch::Tensor& scale);

// Maximum a-posteriori hyperparameters for x [n,d] (n >= 1), standardized y [n].
// With GpFitOptions::additive, the product kernel is fitted alone and with
// the additive part, and the fit whose leave-one-out predictions are better
// (GpModel::LooLogPredictive) is returned.
// With `warm_start`, only the warm start's kernel is fitted (additive or
// not), its first L-BFGS start those hyperparameters instead of the prior
// medians (a refit after a few more points needs few iterations from
// there); with one start (restarts 1) the additive lengthscales stay the
// warm start's, which halves the cost of the refit. Deterministic for a
// given seed and warm start.
StatusOr<GpHyperparameters> FitGpHyperparameters(const torch::Tensor& x, const torch::Tensor& y,
                                                 const GpFitOptions& options, uint64_t seed,
                                                 const GpHyperparameters* warm_start = nullptr);

class GpModel {
 public:
  // Conditions the GP on x [n,d], y [n]. Fails if the kernel matrix cannot
  // be factorized even with added jitter.
  static StatusOr<GpModel> Create(torch::Tensor x, torch::Tensor y, GpHyperparameters hp);

  // Latent posterior mean and variance (without observation noise) at
  // x [m,d]: two tensors [m]. Differentiable with respect to x.
  std::pair<torch::Tensor, torch::Tensor> Posterior(const torch::Tensor& x) const;

  // Posterior mean and variance at x [m,d] with their gradients with
  // respect to x, in closed form (no autograd): for a few points (the
  // acquisition's gradient ascent) this is several times cheaper than
  // backpropagating through Posterior.
  struct PosteriorGradient {
    torch::Tensor mean, variance;  // [m]
    torch::Tensor d_mean, d_variance;  // [m,d]
  };
  PosteriorGradient PosteriorWithGradient(const torch::Tensor& x) const;

  // The model with (x_new [k,d], y_new [k]) added, same hyperparameters.
  StatusOr<GpModel> Condition(const torch::Tensor& x_new, const torch::Tensor& y_new) const;

  // Per training point i, the log density of y_i under the posterior
  // predictive (observation noise included) conditioned on every other
  // point: the leave-one-out fit, in closed form. [n].
  torch::Tensor LooLogPredictive() const;

  const GpHyperparameters& hyperparameters() const { return hp_; }
  const torch::Tensor& train_x() const { return x_; }
  const torch::Tensor& train_y() const { return y_; }

 private:
  GpModel() = default;

  GpHyperparameters hp_;
  torch::Tensor x_, y_;
  // Prior covariance of the model's f between a [n,d] and b [m,d].
  torch::Tensor Kernel(const torch::Tensor& a, const torch::Tensor& b) const;
  // Prior variance of f at any point.
  double PriorVariance() const { return hp_.outputscale + hp_.additive_scale; }

  torch::Tensor lengthscales_, outputscale_;
  torch::Tensor additive_lengthscales_, additive_scale_;  // undefined without the part
  torch::Tensor alpha_;  // (K + noise I)^-1 (y - mean)
  torch::Tensor chol_;   // lower Cholesky factor of K + noise I
};

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_GP_H_
