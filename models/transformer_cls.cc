#include "models/transformer_cls.h"

#include <cmath>
#include <utility>

#include "models/hyperparams.h"

namespace hpsweep::models {
namespace {

constexpr char kName[] = "transformer_cls";

std::vector<HyperparamInfo> Specs() {
  TrainingDefaults d;
  d.optimizer = "adamw";
  d.lr = 1e-3;
  d.weight_decay = 0.01;
  d.batch_size = 64;
  d.epochs = 20;
  return ConcatHyperparams(
      {
          IntParam("d_model", 64, 4, 4096, "embedding width (divisible by heads)"),
          IntParam("heads", 4, 1, 64, "attention heads"),
          IntParam("layers", 2, 1, 24, "encoder layers"),
          IntParam("ff_dim", 128, 1, 65536, "feed-forward hidden width"),
          FloatParam("dropout", 0.1, 0.0, 0.9, "dropout in each encoder layer"),
          IntParam("vocab", 8, 2, 100000, "token vocabulary of the synthetic task"),
          IntParam("seq_len", 24, 2, 4096, "tokens per sequence"),
          IntParam("train_size", 4096, 16, 1 << 20, "training sequences"),
          IntParam("val_size", 1024, 16, 1 << 20, "validation sequences"),
      },
      TrainingHyperparams(d));
}

class TransformerClsWorkload : public TorchWorkload {
 public:
  TransformerClsWorkload(const Hyperparams& hp, const WorkloadContext& ctx)
      : TorchWorkload(hp, ctx) {
    const int64_t len = hp.Int("seq_len"), vocab = hp.Int("vocab");
    SequenceData train = GenerateSequenceData(hp.Int("train_size"), len, vocab, ctx.data_seed, 0);
    SequenceData val = GenerateSequenceData(hp.Int("val_size"), len, vocab, ctx.data_seed, 1);
    train_x_ = train.tokens.to(ctx.device);
    train_y_ = train.labels.to(ctx.device);
    val_x_ = val.tokens.to(ctx.device);
    val_y_ = val.labels.to(ctx.device);
    WithInitSeed(ctx.seed, [&] {
      model_ = TransformerCls(TransformerClsOptions(vocab, len)
                                  .d_model(hp.Int("d_model"))
                                  .heads(hp.Int("heads"))
                                  .layers(hp.Int("layers"))
                                  .ff_dim(hp.Int("ff_dim"))
                                  .dropout(hp.Float("dropout")));
    });
  }

  Status Start() { return Init(model_.ptr()); }

  int64_t TrainSize() const override { return train_x_.size(0); }

 protected:
  torch::Tensor ComputeTrainLoss(const torch::Tensor& indices) override {
    SampleNoise noise = Noise(indices);
    return torch::cross_entropy_loss(model_->forward(Rows(train_x_, indices), &noise),
                                     Rows(train_y_, indices));
  }

  Metrics ComputeMetrics() override {
    torch::Tensor logits = model_->forward(val_x_);
    Metrics m;
    m["val_loss"] = torch::cross_entropy_loss(logits, val_y_).item<double>();
    m["val_accuracy"] = logits.argmax(1).eq(val_y_).to(torch::kDouble).mean().item<double>();
    return m;
  }

 private:
  torch::Tensor train_x_, train_y_, val_x_, val_y_;
  TransformerCls model_{nullptr};
};

}  // namespace

EncoderLayerImpl::EncoderLayerImpl(int64_t d_model, int64_t heads, int64_t ff_dim, double dropout)
    : heads_(heads), dropout_(dropout) {
  norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  qkv_ = register_module("qkv", torch::nn::Linear(d_model, 3 * d_model));
  out_ = register_module("out", torch::nn::Linear(d_model, d_model));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  ff1_ = register_module("ff1", torch::nn::Linear(d_model, ff_dim));
  ff2_ = register_module("ff2", torch::nn::Linear(ff_dim, d_model));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const SampleNoise* noise,
                                        uint64_t stream) {
  const int64_t b = x.size(0), l = x.size(1), d = x.size(2), hd = d / heads_;
  // [B, L, 3, H, hd] -> three [B, H, L, hd].
  torch::Tensor qkv = qkv_->forward(norm1_->forward(x)).view({b, l, 3, heads_, hd});
  torch::Tensor q = qkv.select(2, 0).transpose(1, 2);
  torch::Tensor k = qkv.select(2, 1).transpose(1, 2);
  torch::Tensor v = qkv.select(2, 2).transpose(1, 2);
  torch::Tensor att = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(hd), -1);
  torch::Tensor a = out_->forward(torch::matmul(att, v).transpose(1, 2).reshape({b, l, d}));
  if (noise != nullptr) a = noise->Dropout(2 * stream, a, dropout_);
  torch::Tensor h = x + a;
  torch::Tensor f = ff2_->forward(Gelu(ff1_->forward(norm2_->forward(h))));
  if (noise != nullptr) f = noise->Dropout(2 * stream + 1, f, dropout_);
  return h + f;
}

