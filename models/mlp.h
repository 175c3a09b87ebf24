// `mlp`: a multilayer perceptron on a synthetic tabular task, classification
// (cross-entropy, labels from a fixed random teacher network) or regression
// (MSE against the teacher's outputs plus noise). Its defaults are exactly the
// training benchmark workload: 256 -> 1024 -> 1024 -> 10, ReLU, cross-entropy,
// SGD(lr=0.01, momentum=0.9), batch 128.
//
// Metric: "val_loss" (cross-entropy or MSE, minimize); also "val_accuracy"
// (classification) or "val_mse" and "val_r2" (regression).
#ifndef HPSWEEP_MODELS_MLP_H_
#define HPSWEEP_MODELS_MLP_H_

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "models/training.h"
#include "models/workload.h"

namespace hpsweep::models {

struct MlpOptions {
  MlpOptions(int64_t in_features, std::vector<int64_t> hidden, int64_t out_features)
      : in_features_(in_features), hidden_(std::move(hidden)), out_features_(out_features) {}
  // Input width. No default.
  TORCH_ARG(int64_t, in_features);
  // Hidden layer widths, input side first. No default.
  TORCH_ARG(std::vector<int64_t>, hidden);
  // Output width (classes, or regression targets). No default.
  TORCH_ARG(int64_t, out_features);
  // "relu", "tanh" or "gelu". Default: "relu".
  TORCH_ARG(std::string, activation) = "relu";
  // Dropout after each hidden activation (training only). Default: 0.
  TORCH_ARG(double, dropout) = 0.0;
};

// Linear layers with an activation (and dropout) between them; no activation
// on the output.
class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(MlpOptions options);
  // x: [B, in_features] -> [B, out_features]. `noise` supplies the dropout
  // masks in training; null means no dropout (evaluation).
  torch::Tensor forward(torch::Tensor x, const SampleNoise* noise = nullptr);

  MlpOptions options;

 private:
  torch::nn::ModuleList layers_;
};
TORCH_MODULE(Mlp);

// The synthetic table, deterministic in its arguments: x ~ N(0, I); a fixed
// random teacher t(x) = tanh(x W1) W2 (drawn from `seed`) gives class labels
// argmax t(x) (int64 [n]) or regression targets t(x) + noise (float [n, outputs]).
struct TabularData {
  torch::Tensor train_x, train_y, val_x, val_y;
};
TabularData GenerateTabularData(int64_t in_features, int64_t outputs, bool classify,
                                int64_t train_size, int64_t val_size, double noise, uint64_t seed);

ModelInfo MlpModelInfo();
StatusOr<std::unique_ptr<Workload>> CreateMlpWorkload(const nlohmann::json& params,
                                                      const WorkloadContext& context);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_MLP_H_
