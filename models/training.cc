#include "models/training.h"

#include <ATen/CPUGeneratorImpl.h>

#include <exception>
#include <utility>

namespace hpsweep::models {

Status TorchCall(const std::string& what, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const c10::Error& e) {
    return InternalError(what + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return InternalError(what + ": " + e.what());
  }
  return Status::Ok();
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const Hyperparams& hp,
                                                       std::vector<torch::Tensor> params) {
  const std::string& name = hp.String("optimizer");
  const double lr = hp.Float("lr");
  const double wd = hp.Float("weight_decay");
  if (name == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        std::move(params),
        torch::optim::SGDOptions(lr).momentum(hp.Float("momentum")).weight_decay(wd));
  }
  if (name == "adamw") {
    return std::make_unique<torch::optim::AdamW>(std::move(params),
                                                 torch::optim::AdamWOptions(lr).weight_decay(wd));
  }
  return std::make_unique<torch::optim::Adam>(std::move(params),
                                              torch::optim::AdamOptions(lr).weight_decay(wd));
}

torch::Tensor Gelu(const torch::Tensor& x) { return 0.5 * x * (1.0 + torch::erf(x * M_SQRT1_2)); }

uint64_t MixSeed(std::initializer_list<uint64_t> values) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (uint64_t v : values) {
    uint64_t z = h ^ (v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    h = z ^ (z >> 31);
  }
  return h;
}

torch::Generator DataGenerator(uint64_t seed, uint64_t stream) {
  return at::make_generator<at::CPUGeneratorImpl>(MixSeed({seed, 0xDA7Aull, stream}));
}

void WithInitSeed(uint64_t seed, const std::function<void()>& build) {
  torch::Generator gen = at::detail::getDefaultCPUGenerator();
  torch::Tensor saved = gen.get_state();
  gen.set_current_seed(MixSeed({seed, 0x1417ull}));
  try {
    build();
  } catch (...) {
    gen.set_state(saved);
    throw;
  }
  gen.set_state(saved);
}

SampleNoise::SampleNoise(uint64_t seed, int64_t step, torch::Tensor indices, torch::Device device)
    : seed_(seed),
      step_(step),
      indices_(indices.to(torch::kCPU, torch::kLong).contiguous()),
      device_(device) {}

template <typename Fn>
torch::Tensor SampleNoise::PerRow(uint64_t stream, Fn&& fn) const {
  const int64_t n = indices_.size(0);
  const int64_t* idx = indices_.data_ptr<int64_t>();
  std::vector<torch::Tensor> rows;
  rows.reserve(n);
  for (int64_t r = 0; r < n; ++r) {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(
        MixSeed({seed_, static_cast<uint64_t>(step_), static_cast<uint64_t>(idx[r]), stream}));
    rows.push_back(fn(gen));
  }
  return torch::stack(rows).to(device_);
}

torch::Tensor SampleNoise::Normal(uint64_t stream, torch::IntArrayRef shape) const {
  std::vector<int64_t> s(shape.begin(), shape.end());
  return PerRow(stream, [&](torch::Generator& g) { return torch::randn(s, g); });
}

torch::Tensor SampleNoise::Uniform(uint64_t stream, torch::IntArrayRef shape) const {
  std::vector<int64_t> s(shape.begin(), shape.end());
  return PerRow(stream, [&](torch::Generator& g) { return torch::rand(s, g); });
}

torch::Tensor SampleNoise::Integers(uint64_t stream, int64_t high) const {
  return PerRow(stream,
                [&](torch::Generator& g) { return torch::randint(high, {}, g, torch::kLong); });
}

torch::Tensor SampleNoise::Dropout(uint64_t stream, const torch::Tensor& x, double p) const {
  if (p <= 0.0) return x;
  const auto shape = x.sizes().slice(1);
  torch::Tensor keep = Uniform(stream, shape).ge(p).to(x.dtype());
  return x * keep / (1.0 - p);
}

torch::Tensor Rows(const torch::Tensor& data, const torch::Tensor& indices) {
  return data.index_select(0, indices.to(data.device()));
}

TorchWorkload::TorchWorkload(const Hyperparams& hp, const WorkloadContext& context)
    : hp_(hp), context_(context), batch_size_(hp.Int("batch_size")), epochs_(hp.Int("epochs")) {}

Status TorchWorkload::Init(std::shared_ptr<torch::nn::Module> module) {
  module_ = std::move(module);
  return TorchCall("moving model to " + context_.device.str(), [&] {
    module_->to(context_.device);
    groups_.clear();
    groups_.push_back({"model", module_->parameters(), MakeOptimizer(hp_, module_->parameters())});
  });
}

Status TorchWorkload::InitOptimizer(std::vector<torch::Tensor> params) {
  return TorchCall("building optimizer", [&] {
    groups_.clear();
    std::vector<torch::Tensor> copy = params;
    groups_.push_back({"model", std::move(copy), MakeOptimizer(hp_, std::move(params))});
  });
}

