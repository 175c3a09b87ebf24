#include "models/mlp.h"

#include <utility>

#include "models/hyperparams.h"

namespace hpsweep::models {
namespace {

constexpr char kName[] = "mlp";
// Hidden width of the teacher network that labels the synthetic data.
constexpr int64_t kTeacherWidth = 32;

torch::Tensor Activate(const std::string& name, const torch::Tensor& x) {
  if (name == "tanh") return torch::tanh(x);
  if (name == "gelu") return Gelu(x);
  return torch::relu(x);
}

std::vector<HyperparamInfo> Specs() {
  TrainingDefaults d;
  d.optimizer = "sgd";
  d.lr = 0.01;
  d.momentum = 0.9;
  d.batch_size = 128;
  d.epochs = 10;
  return ConcatHyperparams(
      {
          ChoiceParam("task", "classification", {"classification", "regression"},
                      "cross-entropy on teacher labels, or MSE on teacher outputs"),
          IntParam("in_features", 256, 1, 65536, "input features"),
          IntListParam("hidden", {1024, 1024}, 1, 65536, "hidden layer widths"),
          IntParam("classes", 10, 2, 10000, "classes (classification)"),
          IntParam("outputs", 1, 1, 10000, "regression targets (regression)"),
          ChoiceParam("activation", "relu", {"relu", "tanh", "gelu"}, "hidden activation"),
          FloatParam("dropout", 0.0, 0.0, 0.9, "dropout after each hidden layer"),
          IntParam("train_size", 4096, 16, 1 << 20, "synthetic training rows"),
          IntParam("val_size", 1024, 16, 1 << 20, "synthetic validation rows"),
          FloatParam("noise", 0.1, 0.0, 10.0, "std of the regression target noise"),
      },
      TrainingHyperparams(d));
}

struct Table {
  torch::Tensor x, y;
};

Table MakeTable(int64_t n, const torch::Tensor& w1, const torch::Tensor& w2, bool classify,
                double noise, torch::Generator gen) {
  torch::Tensor x = torch::randn({n, w1.size(0)}, gen);
  torch::Tensor t = torch::mm(torch::tanh(torch::mm(x, w1)), w2);
  if (classify) return {x, t.argmax(1)};
  return {x, t + noise * torch::randn(t.sizes(), gen)};
}

class MlpWorkload : public TorchWorkload {
 public:
  MlpWorkload(const Hyperparams& hp, const WorkloadContext& ctx)
      : TorchWorkload(hp, ctx), classify_(hp.String("task") == "classification") {
    const int64_t in = hp.Int("in_features");
    const int64_t out = classify_ ? hp.Int("classes") : hp.Int("outputs");
    TabularData data = GenerateTabularData(in, out, classify_, hp.Int("train_size"),
                                           hp.Int("val_size"), hp.Float("noise"), ctx.data_seed);
    train_x_ = data.train_x.to(ctx.device);
    train_y_ = data.train_y.to(ctx.device);
    val_x_ = data.val_x.to(ctx.device);
    val_y_ = data.val_y.to(ctx.device);
    WithInitSeed(ctx.seed, [&] {
      model_ = Mlp(MlpOptions(in, hp.IntList("hidden"), out)
                       .activation(hp.String("activation"))
                       .dropout(hp.Float("dropout")));
    });
  }

  Status Start() { return Init(model_.ptr()); }

  int64_t TrainSize() const override { return train_x_.size(0); }

 protected:
  torch::Tensor ComputeTrainLoss(const torch::Tensor& indices) override {
    SampleNoise noise = Noise(indices);
    torch::Tensor out = model_->forward(Rows(train_x_, indices), &noise);
    return Loss(out, Rows(train_y_, indices));
  }

  Metrics ComputeMetrics() override {
    torch::Tensor out = model_->forward(val_x_);
    Metrics m;
    m["val_loss"] = Loss(out, val_y_).item<double>();
    if (classify_) {
      m["val_accuracy"] = out.argmax(1).eq(val_y_).to(torch::kDouble).mean().item<double>();
    } else {
      const double mse = torch::mse_loss(out, val_y_).item<double>();
      const double var = (val_y_ - val_y_.mean(0)).pow(2).mean().item<double>();
      m["val_mse"] = mse;
      m["val_r2"] = 1.0 - mse / std::max(var, 1e-12);
    }
    return m;
  }

 private:
  torch::Tensor Loss(const torch::Tensor& out, const torch::Tensor& y) const {
    return classify_ ? torch::cross_entropy_loss(out, y) : torch::mse_loss(out, y);
  }

  const bool classify_;
  torch::Tensor train_x_, train_y_, val_x_, val_y_;
  Mlp model_{nullptr};
};

}  // namespace

TabularData GenerateTabularData(int64_t in_features, int64_t outputs, bool classify,
                                int64_t train_size, int64_t val_size, double noise, uint64_t seed) {
  torch::Generator teacher = DataGenerator(seed, 2);
  torch::Tensor w1 =
      torch::randn({in_features, kTeacherWidth}, teacher) * (2.0 / std::sqrt(in_features));
  torch::Tensor w2 =
      torch::randn({kTeacherWidth, outputs}, teacher) * (3.0 / std::sqrt(kTeacherWidth));
  Table train = MakeTable(train_size, w1, w2, classify, noise, DataGenerator(seed, 0));
  Table val = MakeTable(val_size, w1, w2, classify, noise, DataGenerator(seed, 1));
  return {train.x, train.y, val.x, val.y};
}

MlpImpl::MlpImpl(MlpOptions options_) : options(std::move(options_)) {
  layers_ = register_module("layers", torch::nn::ModuleList());
  int64_t width = options.in_features();
  for (int64_t h : options.hidden()) {
    layers_->push_back(torch::nn::Linear(width, h));
    width = h;
  }
  layers_->push_back(torch::nn::Linear(width, options.out_features()));
}

torch::Tensor MlpImpl::forward(torch::Tensor x, const SampleNoise* noise) {
  const size_t n = layers_->size();
  for (size_t i = 0; i < n; ++i) {
    x = layers_[i]->as<torch::nn::Linear>()->forward(x);
    if (i + 1 < n) {
      x = Activate(options.activation(), x);
      if (noise != nullptr) x = noise->Dropout(i, x, options.dropout());
    }
  }
  return x;
}

ModelInfo MlpModelInfo() {
  return {kName,
          "multilayer perceptron on a synthetic tabular task (classification or regression); "
          "defaults are the training benchmark: 256-1024-1024-10, ReLU, SGD(0.01, 0.9), batch 128",
          "val_loss", /*maximize=*/false, Specs()};
}

StatusOr<std::unique_ptr<Workload>> CreateMlpWorkload(const nlohmann::json& params,
                                                      const WorkloadContext& context) {
  HPS_ASSIGN_OR_RETURN(Hyperparams hp, Hyperparams::Parse(kName, Specs(), params));
  return StartWorkload<MlpWorkload>(kName, hp, context);
}

}  // namespace hpsweep::models
