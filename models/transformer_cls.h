// `transformer_cls` (seed 003): a transformer encoder classifier over token
// sequences. Synthetic task that needs attention across distant tokens: a
// sequence of random tokens is labelled 1 when its first and last tokens are
// equal, 0 otherwise (balanced, so chance accuracy is 0.5). A [CLS] token is
// prepended and its final embedding is classified.
//
// Metric: "val_accuracy" (maximize); also "val_loss" (cross-entropy).
#ifndef HPSWEEP_MODELS_TRANSFORMER_CLS_H_
#define HPSWEEP_MODELS_TRANSFORMER_CLS_H_

#include <torch/torch.h>

#include <memory>

#include "common/status.h"
#include "models/training.h"
#include "models/workload.h"

namespace hpsweep::models {

struct TransformerClsOptions {
  TransformerClsOptions(int64_t vocab_size, int64_t max_len)
      : vocab_size_(vocab_size), max_len_(max_len) {}
  // Distinct input tokens (the [CLS] token is added on top). No default.
  TORCH_ARG(int64_t, vocab_size);
  // Longest input sequence (without [CLS]). No default.
  TORCH_ARG(int64_t, max_len);
  // Embedding width; must be divisible by heads. Default: 64.
  TORCH_ARG(int64_t, d_model) = 64;
  // Attention heads. Default: 4.
  TORCH_ARG(int64_t, heads) = 4;
  // Encoder layers. Default: 2.
  TORCH_ARG(int64_t, layers) = 2;
  // Feed-forward hidden width. Default: 128.
  TORCH_ARG(int64_t, ff_dim) = 128;
  // Dropout on attention and feed-forward outputs (training only). Default: 0.1.
  TORCH_ARG(double, dropout) = 0.1;
  // Output classes. Default: 2.
  TORCH_ARG(int64_t, classes) = 2;
};

// One pre-norm encoder layer: x + MHA(LN(x)), then x + FFN(LN(x)).
class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(int64_t d_model, int64_t heads, int64_t ff_dim, double dropout);
  // x: [B, L, d_model]. `noise` (null in evaluation) supplies dropout masks;
  // `stream` separates this layer's masks from other layers'.
  torch::Tensor forward(const torch::Tensor& x, const SampleNoise* noise, uint64_t stream);

 private:
  int64_t heads_;
  double dropout_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Linear qkv_{nullptr}, out_{nullptr}, ff1_{nullptr}, ff2_{nullptr};
};
TORCH_MODULE(EncoderLayer);

class TransformerClsImpl : public torch::nn::Module {
 public:
  explicit TransformerClsImpl(TransformerClsOptions options);
  // tokens: int64 [B, L] with L <= max_len -> logits [B, classes].
  torch::Tensor forward(const torch::Tensor& tokens, const SampleNoise* noise = nullptr);

  TransformerClsOptions options;

 private:
  torch::nn::Embedding token_{nullptr}, position_{nullptr};
  torch::nn::ModuleList layers_;
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(TransformerCls);

// `n` sequences of `seq_len` tokens in [0, vocab) and labels (first == last),
// half of each class. Deterministic in the arguments.
struct SequenceData {
  torch::Tensor tokens, labels;
};
SequenceData GenerateSequenceData(int64_t n, int64_t seq_len, int64_t vocab, uint64_t seed,
                                  uint64_t stream);

ModelInfo TransformerClsModelInfo();
StatusOr<std::unique_ptr<Workload>> CreateTransformerClsWorkload(const nlohmann::json& params,
                                                                 const WorkloadContext& context);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_TRANSFORMER_CLS_H_
