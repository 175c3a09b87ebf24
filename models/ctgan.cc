#include "models/ctgan.h"

#include <cmath>
#include <string>
#include <utility>

#include "models/hyperparams.h"
#include "models/mixed_table.h"
#include "models/param_groups.h"
#include "models/training.h"

namespace hpsweep::models {
namespace {

constexpr char kName[] = "ctgan";
constexpr int64_t kFidelitySamples = 1024;
constexpr double kGumbelTau = 0.2;  // the paper's
// Parameter groups, in Groups() order.
constexpr int kCritic = 0;
constexpr int kGenerator = 1;
// SampleNoise streams of one update (offset by 64 per update).
constexpr uint64_t kStreamCond = 1, kStreamZ = 2, kStreamGumbel = 3, kStreamMix = 4,
                   kStreamDropout = 8;

std::vector<HyperparamInfo> Specs() {
  std::vector<HyperparamInfo> own = {
      IntParam("embedding_dim", 128, 1, 4096, "generator noise dimension"),
      IntListParam("generator_dims", {256, 256}, 1, 65536, "generator residual block widths"),
      IntListParam("discriminator_dims", {256, 256}, 1, 65536, "critic hidden widths"),
      IntParam("pac", 10, 1, 64, "rows per critic input (PacGAN)"),
      IntParam("d_steps", 1, 1, 16, "critic updates per generator update"),
      FloatParam("gp_weight", 10.0, 0.0, 1000.0, "WGAN-GP gradient penalty weight"),
      FloatParam("dropout", 0.5, 0.0, 0.95, "critic dropout"),
      IntParam("max_modes", 10, 1, 64, "Gaussian modes per continuous column (EM fit)"),
      IntParam("train_size", 4096, 64, 1 << 20, "training rows"),
      IntParam("val_size", 1024, 16, 1 << 20, "validation rows"),
      IntParam("batch_size", 500, 1, 1 << 16, "rows per step, a multiple of pac"),
      IntParam("epochs", 100, 1, 1000000, "passes over the training packs"),
  };
  std::vector<HyperparamInfo> groups =
      ConcatHyperparams(GroupOptimizerHyperparams("d", "critic", {}),
                        GroupOptimizerHyperparams("g", "generator", {}));
  return ConcatHyperparams(std::move(own), groups);
}

// Per-span activation of the generator's raw output: tanh for alphas,
// Gumbel-softmax (temperature kGumbelTau) with the uniforms `u` for one-hots.
torch::Tensor Activate(const TableTransform& t, const torch::Tensor& raw, const torch::Tensor& u) {
  std::vector<torch::Tensor> parts;
  for (const Span& s : t.spans()) {
    torch::Tensor x = raw.slice(1, s.start, s.start + s.width);
    if (!s.softmax) {
      parts.push_back(torch::tanh(x));
      continue;
    }
    torch::Tensor g = -torch::log(-torch::log(u.slice(1, s.start, s.start + s.width) + 1e-20) + 1e-20);
    parts.push_back(torch::softmax((x + g) / kGumbelTau, 1));
  }
  return torch::cat(parts, 1);
}

// Parameters whose requires_grad is off for the guard's life: the critic
// during a generator update, so that backward stops at the generator.
class FrozenScope {
 public:
  explicit FrozenScope(std::vector<torch::Tensor> params) : params_(std::move(params)) {
    for (torch::Tensor& p : params_) p.requires_grad_(false);
  }
  ~FrozenScope() {
    for (torch::Tensor& p : params_) p.requires_grad_(true);
  }
  FrozenScope(const FrozenScope&) = delete;
  FrozenScope& operator=(const FrozenScope&) = delete;

 private:
  std::vector<torch::Tensor> params_;
};

class CtganWorkload : public TorchWorkload {
 public:
  CtganWorkload(const Hyperparams& hp, const WorkloadContext& ctx)
      : TorchWorkload(hp, ctx),
        hp_(hp),
        pac_(hp.Int("pac")),
        d_steps_(static_cast<int>(hp.Int("d_steps"))),
        gp_weight_(hp.Float("gp_weight")),
        dropout_(hp.Float("dropout")),
        packs_(hp.Int("train_size") / pac_),
        batch_packs_(hp.Int("batch_size") / pac_) {
    const std::vector<int64_t> categories(kMixedCategories.begin(), kMixedCategories.end());
    MixedTable train = GenerateMixedTable(hp.Int("train_size"), ctx.data_seed, 0);
    MixedTable val = GenerateMixedTable(hp.Int("val_size"), ctx.data_seed, 1);
    mean_ = train.continuous.mean(0, true);
    std_ = train.continuous.std(0, true, true).clamp_min(1e-6);
    transform_ = std::make_unique<TableTransform>(train.continuous, categories, hp.Int("max_modes"));
    sampler_ = std::make_unique<ConditionalSampler>(train.categorical, categories);
    train_rows_ =
        transform_->Encode(train.continuous, train.categorical, DataGenerator(ctx.data_seed, 5)).to(ctx.device);
    val_cont_ = (val.continuous - mean_) / std_;
    val_cat_ = val.categorical;
    WithInitSeed(ctx.seed, [&] {
      model_ = Ctgan(CtganOptions(transform_->Width(), sampler_->Width())
                         .embedding_dim(hp.Int("embedding_dim"))
                         .generator_dims(hp.IntList("generator_dims"))
                         .discriminator_dims(hp.IntList("discriminator_dims"))
                         .pac(pac_)
                         .dropout(dropout_));
    });
  }

