#include "models/fno1d.h"

#include <cmath>
#include <deque>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "models/gaussian_predictive.h"
#include "models/hyperparams.h"
#include "models/training.h"

namespace hpsweep::models {
namespace {

constexpr char kName[] = "fno1d";
// Fourier modes of the random initial conditions.
constexpr int64_t kInitModes = 8;
// Floor of the predicted variance: keeps the NLL finite when a point is fit
// exactly.
constexpr double kMinVariance = 1e-6;
// Data-generator streams of the observation noise (0 and 1 are the train and
// validation solutions).
constexpr uint64_t kNoiseStream = 2;

std::vector<HyperparamInfo> Specs() {
  TrainingDefaults d;
  d.optimizer = "adam";
  d.lr = 1e-3;
  d.batch_size = 20;
  d.epochs = 50;
  return ConcatHyperparams(
      {
          ChoiceParam("pde", "burgers", {"burgers", "heat"}, "equation to learn"),
          IntParam("grid", 64, 16, 4096, "grid points (even)"),
          FloatParam("viscosity", 0.05, 1e-3, 10.0, "nu"),
          FloatParam("t_final", 0.5, 0.01, 10.0, "time of the solution to predict"),
          IntParam("modes", 12, 1, 2049, "Fourier modes per layer (at most grid / 2 + 1)"),
          IntParam("width", 32, 1, 1024, "channels"),
          IntParam("layers", 4, 1, 16, "Fourier layers"),
          IntParam("train_size", 1000, 16, 1 << 20, "training pairs"),
          IntParam("val_size", 200, 16, 1 << 20, "validation pairs"),
          FloatParam("noise", 0.0, 0.0, 10.0,
                     "sd of Gaussian observation noise on the targets (train and validation)"),
          ChoiceParam("uncertainty", "none", {"none", "gaussian"},
                      "none: point prediction; gaussian: mean and variance heads, NLL loss"),
          FloatParam("nll_beta", 0.0, 0.0, 1.0,
                     "gaussian only: beta-NLL weight var^beta (0 = plain NLL)"),
      },
      TrainingHyperparams(d));
}

// Mean over samples of ||pred - target|| / ||target||.
torch::Tensor RelativeL2(const torch::Tensor& pred, const torch::Tensor& target) {
  return ((pred - target).norm(2, {1}) / target.norm(2, {1}).clamp_min(1e-12)).mean();
}

// Integrating-factor RK4 for Burgers in Fourier space.
torch::Tensor SolveBurgers(const torch::Tensor& u0, double nu, double t_final) {
  const int64_t n = u0.size(1);
  const int64_t steps = std::max<int64_t>(100, static_cast<int64_t>(std::ceil(t_final / 1e-3)));
  const double dt = t_final / static_cast<double>(steps);
  torch::Tensor k = 2.0 * M_PI * torch::arange(n / 2 + 1, torch::kDouble);
  torch::Tensor dealias = torch::arange(n / 2 + 1, torch::kDouble).lt(n / 3.0).to(torch::kDouble);
  torch::Tensor ik = torch::complex(torch::zeros_like(k), k);
  torch::Tensor e = torch::exp(-nu * k * k * dt / 2.0);  // half-step integrating factor
  torch::Tensor e2 = e * e;
  auto nonlinear = [&](const torch::Tensor& uh) {
    torch::Tensor u = torch::fft::irfft(uh, n, 1);
    return -0.5 * ik * torch::fft::rfft(u * u, c10::nullopt, 1) * dealias * dt;
  };
  torch::Tensor uh = torch::fft::rfft(u0, c10::nullopt, 1);
  for (int64_t s = 0; s < steps; ++s) {
    torch::Tensor a = nonlinear(uh);
    torch::Tensor b = nonlinear(e * (uh + a / 2.0));
    torch::Tensor c = nonlinear(e * uh + b / 2.0);
    torch::Tensor d = nonlinear(e2 * uh + e * c);
    uh = e2 * uh + (e2 * a + 2.0 * e * (b + c) + d) / 6.0;
  }
  return torch::fft::irfft(uh, n, 1);
}

torch::Tensor SolveHeat(const torch::Tensor& u0, double nu, double t_final) {
  const int64_t n = u0.size(1);
  torch::Tensor k = 2.0 * M_PI * torch::arange(n / 2 + 1, torch::kDouble);
  return torch::fft::irfft(
      torch::fft::rfft(u0, c10::nullopt, 1) * torch::exp(-nu * k * k * t_final), n, 1);
}

// GeneratePdeData, remembered for the life of the process: a worker trains
// the trials of a sweep one after another on the same data (one data seed
// per sweep), and a Burgers solve costs about a second of CPU per data set.
// Holds the last few distinct requests; hands out copies, so no workload
// can change another's data.
PdeData CachedPdeData(const std::string& pde, int64_t n, int64_t grid, double viscosity,
                      double t_final, uint64_t seed, uint64_t stream) {
  using Key = std::tuple<std::string, int64_t, int64_t, double, double, uint64_t, uint64_t>;
  constexpr size_t kKept = 4;
  static std::mutex mu;
  static std::deque<std::pair<Key, PdeData>> kept;
  const Key key{pde, n, grid, viscosity, t_final, seed, stream};
  auto copy = [](const PdeData& d) { return PdeData{d.u0.clone(), d.ut.clone()}; };
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [k, d] : kept) {
      if (k == key) return copy(d);
    }
  }
  PdeData made = GeneratePdeData(pde, n, grid, viscosity, t_final, seed, stream);
  std::lock_guard<std::mutex> lock(mu);
  kept.emplace_back(key, copy(made));
  if (kept.size() > kKept) kept.pop_front();
  return made;
}