Status TorchWorkload::InitGroups(std::shared_ptr<torch::nn::Module> module,
                                 const std::function<std::vector<GroupSpec>()>& build,
                                 std::vector<int> updates) {
  module_ = std::move(module);
  HPS_RETURN_IF_ERROR(TorchCall("moving model to " + context_.device.str(), [&] {
    module_->to(context_.device);
    groups_ = build();
  }));
  if (groups_.empty() || updates.empty()) {
    return InternalError("InitGroups: a workload needs at least one group and one update");
  }
  for (int u : updates) {
    if (u < 0 || u >= static_cast<int>(groups_.size())) {
      return InternalError("InitGroups: update names group " + std::to_string(u) + " of " +
                           std::to_string(groups_.size()));
    }
  }
  updates_ = std::move(updates);
  return Status::Ok();
}

std::vector<ParamGroup> TorchWorkload::Groups() {
  std::vector<ParamGroup> out;
  for (GroupSpec& g : groups_) out.push_back({g.name, g.parameters, g.optimizer.get()});
  return out;
}

std::vector<torch::Tensor> TorchWorkload::Parameters() { return module_->parameters(); }

std::vector<torch::Tensor> TorchWorkload::Buffers() { return module_->buffers(); }

void TorchWorkload::SetTraining(bool on) { module_->train(on); }

void TorchWorkload::SaveModel(torch::serialize::OutputArchive& archive) { module_->save(archive); }

void TorchWorkload::LoadModel(torch::serialize::InputArchive& archive) { module_->load(archive); }

StatusOr<torch::Tensor> TorchWorkload::TrainLoss(const torch::Tensor& indices) {
  return UpdateLoss(0, indices);
}

StatusOr<torch::Tensor> TorchWorkload::UpdateLoss(int update, const torch::Tensor& indices) {
  if (update < 0 || update >= static_cast<int>(updates_.size())) {
    return InvalidArgumentError("UpdateLoss: update " + std::to_string(update) + " outside the " +
                                std::to_string(updates_.size()) + " updates of a step");
  }
  if (!indices.defined() || indices.dim() != 1 || indices.scalar_type() != torch::kLong ||
      indices.size(0) == 0) {
    return InvalidArgumentError("TrainLoss: indices must be a non-empty 1-D int64 tensor");
  }
  torch::Tensor cpu = indices.to(torch::kCPU).contiguous();
  const int64_t lo = cpu.min().item<int64_t>();
  const int64_t hi = cpu.max().item<int64_t>();
  if (lo < 0 || hi >= TrainSize()) {
    return OutOfRangeError("TrainLoss: sample index out of [0, " + std::to_string(TrainSize()) +
                           "): " + std::to_string(lo < 0 ? lo : hi));
  }
  torch::Tensor loss;
  HPS_RETURN_IF_ERROR(TorchCall("training step", [&] {
    SetTraining(true);
    loss = ComputeUpdateLoss(update, cpu);
  }));
  return loss;
}

StatusOr<Metrics> TorchWorkload::Evaluate() {
  Metrics metrics;
  HPS_RETURN_IF_ERROR(TorchCall("evaluation", [&] {
    torch::NoGradGuard no_grad;
    SetTraining(false);
    metrics = ComputeMetrics();
  }));
  return metrics;
}

Status TorchWorkload::Save(torch::serialize::OutputArchive& archive) {
  return TorchCall("saving checkpoint", [&] {
    torch::serialize::OutputArchive model, opt, extra;
    SaveModel(model);
    groups_.at(0).optimizer->save(opt);
    SaveExtra(extra);
    archive.write("model", model);
    archive.write("optimizer", opt);
    for (size_t g = 1; g < groups_.size(); ++g) {
      torch::serialize::OutputArchive more;
      groups_[g].optimizer->save(more);
      archive.write("optimizer_" + groups_[g].name, more);
    }
    archive.write("extra", extra);
    archive.write("step", torch::tensor(step_, torch::kLong));
  });
}

Status TorchWorkload::Load(torch::serialize::InputArchive& archive) {
  return TorchCall("loading checkpoint", [&] {
    torch::serialize::InputArchive model, opt, extra;
    archive.read("model", model);
    archive.read("optimizer", opt);
    archive.read("extra", extra);
    torch::Tensor step;
    archive.read("step", step);
    LoadModel(model);
    groups_.at(0).optimizer->load(opt);
    for (size_t g = 1; g < groups_.size(); ++g) {
      torch::serialize::InputArchive more;
      archive.read("optimizer_" + groups_[g].name, more);
      groups_[g].optimizer->load(more);
    }
    LoadExtra(extra);
    step_ = step.item<int64_t>();
  });
}

StatusOr<std::unique_ptr<Workload>> GuardedCreate(
    const std::string& model, const std::function<StatusOr<std::unique_ptr<Workload>>()>& make) {
  StatusOr<std::unique_ptr<Workload>> result = InternalError("model '" + model + "' not built");
  HPS_RETURN_IF_ERROR(TorchCall("building model '" + model + "'", [&] { result = make(); }));
  return result;
}

}  // namespace hpsweep::models
