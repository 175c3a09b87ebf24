// `fno1d` (seed 002): a 1-D Fourier neural operator learning the solution
// operator u(., 0) -> u(., t_final) of a PDE on the periodic unit interval,
// from solutions the generator computes numerically:
//   - "burgers": u_t + u u_x = nu u_xx, pseudo-spectral with 2/3 dealiasing
//     and integrating-factor RK4 (diffusion exact, advection explicit);
//   - "heat":    u_t = nu u_xx, exact in Fourier space.
// Initial conditions are random Fourier series with a decaying spectrum.
//
// Targets may carry Gaussian observation noise (`noise`, default 0: exact
// solutions), in training and validation alike.
//
// Two modes, chosen by the hyperparameter `uncertainty`:
//   - "none" (default, deterministic): the operator predicts u(., t_final).
//     Training loss: relative L2 error ||pred - u||_2 / ||u||_2, mean over
//     samples. Metrics: "val_rel_l2" (minimize, the model's declared metric)
//     and "val_identity_rel_l2" (the error of predicting u(t_final) = u(0);
//     a baseline, not a target).
//   - "gaussian": a second head predicts a variance at every grid point, so
//     the output is an independent Gaussian N(mean, var) per point (both
//     heads work in units of the training targets' sd). Training
//     loss: Gaussian NLL per point, beta-weighted by `nll_beta`
//     (gaussian_predictive.h). Metrics: the two above (of the mean) plus
//     "val_nll" (mean NLL per point in nats, minimize), "val_coverage90"
//     (fraction of points in the central 90% interval; 0.9 is calibrated),
//     "val_calibration_error" (mean |coverage(p) - p| over p = 0.1..0.9,
//     minimize) and "val_mean_std" (mean predicted sd; sharpness).
//   The deterministic mode builds exactly the modules it always did (same
//   parameters, same seeded initial values); the gaussian mode adds the
//   variance head after them, so its mean path starts from the same weights.
#ifndef HPSWEEP_MODELS_FNO1D_H_
#define HPSWEEP_MODELS_FNO1D_H_

#include <torch/torch.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "models/workload.h"

namespace hpsweep::models {

// Multiplies the lowest `modes` Fourier modes by learned complex weights
// (stored as real [in, out, modes, 2] so every optimizer handles them) and
// zeroes the rest. Equivalent to irfft(W * rfft(x)[:modes], n), computed with
// explicit DFT matrices.
class SpectralConv1dImpl : public torch::nn::Module {
 public:
  SpectralConv1dImpl(int64_t in_channels, int64_t out_channels, int64_t modes);
  // x: [B, in, N] with N / 2 + 1 >= modes -> [B, out, N].
  torch::Tensor forward(const torch::Tensor& x);

 private:
  // The DFT matrices for length n in x's dtype and device: [n, 2 modes]
  // (cos | -sin: the kept modes' real and imaginary parts) and [2 modes, n]
  // (the inverse, irfft's weights folded in). Constants, built on the first
  // call with a new length, dtype or device rather than in every forward.
  void CacheBasis(const torch::Tensor& x);

  int64_t modes_;
  torch::Tensor weight_;
  torch::Tensor dft_, inverse_dft_;
};
TORCH_MODULE(SpectralConv1d);

struct Fno1dOptions {
  // Fourier modes kept per layer. Default: 12.
  TORCH_ARG(int64_t, modes) = 12;
  // Channels inside the operator. Default: 32.
  TORCH_ARG(int64_t, width) = 32;
  // Fourier layers. Default: 4.
  TORCH_ARG(int64_t, layers) = 4;
  // Adds the variance head (forward_gaussian). Default: false.
  TORCH_ARG(bool, gaussian) = false;
};

// A Gaussian per grid point: mean and variance, each [B, N].
struct GaussianOutput {
  torch::Tensor mean, variance;
};

// Lift (u0, x) -> width channels; `layers` x [spectral conv + pointwise
// linear, GELU between]; project width -> 64 -> 1. With options.gaussian, a
// variance head 64 -> 1 shares the first projection:
// variance = softplus(.) + 1e-6, so it is positive and finite.
class Fno1dImpl : public torch::nn::Module {
 public:
  explicit Fno1dImpl(Fno1dOptions options = {});
  // u0: [B, N] on a uniform periodic grid -> the prediction (the mean) [B, N].
  torch::Tensor forward(const torch::Tensor& u0);
  // REQUIRES: options.gaussian(). Mean (what forward returns) and variance.
  GaussianOutput forward_gaussian(const torch::Tensor& u0);

  Fno1dOptions options;

 private:
  // The first projection's output, [B, N, 64].
  torch::Tensor Features(const torch::Tensor& u0);

  torch::nn::Linear lift_{nullptr}, project1_{nullptr}, project2_{nullptr};
  torch::nn::Linear variance_{nullptr};  // only with options.gaussian
  torch::nn::ModuleList spectral_, pointwise_;
};
TORCH_MODULE(Fno1d);

// `n` pairs (u0, u(t_final)), each [n, grid], float32, for `pde` "burgers" or
// "heat". Deterministic in the arguments (computed in float64 on CPU).
struct PdeData {
  torch::Tensor u0, ut;
};
PdeData GeneratePdeData(const std::string& pde, int64_t n, int64_t grid, double viscosity,
                        double t_final, uint64_t seed, uint64_t stream);

ModelInfo Fno1dModelInfo();
StatusOr<std::unique_ptr<Workload>> CreateFno1dWorkload(const nlohmann::json& params,
                                                        const WorkloadContext& context);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_FNO1D_H_