class Fno1dWorkload : public TorchWorkload {
 public:
  Fno1dWorkload(const Hyperparams& hp, const WorkloadContext& ctx)
      : TorchWorkload(hp, ctx),
        gaussian_(hp.String("uncertainty") == "gaussian"),
        nll_beta_(hp.Float("nll_beta")) {
    auto make = [&](int64_t n, uint64_t stream) {
      return CachedPdeData(hp.String("pde"), n, hp.Int("grid"), hp.Float("viscosity"),
                           hp.Float("t_final"), ctx.data_seed, stream);
    };
    PdeData train = make(hp.Int("train_size"), 0);
    PdeData val = make(hp.Int("val_size"), 1);
    train_x_ = train.u0.to(ctx.device);
    train_y_ = AddNoise(train.ut, hp.Float("noise"), ctx.data_seed, kNoiseStream).to(ctx.device);
    val_x_ = val.u0.to(ctx.device);
    val_y_ = AddNoise(val.ut, hp.Float("noise"), ctx.data_seed, kNoiseStream + 1).to(ctx.device);
    // The gaussian heads predict in units of the training targets' sd: the
    // variance head then starts near the targets' own spread (softplus(0) =
    // 0.69) and its floor is relative, whatever the PDE's amplitude. Scaling
    // adds a constant log(scale) to the NLL and changes no gradient direction.
    if (gaussian_) target_scale_ = train_y_.std().clamp_min(1e-12).item<double>();
    WithInitSeed(ctx.seed, [&] {
      model_ = Fno1d(Fno1dOptions()
                         .modes(hp.Int("modes"))
                         .width(hp.Int("width"))
                         .layers(hp.Int("layers"))
                         .gaussian(gaussian_));
    });
  }

  Status Start() { return Init(model_.ptr()); }

  int64_t TrainSize() const override { return train_x_.size(0); }

 protected:
  torch::Tensor ComputeTrainLoss(const torch::Tensor& indices) override {
    torch::Tensor x = Rows(train_x_, indices), y = Rows(train_y_, indices);
    if (!gaussian_) return RelativeL2(model_->forward(x), y);
    GaussianOutput out = Predict(x);
    return GaussianNllLoss(out.mean, out.variance, y, nll_beta_);
  }

  Metrics ComputeMetrics() override {
    Metrics m;
    m["val_identity_rel_l2"] = RelativeL2(val_x_, val_y_).item<double>();
    if (!gaussian_) {
      m["val_rel_l2"] = RelativeL2(model_->forward(val_x_), val_y_).item<double>();
      return m;
    }
    GaussianOutput out = Predict(val_x_);
    m["val_rel_l2"] = RelativeL2(out.mean, val_y_).item<double>();
    GaussianScores s = ScoreGaussian(out.mean, out.variance, val_y_);
    m["val_nll"] = s.nll;
    m["val_coverage90"] = s.coverage90;
    m["val_calibration_error"] = s.calibration_error;
    m["val_mean_std"] = s.mean_std;
    return m;
  }

