#include "models/ddpm.h"

#include <cmath>
#include <utility>

#include "models/hyperparams.h"
#include "models/training.h"

namespace hpsweep::models {
namespace {

constexpr char kName[] = "ddpm";
constexpr int64_t kMmdSamples = 512;

std::vector<HyperparamInfo> Specs() {
  TrainingDefaults d;
  d.optimizer = "adam";
  d.lr = 1e-3;
  d.batch_size = 128;
  d.epochs = 20;
  return ConcatHyperparams(
      {
          ChoiceParam("dataset", "ring", {"ring", "moons"}, "2-D target distribution"),
          IntParam("timesteps", 100, 2, 10000, "diffusion steps T"),
          IntParam("time_embed", 32, 2, 1024, "timestep embedding width (even)"),
          IntListParam("hidden", {128, 128, 128}, 1, 65536, "denoiser hidden widths"),
          ChoiceParam("activation", "gelu", {"relu", "tanh", "gelu"}, "denoiser activation"),
          IntParam("train_size", 4096, 16, 1 << 20, "training points"),
          IntParam("val_size", 1024, 16, 1 << 20, "validation points"),
      },
      TrainingHyperparams(d));
}

// Squared MMD with an RBF kernel (bandwidth 0.5), biased estimator.
double Mmd2(const torch::Tensor& a, const torch::Tensor& b) {
  auto k = [](const torch::Tensor& x, const torch::Tensor& y) {
    return torch::exp(-torch::cdist(x, y).pow(2) / (2 * 0.25)).mean();
  };
  return (k(a, a) + k(b, b) - 2 * k(a, b)).item<double>();
}

class DdpmWorkload : public TorchWorkload {
 public:
  DdpmWorkload(const Hyperparams& hp, const WorkloadContext& ctx) : TorchWorkload(hp, ctx) {
    const std::string& dataset = hp.String("dataset");
    train_ = GeneratePoints(dataset, hp.Int("train_size"), ctx.data_seed, 0).to(ctx.device);
    val_ = GeneratePoints(dataset, hp.Int("val_size"), ctx.data_seed, 1).to(ctx.device);
    const int64_t t_max = hp.Int("timesteps");
    torch::Generator g = DataGenerator(ctx.data_seed, 3);
    val_t_ = torch::randint(t_max, {val_.size(0)}, g, torch::kLong).to(ctx.device);
    val_eps_ = torch::randn(val_.sizes(), g).to(ctx.device);
    WithInitSeed(ctx.seed, [&] {
      model_ = Ddpm(DdpmOptions()
                        .timesteps(t_max)
                        .time_embed(hp.Int("time_embed"))
                        .hidden(hp.IntList("hidden"))
                        .activation(hp.String("activation")));
    });
  }

  Status Start() { return Init(model_.ptr()); }

  int64_t TrainSize() const override { return train_.size(0); }

 protected:
  torch::Tensor ComputeTrainLoss(const torch::Tensor& indices) override {
    SampleNoise noise = Noise(indices);
    torch::Tensor x0 = Rows(train_, indices);
    torch::Tensor t = noise.Integers(0, model_->options.timesteps());
    torch::Tensor eps = noise.Normal(1, {x0.size(1)});
    return torch::mse_loss(model_->forward(model_->Diffuse(x0, t, eps), t), eps);
  }

  Metrics ComputeMetrics() override {
    Metrics m;
    torch::Tensor pred = model_->forward(model_->Diffuse(val_, val_t_, val_eps_), val_t_);
    m["val_denoise_loss"] = torch::mse_loss(pred, val_eps_).item<double>();
    torch::Tensor samples = model_->Sample(kMmdSamples, DataGenerator(context().seed, 4));
    m["val_sample_mmd"] = Mmd2(samples, val_.slice(0, 0, kMmdSamples));
    return m;
  }

