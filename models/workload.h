// Workload: one trainable model with its data, loss, optimizer and validation
// metric, built by name from a trial's hyperparameters. This is the contract
// between models/ (which implements it) and worker/ (which trains it
// data-parallel without knowing which model it is).
//
// The worker drives a Workload like this, on every rank of a gang:
//
//   auto w = CreateWorkload("mlp", params, ctx);       // same params/seed on all ranks
//   broadcast(w->Parameters(), w->Buffers());          // from the gang leader
//   for epoch: for step:
//     indices = sampler.LocalIndices(...)              // this rank's shard of the
//                                                      // global batch, into [0, TrainSize())
//     w->optimizer().zero_grad();
//     loss = w->TrainLoss(indices);                    // mean over the local samples
//     loss.backward();                                 // hooks allreduce gradients
//     w->optimizer().step();
//     w->EndStep();
//   metrics = w->Evaluate();                           // on the gang leader
//
// Several parameter groups (e.g. a GAN's discriminator and generator): a
// step is the sequence of updates StepUpdates() names, each on one group with
// that group's own optimizer, on the step's same indices:
//
//   groups = w->Groups();                              // disjoint; cover Parameters()
//   for u, g in enumerate(w->StepUpdates()):           // e.g. {D, D, G}
//     groups[g].optimizer->zero_grad();
//     loss = w->UpdateLoss(u, indices);                // hooks allreduce group g only
//     loss.backward();
//     groups[g].optimizer->step();
//   w->EndStep();
//
// A single-group workload needs none of this: the defaults below describe it
// as one group "model" over Parameters() with optimizer(), updated once per
// step by TrainLoss, which is exactly the loop above.
//
// Thread safety: a Workload is used from one thread at a time.
#ifndef HPSWEEP_MODELS_WORKLOAD_H_
#define HPSWEEP_MODELS_WORKLOAD_H_

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace hpsweep::models {

// Everything a workload needs that is not a hyperparameter.
struct WorkloadContext {
  // Where tensors live; chosen once by the caller (CUDA when present, else CPU).
  torch::Device device = torch::kCPU;
  // Seeds parameter initialisation and the randomness of training (batch order,
  // dropout, sampling). Every rank of a gang passes the same seed.
  uint64_t seed = 0;
  // Seeds the data: synthetic generators, their noise, a held-out split of a
  // user's table, fixed validation noise. The worker derives it from the sweep
  // alone, so every trial of a sweep trains and is judged on the same samples
  // (trials differ only by hyperparameters and `seed`).
  uint64_t data_seed = 0;
  // Folder that relative file paths in hyperparameters (TorchScript modules,
  // CSV/tensor data files) are resolved against. Default: working directory.
  std::string base_dir;
};

// Validation metrics of one evaluation, by name (e.g. {"val_mse": 0.013}).
using Metrics = std::map<std::string, double>;

// Parameters updated together by one optimizer. Tensors alias the model's
// storage; the optimizer is owned by the workload and lives as long as it.
struct ParamGroup {
  // Names the group in errors, checkpoints and hyperparameter prefixes
  // ("model" for a single-group workload; e.g. "discriminator", "generator").
  std::string name;
  // In Parameters() order.
  std::vector<torch::Tensor> parameters;
  torch::optim::Optimizer* optimizer = nullptr;
};

class Workload {
 public:
  virtual ~Workload() = default;

  // Trainable parameters in registration order (what the optimizer updates
  // and the worker allreduces). Tensors alias the model's own storage.
  virtual std::vector<torch::Tensor> Parameters() = 0;
  // Non-trainable state that must agree across ranks (e.g. batch-norm running
  // statistics); broadcast from the gang leader at start. May be empty.
  virtual std::vector<torch::Tensor> Buffers() = 0;
  // The optimizer over Parameters(), built from the hyperparameters; for a
  // workload of several groups, the first group's.
  virtual torch::optim::Optimizer& optimizer() = 0;

  // The parameter groups, in a fixed order: disjoint, together exactly
  // Parameters(). Default: one group "model" over Parameters() with
  // optimizer().
  virtual std::vector<ParamGroup> Groups() { return {{"model", Parameters(), &optimizer()}}; }
  // The updates one training step makes, in order, as indices into Groups()
  // (e.g. {0, 0, 1}: the discriminator twice, then the generator). Never
  // empty. Default: {0}.
  virtual std::vector<int> StepUpdates() const { return {0}; }
  // The loss of update `update` (an index into StepUpdates()) of the current
  // step, on the step's samples; like TrainLoss otherwise. Its backward must
  // leave gradients on the update's group that are means over the samples,
  // so that averaging across ranks gives one rank's gradient. Gradients it
  // leaves on other groups are ignored (cleared before their own update).
  // Default: TrainLoss(indices).
  virtual StatusOr<torch::Tensor> UpdateLoss(int update, const torch::Tensor& indices) {
    (void)update;
    return TrainLoss(indices);
  }

  // Number of training samples; sample indices are in [0, TrainSize()).
  virtual int64_t TrainSize() const = 0;
  // Global batch size per optimizer step (a hyperparameter); the worker splits
  // it across ranks.
  virtual int64_t BatchSize() const = 0;
  // Training length in epochs (a hyperparameter).
  virtual int64_t Epochs() const = 0;

  // Forward pass on the given training samples (int64 CPU tensor of indices),
  // returning the scalar mean loss, attached to the autograd graph. Puts the
  // model in training mode. With several updates per step, update 0's loss. Errors (bad shapes in a user's TorchScript module,
  // a LibTorch exception) come back as a Status.
  virtual StatusOr<torch::Tensor> TrainLoss(const torch::Tensor& indices) = 0;
  // Called after each step's last optimizer step (schedulers, EMA weights,
  // carried state).
  virtual void EndStep() {}

  // Validation metrics on the held-out set, in eval mode, without gradients.
  // Always contains the entry named by ModelInfo::metric.
  virtual StatusOr<Metrics> Evaluate() = 0;

  // Model and optimizer state (every group's model and optimizer), for
  // checkpoints. Load restores exactly what Save wrote (same hyperparameters
  // assumed) so resumed training is bit-identical.
  virtual Status Save(torch::serialize::OutputArchive& archive) = 0;
  virtual Status Load(torch::serialize::InputArchive& archive) = 0;
};

// One hyperparameter a model accepts, for validation messages and `hpsweep
// models` listings.
struct HyperparamInfo {
  std::string name;
  // "float", "int", "string" (one of `choices`), "bool", "int_list".
  std::string type;
  nlohmann::json default_value;
  // Inclusive range for numbers (null when unbounded).
  nlohmann::json min;
  nlohmann::json max;
  std::vector<std::string> choices;
  std::string help;
};

struct ModelInfo {
  std::string name;
  std::string description;
  // Primary validation metric and whether larger is better.
  std::string metric;
  bool maximize = false;
  std::vector<HyperparamInfo> hyperparams;
};

// All registered models, sorted by name.
std::vector<ModelInfo> ListModels();
// NOT_FOUND naming the known models when `name` is not registered.
StatusOr<ModelInfo> FindModel(const std::string& name);

// Builds a workload. `params` is a JSON object of hyperparameters; missing ones
// take their defaults. A wrong type, an out-of-range value or an unknown key is
// INVALID_ARGUMENT naming the parameter and its allowed range (field
// "/<name>"). An unknown model name is NOT_FOUND listing the known ones.
StatusOr<std::unique_ptr<Workload>> CreateWorkload(const std::string& name,
                                                   const nlohmann::json& params,
                                                   const WorkloadContext& context);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_WORKLOAD_H_