 private:
  // The gaussian model's output in the targets' units.
  GaussianOutput Predict(const torch::Tensor& x) {
    GaussianOutput out = model_->forward_gaussian(x);
    return {out.mean * target_scale_, out.variance * (target_scale_ * target_scale_)};
  }

  // u plus `sd` times standard normal noise from its own generator stream
  // (nothing drawn when sd is 0, so exact data stays exact).
  static torch::Tensor AddNoise(const torch::Tensor& u, double sd, uint64_t seed,
                                uint64_t stream) {
    if (sd == 0.0) return u;
    torch::Generator gen = DataGenerator(seed, stream);
    return u + sd * torch::randn(u.sizes(), gen, torch::kDouble).to(u.scalar_type());
  }

  const bool gaussian_;
  const double nll_beta_;
  double target_scale_ = 1.0;
  torch::Tensor train_x_, train_y_, val_x_, val_y_;
  Fno1d model_{nullptr};
};

}  // namespace

SpectralConv1dImpl::SpectralConv1dImpl(int64_t in_channels, int64_t out_channels, int64_t modes)
    : modes_(modes) {
  const double scale = 1.0 / static_cast<double>(in_channels * out_channels);
  weight_ =
      register_parameter("weight", scale * torch::rand({in_channels, out_channels, modes, 2}));
}

void SpectralConv1dImpl::CacheBasis(const torch::Tensor& x) {
  const int64_t n = x.size(2);
  if (dft_.defined() && dft_.size(0) == n && dft_.scalar_type() == x.scalar_type() &&
      dft_.device() == x.device()) {
    return;
  }
  torch::NoGradGuard no_grad;
  // Built in double and rounded once, so every length and dtype gets the
  // basis to its own precision.
  const auto f64 = torch::TensorOptions().dtype(torch::kDouble);
  const torch::Tensor angle = torch::outer(torch::arange(n, f64), torch::arange(modes_, f64)) *
                              (2.0 * M_PI / static_cast<double>(n));  // [N, modes]
  const torch::Tensor cos_b = torch::cos(angle), sin_b = torch::sin(angle);
  // irfft weights: the DC and Nyquist modes once, every other mode twice.
  torch::Tensor coef = torch::full({modes_, 1}, 2.0, f64);
  coef[0] = 1.0;
  if (2 * (modes_ - 1) == n) coef[modes_ - 1] = 1.0;
  dft_ = torch::cat({cos_b, -sin_b}, 1).to(x.options());
  inverse_dft_ =
      (torch::cat({coef * cos_b.t(), -coef * sin_b.t()}, 0) / static_cast<double>(n))
          .to(x.options());
}

torch::Tensor SpectralConv1dImpl::forward(const torch::Tensor& x) {
  // The truncated DFT and its inverse as real matrix products: exact, cheap
  // for the few modes kept, and only real tensors in autograd and optimizers.
  CacheBasis(x);
  const int64_t b = x.size(0), in = weight_.size(0), out = weight_.size(1);
  // [B, in, 2 modes] -> [modes, B, 2 in]: per mode, the row (re | im).
  const torch::Tensor z =
      torch::matmul(x, dft_).view({b, in, 2, modes_}).permute({3, 0, 2, 1}).reshape(
          {modes_, b, 2 * in});
  // The complex product (xr + i xi)(wr + i wi) as one real product per mode:
  // (xr | xi) [[wr, wi], [-wi, wr]] = (xr wr - xi wi | xr wi + xi wr).
  const torch::Tensor wr = weight_.select(3, 0).permute({2, 0, 1});  // [modes, in, out]
  const torch::Tensor wi = weight_.select(3, 1).permute({2, 0, 1});
  const torch::Tensor w =
      torch::cat({torch::cat({wr, wi}, 2), torch::cat({-wi, wr}, 2)}, 1);  // [modes, 2in, 2out]
  const torch::Tensor y = torch::bmm(z, w)                                 // [modes, B, 2 out]
                              .view({modes_, b, 2, out})
                              .permute({1, 3, 2, 0})
                              .reshape({b, out, 2 * modes_});
  return torch::matmul(y, inverse_dft_);
}

