#include "models/training.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <exception>
#include <type_traits>
#include <utility>
#include <vector>

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

namespace {

// SplitMix64's increment and output function: word i of a row's stream is
// Finalize(key + (i + 1) * kGamma), a counter-based generator (any word is
// computed directly, no state) with SplitMix64's statistical quality.
constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;

inline uint64_t Finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t Word(uint64_t key, int64_t i) {
  return Finalize(key + static_cast<uint64_t>(i + 1) * kGamma);
}

// The top 24 bits as a float in [0, 1) (all that a float's mantissa holds).
inline float UnitFloat(uint64_t w) { return static_cast<float>(w >> 40) * 0x1.0p-24f; }

// What SampleNoise::PerRow fills: each row's values of type T (shape
// `shape`) from that row's key.
template <typename T, typename Fill>
struct RowFiller {
  std::vector<int64_t> shape;
  Fill fill;  // void(uint64_t key, T* out, int64_t count)
  using Value = T;
};

template <typename T, typename Fill>
RowFiller<T, Fill> RowsOf(torch::IntArrayRef shape, Fill fill) {
  return {std::vector<int64_t>(shape.begin(), shape.end()), std::move(fill)};
}

void FillUniform(uint64_t key, float* out, int64_t count) {
  for (int64_t i = 0; i < count; ++i) out[i] = UnitFloat(Word(key, i));
}

}  // namespace

SampleNoise::SampleNoise(uint64_t seed, int64_t step, torch::Tensor indices, torch::Device device)
    : seed_(seed),
      step_(step),
      indices_(indices.to(torch::kCPU, torch::kLong).contiguous()),
      device_(device) {}

// A CPU tensor [B, filler.shape...]: row r filled from the key of
// (seed, step, indices[r], stream), written in place (no per-row tensors).
template <typename Fn>
torch::Tensor SampleNoise::PerRow(uint64_t stream, Fn&& filler) const {
  using T = typename std::decay_t<Fn>::Value;
  const int64_t n = indices_.size(0);
  int64_t per_row = 1;
  for (int64_t d : filler.shape) per_row *= d;
  std::vector<int64_t> sizes{n};
  sizes.insert(sizes.end(), filler.shape.begin(), filler.shape.end());
  torch::Tensor out = torch::empty(sizes, torch::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value));
  const int64_t* idx = indices_.data_ptr<int64_t>();
  T* data = out.data_ptr<T>();
  for (int64_t r = 0; r < n; ++r) {
    const uint64_t key =
        MixSeed({seed_, static_cast<uint64_t>(step_), static_cast<uint64_t>(idx[r]), stream});
    filler.fill(key, data + r * per_row, per_row);
  }
  return out;
}

torch::Tensor SampleNoise::Uniform(uint64_t stream, torch::IntArrayRef shape) const {
  return PerRow(stream, RowsOf<float>(shape, FillUniform)).to(device_);
}

torch::Tensor SampleNoise::Normal(uint64_t stream, torch::IntArrayRef shape) const {
  // Box-Muller over pairs of a row's uniforms; the transform runs vectorised
  // over the whole batch.
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  const int64_t pairs = (count + 1) / 2, n = indices_.size(0);
  torch::Tensor u = PerRow(stream, RowsOf<float>({pairs, 2}, FillUniform));
  torch::Tensor radius = torch::sqrt(-2.0 * torch::log1p(-u.select(2, 0)));  // log of (0, 1]
  torch::Tensor angle = u.select(2, 1) * static_cast<float>(2.0 * M_PI);
  torch::Tensor z =
      torch::stack({radius * torch::cos(angle), radius * torch::sin(angle)}, 2).reshape({n, 2 * pairs});
  std::vector<int64_t> sizes{n};
  sizes.insert(sizes.end(), shape.begin(), shape.end());
  return z.narrow(1, 0, count).reshape(sizes).to(device_);
}

torch::Tensor SampleNoise::Integers(uint64_t stream, int64_t high) const {
  const auto range = static_cast<unsigned __int128>(high);
  return PerRow(stream, RowsOf<int64_t>({}, [range](uint64_t key, int64_t* out, int64_t) {
                  // Lemire's multiply-shift (bias below high / 2^64).
                  out[0] = static_cast<int64_t>((static_cast<unsigned __int128>(Word(key, 0)) * range) >> 64);
                }))
      .to(device_);
}

torch::Tensor SampleNoise::Dropout(uint64_t stream, const torch::Tensor& x, double p) const {
  if (p <= 0.0) return x;
  const float drop = static_cast<float>(p), scale = static_cast<float>(1.0 / (1.0 - p));
  torch::Tensor mask = PerRow(stream, RowsOf<float>(x.sizes().slice(1), [=](uint64_t key, float* out, int64_t count) {
                                for (int64_t i = 0; i < count; ++i) {
                                  out[i] = UnitFloat(Word(key, i)) >= drop ? scale : 0.0f;
                                }
                              }));
  return x * mask.to(x.device(), x.scalar_type());
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
