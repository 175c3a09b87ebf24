// What every zoo workload shares: the optimizer built from the shared
// hyperparameters, the LibTorch-exception-to-Status adapter, checkpointing of
// model + optimizer + step, and randomness derived from (seed, step, sample)
// so that training is reproducible across resumes and world sizes.
//
// A model derives from TorchWorkload, builds its module and data in a
// factory, calls Init(), and implements ComputeTrainLoss / ComputeMetrics
// (which may throw c10::Error; TorchWorkload turns that into a Status).
//
// Thread safety: none; a workload is used from one thread at a time.
#ifndef HPSWEEP_MODELS_TRAINING_H_
#define HPSWEEP_MODELS_TRAINING_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "models/hyperparams.h"
#include "models/workload.h"

namespace hpsweep::models {

// Runs `fn` and converts a thrown c10::Error / std::exception into an
// INTERNAL status prefixed with `what` (LibTorch's one adapter).
Status TorchCall(const std::string& what, const std::function<void()>& fn);

// Builds the optimizer named by the shared hyperparameters (see
// TrainingHyperparams) over `params`.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const Hyperparams& hp,
                                                       std::vector<torch::Tensor> params);

// A CPU generator for synthetic data, distinct per (seed, stream); used with
// stream 0 for training data and 1 for validation data by convention.
torch::Generator DataGenerator(uint64_t seed, uint64_t stream);

// Runs `build` (which constructs modules) with LibTorch's default parameter
// initialisers drawing from a generator seeded by `seed`, then restores the
// process-wide CPU generator, so initial weights depend on the seed only.
// Not safe against another thread drawing from the default generator meanwhile.
void WithInitSeed(uint64_t seed, const std::function<void()>& build);

// GELU (exact, erf form) built from elementwise ops. Use this instead of
// torch::gelu: the LibTorch 1.13 build here returns garbage input gradients
// from torch::gelu when the incoming gradient is non-contiguous (e.g. when the
// activation feeds a Linear through a transpose).
torch::Tensor Gelu(const torch::Tensor& x);

// Mixes values into one well-spread 64-bit seed (splitmix64 chaining).
uint64_t MixSeed(std::initializer_list<uint64_t> values);

// Per-sample randomness for one training step: row r of every tensor depends
// only on (seed, step, indices[r], stream), never on which rank draws it or on
// how many samples a rank draws, so 2 ranks see the same noise as 1 rank and a
// resumed run sees the same noise as an uninterrupted one. Generated on CPU,
// returned on `device`. Cost: one small generator per sample per call, which is
// negligible next to the models here.
class SampleNoise {
 public:
  // `indices`: int64 CPU tensor [B] of sample indices.
  SampleNoise(uint64_t seed, int64_t step, torch::Tensor indices, torch::Device device);

  // Standard normal, shape [B, shape...].
  torch::Tensor Normal(uint64_t stream, torch::IntArrayRef shape) const;
  // Uniform in [0, 1), shape [B, shape...].
  torch::Tensor Uniform(uint64_t stream, torch::IntArrayRef shape) const;
  // One int64 in [0, high) per sample, shape [B].
  torch::Tensor Integers(uint64_t stream, int64_t high) const;
  // Inverted dropout of x ([B, ...]) with keep probability 1-p and per-sample
  // masks; returns x unchanged when p == 0.
  torch::Tensor Dropout(uint64_t stream, const torch::Tensor& x, double p) const;

 private:
  template <typename Fn>
  torch::Tensor PerRow(uint64_t stream, Fn&& fn) const;

  uint64_t seed_;
  int64_t step_;
  torch::Tensor indices_;
  torch::Device device_;
};

// Rows `indices` (int64 CPU tensor) of `data` (any device).
torch::Tensor Rows(const torch::Tensor& data, const torch::Tensor& indices);

// Base class of every zoo workload. Owns the optimizers (one per parameter
// group; one group unless InitGroups) and the step counter; Save/Load write
// model, every optimizer, step and the subclass's extra state.
class TorchWorkload : public Workload {
 public:
  std::vector<torch::Tensor> Parameters() override;
  std::vector<torch::Tensor> Buffers() override;
  torch::optim::Optimizer& optimizer() override { return *groups_.at(0).optimizer; }
  std::vector<ParamGroup> Groups() override;
  std::vector<int> StepUpdates() const override { return updates_; }
  int64_t BatchSize() const override { return batch_size_; }
  int64_t Epochs() const override { return epochs_; }

