#include "models/torchscript.h"

#include <torch/script.h>

#include <utility>

#include "models/hyperparams.h"
#include "models/tensor_file.h"
#include "models/training.h"

namespace hpsweep::models {
namespace {

constexpr char kName[] = "torchscript";

std::vector<HyperparamInfo> Specs() {
  TrainingDefaults d;
  d.optimizer = "adam";
  d.lr = 1e-3;
  d.batch_size = 32;
  d.epochs = 10;
  return ConcatHyperparams(
      {
          RequiredStringParam("module", "TorchScript file from torch.jit.save"),
          RequiredStringParam("train_data", "training table (.npy or .csv)"),
          StringParam("val_data", "", "validation table; empty: hold out val_fraction"),
          FloatParam("val_fraction", 0.2, 0.01, 0.9, "share held out when val_data is empty"),
          IntParam("target_columns", 1, 1, 100000, "trailing columns that are targets"),
          ChoiceParam("loss", "mse", {"mse", "cross_entropy"},
                      "mse on targets, or cross_entropy on logits vs a class-index column"),
      },
      TrainingHyperparams(d));
}

std::string Resolve(const WorkloadContext& ctx, const std::string& path) {
  if (ctx.base_dir.empty() || (!path.empty() && path[0] == '/')) return path;
  return ctx.base_dir + "/" + path;
}

// A status about one hyperparameter's file: same code and message, field "/name".
Status AtField(const Status& s, const std::string& name) {
  return Status(s.code(), "model 'torchscript': hyperparameter '" + name + "': " + s.message(),
                "/" + name);
}

struct Split {
  torch::Tensor x, y;
};

class TorchScriptWorkload : public TorchWorkload {
 public:
  TorchScriptWorkload(const Hyperparams& hp, const WorkloadContext& ctx, torch::jit::Module module,
                      std::string module_path, Split train, Split val, bool classify)
      : TorchWorkload(hp, ctx),
        module_(std::move(module)),
        module_path_(std::move(module_path)),
        classify_(classify),
        train_(std::move(train)),
        val_(std::move(val)) {
    train_.x = train_.x.to(ctx.device);
    train_.y = train_.y.to(ctx.device);
    val_.x = val_.x.to(ctx.device);
    val_.y = val_.y.to(ctx.device);
  }

  // Checks the module against the data on a few rows, then builds the optimizer.
  Status Start() {
    torch::Tensor out;
    Status probe = TorchCall("running the module on 2 training rows", [&] {
      torch::NoGradGuard no_grad;
      module_.eval();
      out = Forward(train_.x.slice(0, 0, 2));
    });
    // The user's module does not fit the data: their input to fix, not ours.
    if (!probe.ok()) return AtField(InvalidArgumentError(probe.message()), "module");
    if (classify_) {
      const int64_t max_label = train_.y.max().item<int64_t>();
      if (out.dim() != 2 || out.size(1) <= max_label) {
        return HyperparamError(kName, "module",
                               "must return logits [batch, classes] with classes > " +
                                   std::to_string(max_label) + " (largest label), got " +
                                   c10::str(out.sizes()));
      }
    } else if (out.dim() != 2 || out.size(1) != train_.y.size(1)) {
      return HyperparamError(kName, "module",
                             "must return [batch, " + std::to_string(train_.y.size(1)) +
                                 "] to match target_columns, got " + c10::str(out.sizes()));
    }
    if (has_metrics_) {
      // The module's own metrics() must answer on these rows too.
      Metrics probe_metrics;
      Status checked = TorchCall("calling metrics(output, target) of TorchScript module '" +
                                     module_path_ + "'",
                                 [&] {
        torch::NoGradGuard no_grad;
        probe_metrics = ModuleMetrics(out, train_.y.slice(0, 0, 2));
      });
      if (!checked.ok()) return AtField(InvalidArgumentError(checked.message()), "module");
    }
    std::vector<torch::Tensor> params = Parameters();
    if (params.empty()) return HyperparamError(kName, "module", "has no parameters to train");
    return InitOptimizer(std::move(params));
  }