  Status Start() {
    std::vector<int> updates(static_cast<size_t>(d_steps_), kCritic);
    updates.push_back(kGenerator);
    return InitGroups(
        model_.ptr(),
        [&] {
          std::vector<GroupSpec> groups;
          std::vector<torch::Tensor> d = model_->discriminator->parameters();
          std::vector<torch::Tensor> g = model_->generator->parameters();
          groups.push_back({"discriminator", d, MakeGroupOptimizer(hp_, "d", d)});
          groups.push_back({"generator", g, MakeGroupOptimizer(hp_, "g", g)});
          return groups;
        },
        std::move(updates));
  }

  int64_t TrainSize() const override { return packs_; }
  int64_t BatchSize() const override { return batch_packs_; }

 protected:
  torch::Tensor ComputeTrainLoss(const torch::Tensor& indices) override {
    return ComputeUpdateLoss(0, indices);
  }

  torch::Tensor ComputeUpdateLoss(int update, const torch::Tensor& indices) override {
    const bool generator = update == d_steps_;
    const int group = generator ? kGenerator : kCritic;
    ApplyLrSchedule(hp_, generator ? "g" : "d", step(), TotalSteps(), *Groups()[group].optimizer);
    SampleNoise noise = Noise(indices);
    const uint64_t base = 64 * static_cast<uint64_t>(update);
    const int64_t packs = indices.size(0), rows = packs * pac_;
    const int64_t width = transform_->Width(), emb = model_->options.embedding_dim();
    ConditionalSampler::Draw draw =
        sampler_->Sample(noise.Uniform(base + kStreamCond, {pac_, 3}).reshape({rows, 3}));
    torch::Tensor cond = draw.cond.to(device());
    torch::Tensor z = noise.Normal(base + kStreamZ, {pac_, emb}).reshape({rows, emb});
    torch::Tensor gumbel = noise.Uniform(base + kStreamGumbel, {pac_, width}).reshape({rows, width});
    auto dropout = [&](int layer, const torch::Tensor& h) {
      return noise.Dropout(base + kStreamDropout + static_cast<uint64_t>(layer), h, dropout_);
    };
    auto pack = [&](const torch::Tensor& x) {
      return torch::cat({x, cond}, 1).reshape({packs, pac_ * (width + cond.size(1))});
    };
    if (!generator) {
      torch::Tensor fake;
      {
        torch::NoGradGuard no_grad;
        fake = Activate(*transform_, model_->generator->forward(z, cond), gumbel);
      }
      torch::Tensor fake_in = pack(fake);
      torch::Tensor real_in = pack(Rows(train_rows_, draw.rows));
      torch::Tensor mix = noise.Uniform(base + kStreamMix, {1});  // [packs, 1]
      torch::Tensor interp = (mix * real_in + (1.0 - mix) * fake_in).detach().requires_grad_(true);
      torch::Tensor scores =
          model_->discriminator->forward(torch::stack({fake_in, real_in, interp}, 1), dropout);
      torch::Tensor grad = torch::autograd::grad({scores.select(1, 2).sum()}, {interp}, {},
                                                 /*retain_graph=*/true, /*create_graph=*/true)[0];
      torch::Tensor penalty = (grad.norm(2, 1) - 1.0).pow(2).mean();
      return scores.select(1, 0).mean() - scores.select(1, 1).mean() + gp_weight_ * penalty;
    }
    FrozenScope frozen(model_->discriminator->parameters());
    torch::Tensor raw = model_->generator->forward(z, cond);
    torch::Tensor fake = Activate(*transform_, raw, gumbel);
    torch::Tensor scores = model_->discriminator->forward(pack(fake).unsqueeze(1), dropout);
    // Cross-entropy of the conditioned column's generated logits against the
    // condition (each row conditions one categorical column).
    torch::Tensor column = draw.column.to(device()), category = draw.category.to(device());
    torch::Tensor ce = torch::zeros({rows}, raw.options());
    for (size_t j = 0; j < transform_->categories().size(); ++j) {
      const Span& s = transform_->spans()[transform_->CategoricalSpan(j)];
      torch::Tensor on = column.eq(static_cast<int64_t>(j));
      torch::Tensor target = torch::where(on, category, torch::zeros_like(category));
      torch::Tensor term = torch::nn::functional::cross_entropy(
          raw.slice(1, s.start, s.start + s.width), target,
          torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
      ce = ce + term * on.to(term.dtype());
    }
    return -scores.mean() + ce.mean();
  }

  Metrics ComputeMetrics() override {
    const int64_t n = std::min<int64_t>(kFidelitySamples, val_cont_.size(0));
    torch::Generator gen = DataGenerator(context().seed, 6);
    const int64_t emb = model_->options.embedding_dim();
    torch::Tensor z = torch::randn({n, emb}, gen);
    torch::Tensor cond = sampler_->SampleOriginal(torch::rand({n, 2}, gen));
    torch::Tensor u = torch::rand({n, transform_->Width()}, gen);
    torch::Tensor raw = model_->generator->forward(z.to(device()), cond.to(device()));
    auto [cont, cat] = transform_->Decode(Activate(*transform_, raw, u.to(device())));
    return TabularFidelity((cont - mean_) / std_, cat, val_cont_.slice(0, 0, n),
                           val_cat_.slice(0, 0, n));
  }

 private:
  int64_t TotalSteps() const { return Epochs() * (packs_ / batch_packs_); }

  const Hyperparams hp_;
  const int64_t pac_;
  const int d_steps_;
  const double gp_weight_;
  const double dropout_;
  const int64_t packs_, batch_packs_;
  torch::Tensor mean_, std_;
  std::unique_ptr<TableTransform> transform_;
  std::unique_ptr<ConditionalSampler> sampler_;
  torch::Tensor train_rows_;        // encoded, on the device
  torch::Tensor val_cont_, val_cat_;  // standardised, CPU
  Ctgan model_{nullptr};
};

}  // namespace

CtganGeneratorImpl::CtganGeneratorImpl(const CtganOptions& o) {
  int64_t dim = o.embedding_dim() + o.cond_dim();
  for (size_t i = 0; i < o.generator_dims().size(); ++i) {
    const int64_t d = o.generator_dims()[i];
    fc_.push_back(register_module("fc" + std::to_string(i), torch::nn::Linear(dim, d)));
    norm_.push_back(register_module("norm" + std::to_string(i),
                                    torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}))));
    dim += d;
  }
  out_ = register_module("out", torch::nn::Linear(dim, o.data_dim()));
}