TransformerClsImpl::TransformerClsImpl(TransformerClsOptions options_)
    : options(std::move(options_)) {
  // Token id vocab_size is [CLS].
  token_ =
      register_module("token", torch::nn::Embedding(options.vocab_size() + 1, options.d_model()));
  position_ =
      register_module("position", torch::nn::Embedding(options.max_len() + 1, options.d_model()));
  layers_ = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.layers(); ++i) {
    layers_->push_back(
        EncoderLayer(options.d_model(), options.heads(), options.ff_dim(), options.dropout()));
  }
  norm_ = register_module("norm",
                          torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.d_model()})));
  head_ = register_module("head", torch::nn::Linear(options.d_model(), options.classes()));
}

torch::Tensor TransformerClsImpl::forward(const torch::Tensor& tokens, const SampleNoise* noise) {
  const int64_t b = tokens.size(0), l = tokens.size(1) + 1;
  torch::Tensor cls = torch::full({b, 1}, options.vocab_size(), tokens.options());
  torch::Tensor ids = torch::cat({cls, tokens}, 1);
  torch::Tensor pos = torch::arange(l, tokens.options());
  torch::Tensor x = token_->forward(ids) + position_->forward(pos).unsqueeze(0);
  for (size_t i = 0; i < layers_->size(); ++i) {
    x = layers_[i]->as<EncoderLayer>()->forward(x, noise, i);
  }
  return head_->forward(norm_->forward(x.select(1, 0)));
}

SequenceData GenerateSequenceData(int64_t n, int64_t seq_len, int64_t vocab, uint64_t seed,
                                  uint64_t stream) {
  torch::Generator gen = DataGenerator(seed, stream);
  torch::Tensor tokens = torch::randint(vocab, {n, seq_len}, gen, torch::kLong);
  torch::Tensor labels = torch::randperm(n, gen, torch::kLong).remainder(2);  // exactly balanced
  torch::Tensor first = tokens.select(1, 0);
  // Different last token: first + 1 + r (mod vocab), r in [0, vocab - 1).
  torch::Tensor shift = torch::randint(vocab - 1, {n}, gen, torch::kLong) + 1;
  torch::Tensor last = torch::where(labels.eq(1), first, (first + shift).remainder(vocab));
  tokens.select(1, seq_len - 1).copy_(last);
  return {tokens, labels};
}

ModelInfo TransformerClsModelInfo() {
  return {kName,
          "transformer encoder classifier; synthetic task: are the first and last tokens equal?",
          "val_accuracy", /*maximize=*/true, Specs()};
}

StatusOr<std::unique_ptr<Workload>> CreateTransformerClsWorkload(const nlohmann::json& params,
                                                                 const WorkloadContext& context) {
  HPS_ASSIGN_OR_RETURN(Hyperparams hp, Hyperparams::Parse(kName, Specs(), params));
  if (hp.Int("d_model") % hp.Int("heads") != 0) {
    return HyperparamError(kName, "d_model",
                           "must be divisible by heads (" + std::to_string(hp.Int("heads")) +
                               "), got " + std::to_string(hp.Int("d_model")));
  }
  return StartWorkload<TransformerClsWorkload>(kName, hp, context);
}

}  // namespace hpsweep::models
