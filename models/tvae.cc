#include "models/tvae.h"

#include <cmath>
#include <utility>

#include "models/hyperparams.h"
#include "models/training.h"

namespace hpsweep::models {
namespace {

constexpr char kName[] = "tvae";
constexpr int64_t kFidelitySamples = 1024;

std::vector<HyperparamInfo> Specs() {
  TrainingDefaults d;
  d.optimizer = "adam";
  d.lr = 1e-3;
  d.batch_size = 128;
  d.epochs = 30;
  return ConcatHyperparams(
      {
          IntParam("latent_dim", 8, 1, 1024, "latent dimension"),
          IntListParam("hidden", {64, 64}, 1, 65536, "encoder/decoder hidden widths"),
          ChoiceParam("activation", "relu", {"relu", "tanh", "gelu"}, "hidden activation"),
          IntParam("train_size", 4096, 16, 1 << 20, "training rows"),
          IntParam("val_size", 1024, 16, 1 << 20, "validation rows"),
      },
      TrainingHyperparams(d));
}

int64_t OneHotWidth() {
  int64_t w = 0;
  for (int64_t c : kTvaeCategories) w += c;
  return w;
}

torch::Tensor OneHot(const torch::Tensor& cat) {
  std::vector<torch::Tensor> parts;
  for (size_t j = 0; j < kTvaeCategories.size(); ++j) {
    parts.push_back(torch::one_hot(cat.select(1, j), kTvaeCategories[j]).to(torch::kFloat));
  }
  return torch::cat(parts, 1);
}

class TvaeWorkload : public TorchWorkload {
 public:
  TvaeWorkload(const Hyperparams& hp, const WorkloadContext& ctx) : TorchWorkload(hp, ctx) {
    MixedTable train = GenerateMixedTable(hp.Int("train_size"), ctx.data_seed, 0);
    MixedTable val = GenerateMixedTable(hp.Int("val_size"), ctx.data_seed, 1);
    mean_ = train.continuous.mean(0, true);
    std_ = train.continuous.std(0, true, true).clamp_min(1e-6);
    train_cont_ = ((train.continuous - mean_) / std_).to(ctx.device);
    train_cat_ = train.categorical.to(ctx.device);
    val_cont_ = ((val.continuous - mean_) / std_).to(ctx.device);
    val_cat_ = val.categorical.to(ctx.device);
    WithInitSeed(ctx.seed, [&] {
      model_ = Tvae(TvaeOptions()
                        .latent_dim(hp.Int("latent_dim"))
                        .hidden(hp.IntList("hidden"))
                        .activation(hp.String("activation")));
    });
    val_eps_ = torch::randn({val_cont_.size(0), hp.Int("latent_dim")}, DataGenerator(ctx.data_seed, 3))
                   .to(ctx.device);
  }

  Status Start() { return Init(model_.ptr()); }

  int64_t TrainSize() const override { return train_cont_.size(0); }

 protected:
  torch::Tensor ComputeTrainLoss(const torch::Tensor& indices) override {
    torch::Tensor cont = Rows(train_cont_, indices), cat = Rows(train_cat_, indices);
    torch::Tensor eps = Noise(indices).Normal(0, {model_->options.latent_dim()});
    return model_->NegElbo(model_->forward(cont, cat, eps), cont, cat).mean();
  }

  Metrics ComputeMetrics() override {
    TvaeOutput out = model_->forward(val_cont_, val_cat_, val_eps_);
    const double neg_elbo = model_->NegElbo(out, val_cont_, val_cat_).mean().item<double>();
    // Fidelity of prior samples against held-out rows (same count on both sides).
    const int64_t n = std::min<int64_t>(kFidelitySamples, val_cont_.size(0));
    auto [cont, cat] = model_->Sample(n, DataGenerator(context().seed, 4));
    Metrics m = TabularFidelity(cont, cat, val_cont_.slice(0, 0, n), val_cat_.slice(0, 0, n));
    m["val_neg_elbo"] = neg_elbo;
    return m;
  }