  // UpdateLoss(0, indices).
  StatusOr<torch::Tensor> TrainLoss(const torch::Tensor& indices) final;
  // Checks the update and the indices, puts the model in training mode and
  // calls ComputeUpdateLoss; exceptions become INTERNAL, bad indices
  // OUT_OF_RANGE, an update outside StepUpdates() INVALID_ARGUMENT.
  StatusOr<torch::Tensor> UpdateLoss(int update, const torch::Tensor& indices) final;
  // Advances the step counter that SampleNoise and carried state use.
  void EndStep() override { ++step_; }
  // Eval mode and NoGradGuard around ComputeMetrics.
  StatusOr<Metrics> Evaluate() final;
  Status Save(torch::serialize::OutputArchive& archive) final;
  Status Load(torch::serialize::InputArchive& archive) final;

 protected:
  TorchWorkload(const Hyperparams& hp, const WorkloadContext& context);

  // Moves `module` to the context's device and builds the optimizer over its
  // parameters. Call once from the factory after construction.
  Status Init(std::shared_ptr<torch::nn::Module> module);
  // For models that are not a torch::nn::Module (TorchScript): builds the
  // optimizer over `params`; the subclass overrides the model hooks below.
  Status InitOptimizer(std::vector<torch::Tensor> params);

  // One parameter group for InitGroups.
  struct GroupSpec {
    std::string name;
    std::vector<torch::Tensor> parameters;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
  };
  // Init for a workload of several groups: moves `module` (which holds every
  // group's modules) to the context's device, then calls `build` for the
  // groups (over the moved parameters) and records the step's `updates`
  // (indices into the groups). Call once from the factory instead of Init.
  // REQUIRES: groups disjoint and together module->parameters(); updates
  // non-empty and in range. Checkpoints hold group 0's optimizer under
  // "optimizer" (as a single-group workload's) and group i's under
  // "optimizer_<name>".
  Status InitGroups(std::shared_ptr<torch::nn::Module> module,
                    const std::function<std::vector<GroupSpec>()>& build, std::vector<int> updates);

  // Mean loss over the samples `indices` (valid, CPU int64), in training mode.
  virtual torch::Tensor ComputeTrainLoss(const torch::Tensor& indices) = 0;
  // Update `update`'s loss (see Workload::UpdateLoss). Default:
  // ComputeTrainLoss, for single-group workloads.
  virtual torch::Tensor ComputeUpdateLoss(int update, const torch::Tensor& indices) {
    (void)update;
    return ComputeTrainLoss(indices);
  }
  // Validation metrics, already in eval mode under NoGradGuard.
  virtual Metrics ComputeMetrics() = 0;
  // Workload-internal state beyond model and optimizer (carried LSTM state...).
  virtual void SaveExtra(torch::serialize::OutputArchive& /*archive*/) {}
  virtual void LoadExtra(torch::serialize::InputArchive& /*archive*/) {}
  // Model hooks; the defaults use the module given to Init.
  virtual void SetTraining(bool on);
  virtual void SaveModel(torch::serialize::OutputArchive& archive);
  virtual void LoadModel(torch::serialize::InputArchive& archive);

  // Per-sample randomness for the current step.
  SampleNoise Noise(const torch::Tensor& indices) const {
    return SampleNoise(context_.seed, step_, indices, context_.device);
  }
  int64_t step() const { return step_; }
  const WorkloadContext& context() const { return context_; }
  torch::Device device() const { return context_.device; }

 private:
  const Hyperparams hp_;
  const WorkloadContext context_;
  const int64_t batch_size_;
  const int64_t epochs_;
  std::shared_ptr<torch::nn::Module> module_;
  std::vector<GroupSpec> groups_;    // one ("model") unless InitGroups
  std::vector<int> updates_ = {0};  // per step
  int64_t step_ = 0;
};

// Runs a model factory so that CreateWorkload never throws: a LibTorch
// exception while building becomes INTERNAL naming the model.
StatusOr<std::unique_ptr<Workload>> GuardedCreate(
    const std::string& model, const std::function<StatusOr<std::unique_ptr<Workload>>()>& make);

// The tail of every model's Create: builds W(args...) and starts it, under
// GuardedCreate. W is a TorchWorkload.
template <typename W, typename... Args>
StatusOr<std::unique_ptr<Workload>> StartWorkload(const std::string& model, Args&&... args) {
  return GuardedCreate(model, [&]() -> StatusOr<std::unique_ptr<Workload>> {
    auto workload = std::make_unique<W>(std::forward<Args>(args)...);
    HPS_RETURN_IF_ERROR(workload->Start());
    return std::unique_ptr<Workload>(std::move(workload));
  });
}

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_TRAINING_H_
