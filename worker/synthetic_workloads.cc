#include "worker/synthetic_workloads.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <limits>
#include <string>
#include <utility>

namespace hpsweep::worker {
namespace {

using Options = SyntheticWorkloadOptions;

struct LstmFreqImpl : torch::nn::Module {
  LstmFreqImpl()
      : lstm(register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(5, 128).num_layers(2).batch_first(true)))),
        head(register_module("head", torch::nn::Linear(128, 1))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return head->forward(std::get<0>(lstm->forward(x))).squeeze(-1);
  }
  torch::nn::LSTM lstm;
  torch::nn::Linear head;
};
TORCH_MODULE(LstmFreq);

class SyntheticWorkload final : public models::Workload {
 public:
  explicit SyntheticWorkload(const Options& o) : o_(o) {
    // Parameter initialisation draws from the default generator: seed it so
    // every rank builds the same model.
    torch::manual_seed(o.seed);
    at::Generator gen = at::detail::createCPUGenerator(o.seed + 1);
    const int64_t n = o.train_size + o.val_size;
    torch::Tensor x, y;
    if (o.kind == Options::Kind::kMlp) {
      auto seq = torch::nn::Sequential();
      for (size_t i = 0; i + 1 < o.layers.size(); ++i) {
        seq->push_back(torch::nn::Linear(o.layers[i], o.layers[i + 1]));
        if (i + 2 < o.layers.size()) seq->push_back(torch::nn::ReLU());
      }
      mlp_ = seq;
      net_ = seq.ptr();
      x = torch::randn({n, o.layers.front()}, gen);
      y = o.regression ? torch::randn({n, o.layers.back()}, gen)
                       : torch::randint(0, o.layers.back(), {n}, gen, torch::kLong);
      optimizer_ = std::make_unique<torch::optim::SGD>(
          net_->parameters(), torch::optim::SGDOptions(o.lr > 0 ? o.lr : 0.01).momentum(o.momentum));
    } else {
      lstm_ = LstmFreq();
      net_ = lstm_.ptr();
      x = torch::randn({n, 50, 5}, gen);
      y = torch::randn({n, 50}, gen);
      optimizer_ = std::make_unique<torch::optim::Adam>(
          net_->parameters(), torch::optim::AdamOptions(o.lr > 0 ? o.lr : 1e-3));
    }
    train_x_ = x.narrow(0, 0, o.train_size).contiguous();
    train_y_ = y.narrow(0, 0, o.train_size).contiguous();
    val_x_ = x.narrow(0, o.train_size, o.val_size).contiguous();
    val_y_ = y.narrow(0, o.train_size, o.val_size).contiguous();
  }

  std::vector<torch::Tensor> Parameters() override { return net_->parameters(); }
  std::vector<torch::Tensor> Buffers() override { return net_->buffers(); }
  torch::optim::Optimizer& optimizer() override { return *optimizer_; }
  int64_t TrainSize() const override { return o_.train_size; }
  int64_t BatchSize() const override { return o_.batch_size; }
  int64_t Epochs() const override { return o_.epochs; }

  StatusOr<torch::Tensor> TrainLoss(const torch::Tensor& indices) override {
    try {
      net_->train();
      torch::Tensor loss = Loss(train_x_.index_select(0, indices), train_y_.index_select(0, indices));
      if (calls_++ == o_.nan_at_call) loss = loss * std::numeric_limits<float>::quiet_NaN();
      return loss;
    } catch (const c10::Error& e) {
      return InternalError(std::string("synthetic TrainLoss: ") + e.what_without_backtrace());
    }
  }

  StatusOr<models::Metrics> Evaluate() override {
    try {
      torch::NoGradGuard no_grad;
      net_->eval();
      return models::Metrics{{"val_loss", Loss(val_x_, val_y_).item<double>()}};
    } catch (const c10::Error& e) {
      return InternalError(std::string("synthetic Evaluate: ") + e.what_without_backtrace());
    }
  }

  Status Save(torch::serialize::OutputArchive& archive) override {
    try {
      torch::serialize::OutputArchive model, opt;
      net_->save(model);
      optimizer_->save(opt);
      archive.write("model", model);
      archive.write("optimizer", opt);
      archive.write("calls", c10::IValue(calls_));
    } catch (const c10::Error& e) {
      return InternalError(std::string("synthetic Save: ") + e.what_without_backtrace());
    }
    return Status::Ok();
  }

  Status Load(torch::serialize::InputArchive& archive) override {
    try {
      torch::serialize::InputArchive model, opt;
      archive.read("model", model);
      archive.read("optimizer", opt);
      net_->load(model);
      optimizer_->load(opt);
      c10::IValue calls;
      archive.read("calls", calls);
      calls_ = calls.toInt();
    } catch (const c10::Error& e) {
      return DataLossError(std::string("synthetic Load: ") + e.what_without_backtrace());
    }
    return Status::Ok();
  }

 private:
  torch::Tensor Loss(const torch::Tensor& x, const torch::Tensor& y) {
    if (o_.kind == Options::Kind::kLstmFreq) return torch::mse_loss(lstm_->forward(x), y);
    torch::Tensor out = mlp_->forward(x);
    return o_.regression ? torch::mse_loss(out, y) : torch::cross_entropy_loss(out, y);
  }

  Options o_;
  torch::nn::Sequential mlp_{nullptr};
  LstmFreq lstm_{nullptr};
  std::shared_ptr<torch::nn::Module> net_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  torch::Tensor train_x_, train_y_, val_x_, val_y_;
  int64_t calls_ = 0;
};

}  // namespace

StatusOr<std::unique_ptr<models::Workload>> MakeSyntheticWorkload(const Options& options) {
  if (options.kind == Options::Kind::kMlp && options.layers.size() < 2) {
    return InvalidArgumentError("mlp needs at least two layer widths", "/layers");
  }
  if (options.train_size < 1 || options.val_size < 1 || options.batch_size < 1 || options.epochs < 0) {
    return InvalidArgumentError("sizes must be positive");
  }
  try {
    return std::unique_ptr<models::Workload>(new SyntheticWorkload(options));
  } catch (const c10::Error& e) {
    return InternalError(std::string("building a synthetic workload: ") + e.what_without_backtrace());
  }
}

}  // namespace hpsweep::worker