 private:
  torch::Tensor train_, val_, val_t_, val_eps_;
  Ddpm model_{nullptr};
};

}  // namespace

DdpmImpl::DdpmImpl(DdpmOptions options_) : options(std::move(options_)) {
  net_ = register_module(
      "net", Mlp(MlpOptions(options.dim() + options.time_embed(), options.hidden(), options.dim())
                     .activation(options.activation())));
  // Linear schedule 1e-4 .. 0.02 as in Ho et al. for T = 1000, scaled to T.
  const double scale = 1000.0 / static_cast<double>(options.timesteps());
  torch::Tensor betas = torch::linspace(1e-4 * scale, std::min(0.02 * scale, 0.999),
                                        options.timesteps(), torch::kFloat);
  betas_ = register_buffer("betas", betas);
  alpha_bar_ = register_buffer("alpha_bar", torch::cumprod(1.0 - betas, 0));
}

torch::Tensor DdpmImpl::forward(const torch::Tensor& x_t, const torch::Tensor& t) {
  const int64_t half = options.time_embed() / 2;
  torch::Tensor freqs = torch::exp(-std::log(10000.0) * torch::arange(half, x_t.options()) /
                                   static_cast<double>(half));
  torch::Tensor angle = t.to(x_t.dtype()).unsqueeze(1) * freqs.unsqueeze(0);
  torch::Tensor embed = torch::cat({torch::sin(angle), torch::cos(angle)}, 1);
  return net_->forward(torch::cat({x_t, embed}, 1));
}

torch::Tensor DdpmImpl::Diffuse(const torch::Tensor& x0, const torch::Tensor& t,
                                const torch::Tensor& eps) {
  torch::Tensor ab = alpha_bar_.index_select(0, t.to(alpha_bar_.device())).unsqueeze(1);
  return torch::sqrt(ab) * x0 + torch::sqrt(1.0 - ab) * eps;
}

torch::Tensor DdpmImpl::Sample(int64_t n, torch::Generator gen) {
  const torch::Device device = betas_.device();
  torch::Tensor x = torch::randn({n, options.dim()}, gen).to(device);
  for (int64_t s = options.timesteps() - 1; s >= 0; --s) {
    const double beta = betas_[s].item<double>();
    const double ab = alpha_bar_[s].item<double>();
    torch::Tensor t =
        torch::full({n}, s, torch::TensorOptions().dtype(torch::kLong).device(device));
    torch::Tensor eps = forward(x, t);
    x = (x - beta / std::sqrt(1.0 - ab) * eps) / std::sqrt(1.0 - beta);
    if (s > 0) x = x + std::sqrt(beta) * torch::randn({n, options.dim()}, gen).to(device);
  }
  return x;
}

torch::Tensor GeneratePoints(const std::string& dataset, int64_t n, uint64_t seed,
                             uint64_t stream) {
  torch::Generator gen = DataGenerator(seed, stream);
  if (dataset == "moons") {
    torch::Tensor angle = torch::rand({n}, gen) * M_PI;
    torch::Tensor upper = torch::randint(2, {n}, gen, torch::kLong).to(torch::kFloat);
    torch::Tensor x = torch::where(upper.gt(0), torch::cos(angle), 1.0 - torch::cos(angle));
    torch::Tensor y = torch::where(upper.gt(0), torch::sin(angle), 0.5 - torch::sin(angle));
    return torch::stack({x - 0.5, y - 0.25}, 1) * 1.5 + 0.05 * torch::randn({n, 2}, gen);
  }
  torch::Tensor k = torch::randint(8, {n}, gen, torch::kLong).to(torch::kFloat);
  torch::Tensor angle = k * (2.0 * M_PI / 8.0);
  torch::Tensor centers = torch::stack({torch::cos(angle), torch::sin(angle)}, 1) * 2.0;
  return centers + 0.1 * torch::randn({n, 2}, gen);
}

ModelInfo DdpmModelInfo() {
  return {kName,
          "small denoising diffusion model (MLP denoiser) on a 2-D distribution",
          "val_denoise_loss", /*maximize=*/false, Specs()};
}

StatusOr<std::unique_ptr<Workload>> CreateDdpmWorkload(const nlohmann::json& params,
                                                       const WorkloadContext& context) {
  HPS_ASSIGN_OR_RETURN(Hyperparams hp, Hyperparams::Parse(kName, Specs(), params));
  if (hp.Int("time_embed") % 2 != 0) {
    return HyperparamError(kName, "time_embed",
                           "must be even, got " + std::to_string(hp.Int("time_embed")));
  }
  return StartWorkload<DdpmWorkload>(kName, hp, context);
}

}  // namespace hpsweep::models
