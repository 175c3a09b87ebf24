// `tvae` (seed 000): a tabular variational autoencoder on a synthetic table of
// mixed columns: 3 continuous (correlated, one skewed) and 2 categorical (4
// and 3 categories) driven by a shared hidden 2-D factor, so columns depend on
// each other. Continuous columns are standardised with training statistics;
// categorical ones are one-hot encoded.
//
// Encoder Mlp -> (mu, log var) of a Gaussian latent; decoder Mlp -> per
// continuous column a mean (with a learned per-column log sigma) and per
// categorical column logits. Loss: negative ELBO per row (Gaussian and
// categorical reconstruction NLL + KL to N(0, I)), mean over rows. The
// reparameterisation noise comes from SampleNoise (seed, step, index).
//
// Metric: "val_neg_elbo" (minimize). Fidelity of 1024 rows sampled from the
// prior against the held-out rows (models/mixed_table.h, shared with ctgan):
// "val_fidelity_distance" (minimize) = mean per-column marginal distance
// (1-D Wasserstein-1 in standardised units for continuous, total variation
// for categorical) + mean absolute difference of the continuous columns'
// correlation matrices; its parts are reported as "val_marginal_w1",
// "val_marginal_tv", "val_corr_diff", and "val_cond_mean_diff" (minimize).
#ifndef HPSWEEP_MODELS_TVAE_H_
#define HPSWEEP_MODELS_TVAE_H_

#include <torch/torch.h>

#include <array>
#include <memory>
#include <vector>

#include "common/status.h"
#include "models/mixed_table.h"
#include "models/mlp.h"
#include "models/workload.h"

namespace hpsweep::models {

// The synthetic table's shape (mixed_table.h).
inline constexpr std::array<int64_t, 2> kTvaeCategories = kMixedCategories;
inline constexpr int64_t kTvaeContinuous = kMixedContinuous;

struct TvaeOptions {
  // Latent dimension. Default: 8.
  TORCH_ARG(int64_t, latent_dim) = 8;
  // Hidden widths of encoder and decoder. Default: {64, 64}.
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{64, 64};
  // Activation (see MlpOptions). Default: "relu".
  TORCH_ARG(std::string, activation) = "relu";
};

struct TvaeOutput {
  torch::Tensor mu, logvar;               // [B, latent]
  torch::Tensor cont_mean;                // [B, continuous]
  std::vector<torch::Tensor> cat_logits;  // per categorical column [B, categories]
};

class TvaeImpl : public torch::nn::Module {
 public:
  explicit TvaeImpl(TvaeOptions options = {});
  // cont: [B, continuous] standardised, cat: int64 [B, categorical];
  // eps: [B, latent] reparameterisation noise (zeros: use the mean).
  TvaeOutput forward(const torch::Tensor& cont, const torch::Tensor& cat, const torch::Tensor& eps);
  // Negative ELBO per row [B] of a forward output against its input.
  torch::Tensor NegElbo(const TvaeOutput& out, const torch::Tensor& cont, const torch::Tensor& cat);
  // n rows from the prior: continuous [n, continuous] (standardised) and
  // categorical int64 [n, categorical]; randomness from `gen` (CPU).
  std::pair<torch::Tensor, torch::Tensor> Sample(int64_t n, torch::Generator gen);

  TvaeOptions options;

 private:
  torch::Tensor Decode(const torch::Tensor& z, std::vector<torch::Tensor>* cat_logits);

  Mlp encoder_{nullptr}, decoder_{nullptr};
  torch::Tensor log_sigma_;
};
TORCH_MODULE(Tvae);

ModelInfo TvaeModelInfo();
StatusOr<std::unique_ptr<Workload>> CreateTvaeWorkload(const nlohmann::json& params,
                                                       const WorkloadContext& context);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_TVAE_H_
