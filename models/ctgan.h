// `ctgan` (seed 000's synthetic-data team): a conditional tabular GAN after
// Xu et al. 2019, trained on the synthetic mixed-type table that `tvae`
// learns (models/mixed_table.h), with the same fidelity metrics.
//
//   data      mode-specific normalization of continuous columns and the
//             conditional vector with training-by-sampling (ctgan_transform.h)
//   generator z ~ N(0, I) [embedding_dim] ++ cond -> residual blocks
//             (Linear -> LayerNorm -> ReLU, output concatenated with the input)
//             -> Linear -> per span tanh (alpha) or Gumbel-softmax (tau 0.2)
//   critic    PacGAN: `pac` rows (each row ++ its cond) concatenated into one
//             input -> (Linear -> LeakyReLU(0.2) -> Dropout) x n -> Linear(1)
//   loss      WGAN-GP: critic  E[D(fake)] - E[D(real)] + gp_weight * E[(|grad D(interp)| - 1)^2]
//                      generator -E[D(fake)] + cross-entropy of the generated
//                      conditioned column against the cond vector's category
//   step      d_steps critic updates, then one generator update (two parameter
//             groups "discriminator" and "generator", each with its own Adam,
//             learning rate and schedule: d_* and g_* hyperparameters)
//
// Differences from the paper's code, each for data-parallel training: the
// generator normalises with LayerNorm instead of BatchNorm (batch statistics
// would differ between one rank and several); one training sample is one pack
// of `pac` rows (TrainSize() = train_size / pac, BatchSize() = batch_size /
// pac), so packs never straddle ranks; all randomness (z, conditions, real
// rows, Gumbel noise, dropout, the gradient-penalty mix) is per pack from
// SampleNoise, so 2 ranks compute 1 rank's gradients.
//
// Metrics (all distances, minimize; computed on 1024 generated rows against
// held-out rows, continuous columns standardised with training statistics):
// "val_fidelity_distance" (primary), "val_marginal_w1", "val_marginal_tv",
// "val_corr_diff", "val_cond_mean_diff" — tvae's definitions
// (mixed_table.h), so the two models compare on one scale.
#ifndef HPSWEEP_MODELS_CTGAN_H_
#define HPSWEEP_MODELS_CTGAN_H_

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

#include "common/status.h"
#include "models/ctgan_transform.h"
#include "models/workload.h"

namespace hpsweep::models {

struct CtganOptions {
  CtganOptions(int64_t data_dim, int64_t cond_dim) : data_dim_(data_dim), cond_dim_(cond_dim) {}
  // Encoded row width and conditional vector width.
  TORCH_ARG(int64_t, data_dim);
  TORCH_ARG(int64_t, cond_dim);
  // Noise dimension. Default: 128.
  TORCH_ARG(int64_t, embedding_dim) = 128;
  // Generator residual block widths. Default: {256, 256}.
  TORCH_ARG(std::vector<int64_t>, generator_dims) = std::vector<int64_t>{256, 256};
  // Critic hidden widths. Default: {256, 256}.
  TORCH_ARG(std::vector<int64_t>, discriminator_dims) = std::vector<int64_t>{256, 256};
  // Rows per critic input. Default: 10.
  TORCH_ARG(int64_t, pac) = 10;
  // Critic dropout. Default: 0.5.
  TORCH_ARG(double, dropout) = 0.5;
};

class CtganGeneratorImpl : public torch::nn::Module {
 public:
  explicit CtganGeneratorImpl(const CtganOptions& options);
  // z [m, embedding] ++ cond [m, cond] -> raw output [m, data_dim].
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& cond);

 private:
  std::vector<torch::nn::Linear> fc_;
  std::vector<torch::nn::LayerNorm> norm_;
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(CtganGenerator);

class CtganDiscriminatorImpl : public torch::nn::Module {
 public:
  explicit CtganDiscriminatorImpl(const CtganOptions& options);
  // x: [B, m, pac * (data_dim + cond_dim)] (B samples, m inputs each) ->
  // scores [B, m]. `dropout_masks(layer, h)` applies layer `layer`'s dropout
  // to h [B, m, width] (identity in eval mode).
  torch::Tensor forward(const torch::Tensor& x,
                        const std::function<torch::Tensor(int, const torch::Tensor&)>& dropout);

 private:
  std::vector<torch::nn::Linear> fc_;
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(CtganDiscriminator);

// Both networks, so one module holds (and checkpoints) the whole model.
class CtganImpl : public torch::nn::Module {
 public:
  explicit CtganImpl(const CtganOptions& options);
  CtganOptions options;
  CtganGenerator generator{nullptr};
  CtganDiscriminator discriminator{nullptr};
};
TORCH_MODULE(Ctgan);

ModelInfo CtganModelInfo();
StatusOr<std::unique_ptr<Workload>> CreateCtganWorkload(const nlohmann::json& params,
                                                        const WorkloadContext& context);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_CTGAN_H_