  std::vector<torch::Tensor> Parameters() override {
    std::vector<torch::Tensor> out;
    for (const torch::Tensor& p : module_.parameters()) out.push_back(p);
    return out;
  }

  std::vector<torch::Tensor> Buffers() override {
    std::vector<torch::Tensor> out;
    for (const torch::Tensor& b : module_.buffers()) out.push_back(b);
    return out;
  }

  int64_t TrainSize() const override { return train_.x.size(0); }

 protected:
  torch::Tensor ComputeTrainLoss(const torch::Tensor& indices) override {
    // The only handle on randomness inside a user's module.
    torch::manual_seed(MixSeed({context().seed, static_cast<uint64_t>(step()), 0x75ull}));
    return Loss(Forward(Rows(train_.x, indices)), Rows(train_.y, indices));
  }

  Metrics ComputeMetrics() override {
    torch::Tensor out = Forward(val_.x);
    Metrics m;
    m["val_loss"] = Loss(out, val_.y).item<double>();
    if (classify_) {
      m["val_accuracy"] =
          out.argmax(1).eq(val_.y.squeeze(1)).to(torch::kDouble).mean().item<double>();
    }
    if (has_metrics_) {
      for (const auto& [name, value] : ModuleMetrics(out, val_.y)) m[name] = value;
    }
    return m;
  }

  void SetTraining(bool on) override { module_.train(on); }

  void SaveModel(torch::serialize::OutputArchive& archive) override {
    for (const auto& p : module_.named_parameters()) archive.write("param." + p.name, p.value);
    for (const auto& b : module_.named_buffers()) archive.write("buffer." + b.name, b.value, true);
  }

  void LoadModel(torch::serialize::InputArchive& archive) override {
    torch::NoGradGuard no_grad;
    for (const auto& p : module_.named_parameters()) {
      torch::Tensor t;
      archive.read("param." + p.name, t);
      p.value.copy_(t);
    }
    for (const auto& b : module_.named_buffers()) {
      torch::Tensor t;
      archive.read("buffer." + b.name, t, true);
      b.value.copy_(t);
    }
  }

 private:
  torch::Tensor Forward(const torch::Tensor& x) {
    torch::Tensor out = module_.forward({x}).toTensor();
    return out.dim() == 1 ? out.unsqueeze(1) : out;
  }

  torch::Tensor Loss(const torch::Tensor& out, const torch::Tensor& y) const {
    if (classify_) return torch::cross_entropy_loss(out, y.squeeze(1));
    return torch::mse_loss(out, y);
  }

  // The module's `metrics(output, target)` method: a dict of metric name to
  // a number or one-element tensor, e.g. {"val_mae": ...}. Throws (c10::Error,
  // or std::runtime_error for a wrong result type) when it does not answer so.
  Metrics ModuleMetrics(const torch::Tensor& out, const torch::Tensor& y) {
    const c10::IValue result = module_.get_method("metrics")({out, y});
    if (!result.isGenericDict()) {
      throw std::runtime_error("metrics() must return a Dict[str, Tensor or float], got " +
                               result.tagKind());
    }
    Metrics m;
    for (const auto& entry : result.toGenericDict()) {
      if (!entry.key().isString()) throw std::runtime_error("metrics() keys must be strings");
      const std::string name = entry.key().toStringRef();
      const c10::IValue& v = entry.value();
      if (v.isTensor() && v.toTensor().numel() == 1) {
        m[name] = v.toTensor().item<double>();
      } else if (v.isDouble()) {
        m[name] = v.toDouble();
      } else if (v.isInt()) {
        m[name] = static_cast<double>(v.toInt());
      } else {
        throw std::runtime_error("metrics()[\"" + name +
                                 "\"] must be a number or a one-element tensor, got " +
                                 v.tagKind());
      }
    }
    return m;
  }