Fno1dImpl::Fno1dImpl(Fno1dOptions options_) : options(options_) {
  lift_ = register_module("lift", torch::nn::Linear(2, options.width()));
  spectral_ = register_module("spectral", torch::nn::ModuleList());
  pointwise_ = register_module("pointwise", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.layers(); ++i) {
    spectral_->push_back(SpectralConv1d(options.width(), options.width(), options.modes()));
    pointwise_->push_back(torch::nn::Linear(options.width(), options.width()));
  }
  project1_ = register_module("project1", torch::nn::Linear(options.width(), 64));
  project2_ = register_module("project2", torch::nn::Linear(64, 1));
  // Registered (and initialised) last, so every module above starts from the
  // same weights as in the deterministic model with the same seed.
  if (options.gaussian()) variance_ = register_module("variance", torch::nn::Linear(64, 1));
}

torch::Tensor Fno1dImpl::forward(const torch::Tensor& u0) {
  return project2_->forward(Features(u0)).squeeze(2);
}

GaussianOutput Fno1dImpl::forward_gaussian(const torch::Tensor& u0) {
  TORCH_CHECK(options.gaussian(), "Fno1d::forward_gaussian needs Fno1dOptions::gaussian(true)");
  torch::Tensor f = Features(u0);
  return {project2_->forward(f).squeeze(2),
          torch::softplus(variance_->forward(f).squeeze(2)) + kMinVariance};
}

torch::Tensor Fno1dImpl::Features(const torch::Tensor& u0) {
  const int64_t b = u0.size(0), n = u0.size(1);
  torch::Tensor grid = torch::arange(n, u0.options()).div(static_cast<double>(n));
  torch::Tensor in = torch::stack({u0, grid.unsqueeze(0).expand({b, n})}, 2);  // [B, N, 2]
  torch::Tensor h = lift_->forward(in).transpose(1, 2);                        // [B, W, N]
  for (size_t i = 0; i < spectral_->size(); ++i) {
    torch::Tensor s = spectral_[i]->as<SpectralConv1d>()->forward(h);
    torch::Tensor p = pointwise_[i]->as<torch::nn::Linear>()->forward(h.transpose(1, 2));
    h = s + p.transpose(1, 2);
    if (i + 1 < spectral_->size()) h = Gelu(h);
  }
  return Gelu(project1_->forward(h.transpose(1, 2)));
}

PdeData GeneratePdeData(const std::string& pde, int64_t n, int64_t grid, double viscosity,
                        double t_final, uint64_t seed, uint64_t stream) {
  torch::Generator gen = DataGenerator(seed, stream);
  torch::Tensor x = torch::arange(grid, torch::kDouble) / static_cast<double>(grid);
  torch::Tensor k = torch::arange(1, kInitModes + 1, torch::kDouble);  // [K]
  torch::Tensor a = torch::randn({n, kInitModes}, gen, torch::kDouble) / k.pow(1.5);
  torch::Tensor b = torch::randn({n, kInitModes}, gen, torch::kDouble) / k.pow(1.5);
  torch::Tensor phase = 2.0 * M_PI * k.unsqueeze(1) * x.unsqueeze(0);  // [K, grid]
  torch::Tensor u0 = torch::mm(a, torch::cos(phase)) + torch::mm(b, torch::sin(phase));
  torch::Tensor ut =
      pde == "heat" ? SolveHeat(u0, viscosity, t_final) : SolveBurgers(u0, viscosity, t_final);
  return {u0.to(torch::kFloat), ut.to(torch::kFloat)};
}

ModelInfo Fno1dModelInfo() {
  return {kName,
          "1-D Fourier neural operator learning u(0) -> u(t) for viscous Burgers or heat",
          "val_rel_l2", /*maximize=*/false, Specs()};
}

StatusOr<std::unique_ptr<Workload>> CreateFno1dWorkload(const nlohmann::json& params,
                                                        const WorkloadContext& context) {
  HPS_ASSIGN_OR_RETURN(Hyperparams hp, Hyperparams::Parse(kName, Specs(), params));
  if (hp.Int("grid") % 2 != 0) {
    return HyperparamError(kName, "grid", "must be even, got " + std::to_string(hp.Int("grid")));
  }
  if (hp.Int("modes") > hp.Int("grid") / 2 + 1) {
    return HyperparamError(kName, "modes",
                           "must be at most grid / 2 + 1 (" +
                               std::to_string(hp.Int("grid") / 2 + 1) + "), got " +
                               std::to_string(hp.Int("modes")));
  }
  return StartWorkload<Fno1dWorkload>(kName, hp, context);
}

}  // namespace hpsweep::models