torch::Tensor CtganGeneratorImpl::forward(const torch::Tensor& z, const torch::Tensor& cond) {
  torch::Tensor x = torch::cat({z, cond}, 1);
  for (size_t i = 0; i < fc_.size(); ++i) {
    x = torch::cat({torch::relu(norm_[i]->forward(fc_[i]->forward(x))), x}, 1);
  }
  return out_->forward(x);
}

CtganDiscriminatorImpl::CtganDiscriminatorImpl(const CtganOptions& o) {
  int64_t dim = o.pac() * (o.data_dim() + o.cond_dim());
  for (size_t i = 0; i < o.discriminator_dims().size(); ++i) {
    fc_.push_back(register_module("fc" + std::to_string(i),
                                  torch::nn::Linear(dim, o.discriminator_dims()[i])));
    dim = o.discriminator_dims()[i];
  }
  out_ = register_module("out", torch::nn::Linear(dim, 1));
}

torch::Tensor CtganDiscriminatorImpl::forward(
    const torch::Tensor& x, const std::function<torch::Tensor(int, const torch::Tensor&)>& dropout) {
  torch::Tensor h = x;
  for (size_t i = 0; i < fc_.size(); ++i) {
    h = torch::leaky_relu(fc_[i]->forward(h), 0.2);
    if (is_training() && dropout) h = dropout(static_cast<int>(i), h);
  }
  return out_->forward(h).squeeze(-1);
}

CtganImpl::CtganImpl(const CtganOptions& o) : options(o) {
  generator = register_module("generator", CtganGenerator(o));
  discriminator = register_module("discriminator", CtganDiscriminator(o));
}

ModelInfo CtganModelInfo() {
  return {kName,
          "conditional tabular GAN (WGAN-GP, PacGAN, mode-specific normalization) on tvae's "
          "synthetic table of 3 continuous and 2 categorical dependent columns",
          "val_fidelity_distance", /*maximize=*/false, Specs()};
}

StatusOr<std::unique_ptr<Workload>> CreateCtganWorkload(const nlohmann::json& params,
                                                        const WorkloadContext& context) {
  HPS_ASSIGN_OR_RETURN(Hyperparams hp, Hyperparams::Parse(kName, Specs(), params));
  const int64_t pac = hp.Int("pac");
  if (hp.Int("batch_size") % pac != 0) {
    return HyperparamError(kName, "batch_size", "must be a multiple of pac (" + std::to_string(pac) + ")");
  }
  if (hp.Int("train_size") < hp.Int("batch_size")) {
    return HyperparamError(kName, "train_size",
                           "must be at least batch_size (" + std::to_string(hp.Int("batch_size")) + ")");
  }
  return StartWorkload<CtganWorkload>(kName, hp, context);
}

}  // namespace hpsweep::models