 private:
  torch::Tensor mean_, std_;
  torch::Tensor train_cont_, train_cat_, val_cont_, val_cat_, val_eps_;
  Tvae model_{nullptr};
};

}  // namespace

TvaeImpl::TvaeImpl(TvaeOptions options_) : options(std::move(options_)) {
  const int64_t in = kTvaeContinuous + OneHotWidth();
  std::vector<int64_t> reversed(options.hidden().rbegin(), options.hidden().rend());
  encoder_ =
      register_module("encoder", Mlp(MlpOptions(in, options.hidden(), 2 * options.latent_dim())
                                         .activation(options.activation())));
  decoder_ = register_module(
      "decoder",
      Mlp(MlpOptions(options.latent_dim(), reversed, in).activation(options.activation())));
  log_sigma_ = register_parameter("log_sigma", torch::zeros({kTvaeContinuous}));
}

torch::Tensor TvaeImpl::Decode(const torch::Tensor& z, std::vector<torch::Tensor>* cat_logits) {
  torch::Tensor d = decoder_->forward(z);
  int64_t at = kTvaeContinuous;
  cat_logits->clear();
  for (int64_t k : kTvaeCategories) {
    cat_logits->push_back(d.slice(1, at, at + k));
    at += k;
  }
  return d.slice(1, 0, kTvaeContinuous);
}

TvaeOutput TvaeImpl::forward(const torch::Tensor& cont, const torch::Tensor& cat,
                             const torch::Tensor& eps) {
  TvaeOutput out;
  torch::Tensor h = encoder_->forward(torch::cat({cont, OneHot(cat)}, 1));
  out.mu = h.slice(1, 0, options.latent_dim());
  out.logvar = h.slice(1, options.latent_dim()).clamp(-10.0, 10.0);
  torch::Tensor z = out.mu + torch::exp(0.5 * out.logvar) * eps;
  out.cont_mean = Decode(z, &out.cat_logits);
  return out;
}

torch::Tensor TvaeImpl::NegElbo(const TvaeOutput& out, const torch::Tensor& cont,
                                const torch::Tensor& cat) {
  torch::Tensor sigma = torch::exp(log_sigma_);
  torch::Tensor nll =
      (0.5 * ((cont - out.cont_mean) / sigma).pow(2) + log_sigma_ + 0.5 * std::log(2.0 * M_PI))
          .sum(1);
  for (size_t j = 0; j < out.cat_logits.size(); ++j) {
    nll = nll + torch::nn::functional::cross_entropy(
                    out.cat_logits[j], cat.select(1, j),
                    torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  }
  torch::Tensor kl = 0.5 * (out.mu.pow(2) + out.logvar.exp() - 1.0 - out.logvar).sum(1);
  return nll + kl;
}

std::pair<torch::Tensor, torch::Tensor> TvaeImpl::Sample(int64_t n, torch::Generator gen) {
  const torch::Device device = log_sigma_.device();
  torch::Tensor z = torch::randn({n, options.latent_dim()}, gen).to(device);
  std::vector<torch::Tensor> logits;
  torch::Tensor mean = Decode(z, &logits);
  torch::Tensor cont =
      mean + torch::exp(log_sigma_) * torch::randn({n, kTvaeContinuous}, gen).to(device);
  std::vector<torch::Tensor> cats;
  for (const torch::Tensor& l : logits) {
    cats.push_back(torch::multinomial(torch::softmax(l, 1).cpu(), 1, false, gen).to(device));
  }
  return {cont, torch::cat(cats, 1)};
}

ModelInfo TvaeModelInfo() {
  return {kName,
          "tabular VAE on a synthetic table of 3 continuous and 2 categorical dependent columns",
          "val_neg_elbo", /*maximize=*/false, Specs()};
}

StatusOr<std::unique_ptr<Workload>> CreateTvaeWorkload(const nlohmann::json& params,
                                                       const WorkloadContext& context) {
  HPS_ASSIGN_OR_RETURN(Hyperparams hp, Hyperparams::Parse(kName, Specs(), params));
  return StartWorkload<TvaeWorkload>(kName, hp, context);
}

}  // namespace hpsweep::models
