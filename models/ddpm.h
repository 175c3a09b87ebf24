// `ddpm` (seed 001): a small denoising diffusion probabilistic model on a
// 2-D synthetic distribution ("ring": 8 Gaussians on a circle; "moons": two
// interleaved half-circles). The denoiser is an Mlp over [x_t, sinusoidal
// embedding of t] predicting the noise; linear beta schedule scaled to the
// number of timesteps.
//
// Training randomness (timestep and noise per sample) comes from SampleNoise,
// i.e. from (seed, step, sample index): identical across resumes and world
// sizes. Validation uses a fixed timestep and noise per validation sample.
//
// Metric: "val_denoise_loss" (noise-prediction MSE, minimize; predicting zero
// noise scores 1). Also "val_sample_mmd": RBF-kernel MMD^2 between 512
// ancestral samples (fixed noise) and 512 held-out points.
#ifndef HPSWEEP_MODELS_DDPM_H_
#define HPSWEEP_MODELS_DDPM_H_

#include <torch/torch.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "models/mlp.h"
#include "models/workload.h"

namespace hpsweep::models {

struct DdpmOptions {
  // Diffusion steps T. Default: 100.
  TORCH_ARG(int64_t, timesteps) = 100;
  // Width of the sinusoidal timestep embedding (even). Default: 32.
  TORCH_ARG(int64_t, time_embed) = 32;
  // Hidden widths of the denoiser. Default: {128, 128, 128}.
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{128, 128, 128};
  // Denoiser activation (see MlpOptions). Default: "gelu".
  TORCH_ARG(std::string, activation) = "gelu";
  // Data dimension. Default: 2.
  TORCH_ARG(int64_t, dim) = 2;
};

// The noise-prediction network and the schedule (buffers betas, alpha_bar).
class DdpmImpl : public torch::nn::Module {
 public:
  explicit DdpmImpl(DdpmOptions options = {});
  // x_t: [B, dim], t: int64 [B] in [0, timesteps) -> predicted noise [B, dim].
  torch::Tensor forward(const torch::Tensor& x_t, const torch::Tensor& t);
  // x_t from x_0, t and noise eps (same shapes as forward).
  torch::Tensor Diffuse(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& eps);
  // Ancestral sampling of n points; all randomness from `gen` (CPU).
  torch::Tensor Sample(int64_t n, torch::Generator gen);

  DdpmOptions options;

 private:
  Mlp net_{nullptr};
  torch::Tensor betas_, alpha_bar_;
};
TORCH_MODULE(Ddpm);

// `n` points [n, 2] of `dataset` ("ring" or "moons"); deterministic in the arguments.
torch::Tensor GeneratePoints(const std::string& dataset, int64_t n, uint64_t seed, uint64_t stream);

ModelInfo DdpmModelInfo();
StatusOr<std::unique_ptr<Workload>> CreateDdpmWorkload(const nlohmann::json& params,
                                                       const WorkloadContext& context);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_DDPM_H_