  torch::jit::Module module_;
  // Where the module was loaded from, for messages.
  const std::string module_path_;
  const bool has_metrics_ = module_.find_method("metrics").has_value();
  const bool classify_;
  Split train_, val_;
};

// Splits a table into features and targets; labels become int64 for cross_entropy.
StatusOr<Split> ToSplit(const torch::Tensor& table, int64_t targets, bool classify,
                        const std::string& field) {
  const int64_t columns = table.size(1);
  if (targets >= columns) {
    return HyperparamError(kName, "target_columns",
                           "must be less than the " + std::to_string(columns) + " columns of " +
                               field + ", got " + std::to_string(targets));
  }
  Split s{table.slice(1, 0, columns - targets).contiguous(),
          table.slice(1, columns - targets).contiguous()};
  if (classify) {
    if (targets != 1) {
      return HyperparamError(kName, "target_columns", "must be 1 for cross_entropy");
    }
    if (!torch::equal(s.y, s.y.round()) || s.y.min().item<double>() < 0) {
      return HyperparamError(kName, field,
                             "needs non-negative integer class labels in its last column");
    }
    s.y = s.y.to(torch::kLong);
  }
  return s;
}

}  // namespace

ModelInfo TorchScriptModelInfo() {
  return {kName,
          "a user's TorchScript module (torch.jit.save) trained on a .npy or .csv table",
          "val_loss", /*maximize=*/false, Specs()};
}

StatusOr<std::unique_ptr<Workload>> CreateTorchScriptWorkload(const nlohmann::json& params,
                                                              const WorkloadContext& context) {
  HPS_ASSIGN_OR_RETURN(Hyperparams hp, Hyperparams::Parse(kName, Specs(), params));
  const bool classify = hp.String("loss") == "cross_entropy";
  const int64_t targets = hp.Int("target_columns");

  torch::jit::Module module;
  const std::string module_path = Resolve(context, hp.String("module"));
  Status loaded = TorchCall("loading TorchScript module '" + module_path + "'",
                            [&] { module = torch::jit::load(module_path, context.device); });
  if (!loaded.ok()) return AtField(InvalidArgumentError(loaded.message()), "module");

  StatusOr<torch::Tensor> train_table = ReadTable(Resolve(context, hp.String("train_data")));
  if (!train_table.ok()) return AtField(train_table.status(), "train_data");
  HPS_ASSIGN_OR_RETURN(Split train, ToSplit(*train_table, targets, classify, "train_data"));
  Split val;
  if (hp.String("val_data").empty()) {
    const int64_t rows = train.x.size(0);
    const int64_t held =
        std::max<int64_t>(1, static_cast<int64_t>(rows * hp.Float("val_fraction")));
    if (held >= rows) {
      return HyperparamError(kName, "val_fraction",
                             "leaves no training rows out of " + std::to_string(rows));
    }
    torch::Tensor perm = torch::randperm(rows, DataGenerator(context.data_seed, 0), torch::kLong);
    torch::Tensor train_idx = perm.slice(0, 0, rows - held), val_idx = perm.slice(0, rows - held);
    val = {train.x.index_select(0, val_idx), train.y.index_select(0, val_idx)};
    train = {train.x.index_select(0, train_idx), train.y.index_select(0, train_idx)};
  } else {
    StatusOr<torch::Tensor> val_table = ReadTable(Resolve(context, hp.String("val_data")));
    if (!val_table.ok()) return AtField(val_table.status(), "val_data");
    HPS_ASSIGN_OR_RETURN(val, ToSplit(*val_table, targets, classify, "val_data"));
    if (val.x.size(1) != train.x.size(1)) {
      return HyperparamError(kName, "val_data",
                             "has " + std::to_string(val.x.size(1)) + " feature columns, " +
                                 "train_data has " + std::to_string(train.x.size(1)));
    }
  }
  return StartWorkload<TorchScriptWorkload>(kName, hp, context, std::move(module), module_path,
                                            train, val, classify);
}

}  // namespace hpsweep::models
