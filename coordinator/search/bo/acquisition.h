// LogEI: the logarithm of expected improvement, computed stably everywhere
// (Ament et al. 2023, "Unexpected Improvements to Expected Improvement for
// Bayesian Optimization", eq. 9). Plain EI underflows to exactly 0 (and a 0
// gradient) a few standard deviations away from the incumbent, which leaves
// gradient-based acquisition optimization with nothing to follow; log EI
// stays finite, smooth and ordered for any z.
//
// Pure functions on double tensors; differentiable.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_ACQUISITION_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_ACQUISITION_H_

#include <torch/torch.h>

namespace hpsweep::coordinator::bo {

// log h(z), h(z) = phi(z) + z Phi(z) (EI of a standard normal above z=0):
//   z > -1:            log(phi(z) + z Phi(z))
//   -1/sqrt(eps) < z <= -1:
//                      -z^2/2 - log(2 pi)/2 + log1mexp(log(erfcx(-z/sqrt2)|z|) + log(pi/2)/2)
//   otherwise:         -z^2/2 - log(2 pi)/2 - 2 log|z|
torch::Tensor LogH(const torch::Tensor& z);

// log(1 - exp(x)) for x < 0, accurate near 0 and for very negative x.
torch::Tensor Log1mExp(const torch::Tensor& x);

// log EI for MINIMIZATION: log E[max(best_f - Y, 0)], Y ~ N(mean, variance).
// mean, variance: same shape; variance > 0.
torch::Tensor LogExpectedImprovement(const torch::Tensor& mean, const torch::Tensor& variance,
                                     double best_f);

// d log h / dz = Phi(z) / h(z), stable for any z (no autograd):
//   z > -1:    Phi(z) / (phi(z) + z Phi(z))
//   z <= -1:   1 / (z + sqrt(2/pi) / erfcx(-z/sqrt2))   (inverse Mills ratio)
//   z < -100:  -z - 2/z  (asymptotic; the line above cancels there)
torch::Tensor LogHDerivative(const torch::Tensor& z);

// LogExpectedImprovement with its partial derivatives, for gradient ascent
// without autograd (which costs more than the arithmetic at these sizes).
struct LogEiWithGradient {
  torch::Tensor value;       // log EI
  torch::Tensor d_mean;      // d value / d mean
  torch::Tensor d_variance;  // d value / d variance
};
LogEiWithGradient LogExpectedImprovementWithGradient(const torch::Tensor& mean, const torch::Tensor& variance,
                                                     double best_f);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_ACQUISITION_H_
