// `fno1d` (seed 002): a 1-D Fourier neural operator learning the solution
// operator u(., 0) -> u(., t_final) of a PDE on the periodic unit interval,
// from solutions the generator computes numerically:
//   - "burgers": u_t + u u_x = nu u_xx, pseudo-spectral with 2/3 dealiasing
//     and integrating-factor RK4 (diffusion exact, advection explicit);
//   - "heat":    u_t = nu u_xx, exact in Fourier space.
// Initial conditions are random Fourier series with a decaying spectrum.
//
// Training loss and metric: relative L2 error ||pred - u||_2 / ||u||_2, mean
// over samples. Metric: "val_rel_l2" (minimize); also "val_identity_rel_l2",
// the error of predicting u(., t_final) = u(., 0).
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
  int64_t modes_;
  torch::Tensor weight_;
};
TORCH_MODULE(SpectralConv1d);

struct Fno1dOptions {
  // Fourier modes kept per layer. Default: 12.
  TORCH_ARG(int64_t, modes) = 12;
  // Channels inside the operator. Default: 32.
  TORCH_ARG(int64_t, width) = 32;
  // Fourier layers. Default: 4.
  TORCH_ARG(int64_t, layers) = 4;
};

// Lift (u0, x) -> width channels; `layers` x [spectral conv + pointwise
// linear, GELU between]; project width -> 64 -> 1.
class Fno1dImpl : public torch::nn::Module {
 public:
  explicit Fno1dImpl(Fno1dOptions options = {});
  // u0: [B, N] on a uniform periodic grid -> [B, N].
  torch::Tensor forward(const torch::Tensor& u0);

  Fno1dOptions options;

 private:
  torch::nn::Linear lift_{nullptr}, project1_{nullptr}, project2_{nullptr};
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
