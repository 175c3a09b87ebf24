#include "models/lstm_freq.h"

#include <cmath>
#include <map>
#include <utility>

#include "models/hyperparams.h"
#include "models/training.h"

namespace hpsweep::models {
namespace {

constexpr char kName[] = "lstm_freq";
constexpr double kFrequencies[4] = {1.0, 3.0, 5.0, 7.0};

std::vector<HyperparamInfo> Specs() {
  TrainingDefaults d;
  d.optimizer = "adam";
  d.lr = 1e-3;
  d.batch_size = 32;
  d.epochs = 20;
  return ConcatHyperparams(
      {
          IntParam("hidden_size", 128, 1, 4096, "LSTM hidden units"),
          IntParam("num_layers", 2, 1, 8, "stacked LSTM layers"),
          IntParam("seq_len", 50, 1, 10000,
                   "steps per training chunk (1 = fully stateful); must divide length"),
          IntParam("length", 500, 1, 100000, "time steps per sequence (50 Hz sampling)"),
          IntParam("mixes", 64, 1, 100000, "training mixes (x4 selectors = sequences)"),
          IntParam("val_mixes", 16, 1, 100000, "validation mixes"),
          FloatParam("noise", 0.1, 0.0, 10.0, "std of the additive noise on the mix"),
      },
      TrainingHyperparams(d));
}

class LstmFreqWorkload : public TorchWorkload {
 public:
  LstmFreqWorkload(const Hyperparams& hp, const WorkloadContext& ctx)
      : TorchWorkload(hp, ctx), seq_len_(hp.Int("seq_len")) {
    FreqData train =
        GenerateFreqData(hp.Int("mixes"), hp.Int("length"), hp.Float("noise"), ctx.data_seed, 0);
    FreqData val =
        GenerateFreqData(hp.Int("val_mixes"), hp.Int("length"), hp.Float("noise"), ctx.data_seed, 1);
    train_x_ = train.inputs.to(ctx.device);
    train_y_ = train.targets.to(ctx.device);
    val_x_ = val.inputs.to(ctx.device);
    val_y_ = val.targets.to(ctx.device);
    sequences_ = train_x_.size(0);
    chunks_ = train_x_.size(1) / seq_len_;
    WithInitSeed(ctx.seed, [&] {
      model_ = LstmFreq(
          LstmFreqOptions().hidden_size(hp.Int("hidden_size")).num_layers(hp.Int("num_layers")));
    });
    const int64_t layers = hp.Int("num_layers"), hidden = hp.Int("hidden_size");
    h_ = torch::zeros({layers, sequences_, hidden}, torch::TensorOptions().device(ctx.device));
    c_ = torch::zeros_like(h_);
    cursor_ = torch::zeros({sequences_}, torch::kLong);
  }

  Status Start() { return Init(model_.ptr()); }

  int64_t TrainSize() const override { return sequences_ * chunks_; }

 protected:
  torch::Tensor ComputeTrainLoss(const torch::Tensor& indices) override {
    // Distinct sequences in first-seen order, with their multiplicity.
    torch::Tensor seq = indices.remainder(sequences_);
    std::map<int64_t, int64_t> count;
    std::vector<int64_t> order;
    for (int64_t i = 0; i < seq.size(0); ++i) {
      const int64_t q = seq[i].item<int64_t>();
      if (count[q]++ == 0) order.push_back(q);
    }
    const int64_t n = static_cast<int64_t>(order.size());
    torch::Tensor q = torch::tensor(order, torch::kLong);
    torch::Tensor qd = q.to(device());
    // Rows [n, seq_len, 5] at each sequence's cursor.
    torch::Tensor start = cursor_.index_select(0, q) * seq_len_;
    torch::Tensor steps = start.unsqueeze(1) + torch::arange(seq_len_, torch::kLong).unsqueeze(0);
    torch::Tensor qi = qd.unsqueeze(1).expand({n, seq_len_});
    torch::Tensor ti = steps.to(device());
    torch::Tensor x = train_x_.index({qi, ti});
    torch::Tensor y = train_y_.index({qi, ti});
    auto state = std::make_tuple(h_.index_select(1, qd), c_.index_select(1, qd));
    auto [pred, next] = model_->forward(x, state);
    // Per-row MSE weighted by multiplicity = the mean over the drawn samples.
    std::vector<double> weights;
    for (int64_t s : order) weights.push_back(static_cast<double>(count[s]));
    torch::Tensor w = torch::tensor(weights, torch::kFloat).to(device());
    torch::Tensor row_mse = (pred - y).pow(2).mean({1, 2});
    torch::Tensor loss = (row_mse * w).sum() / w.sum();
    // Carry the state; reset sequences that reached their end.
    torch::Tensor advanced = cursor_.index_select(0, q) + 1;
    torch::Tensor done = advanced.ge(chunks_);
    torch::Tensor keep = (~done).to(torch::kFloat).to(device()).view({1, n, 1});
    h_.index_copy_(1, qd, std::get<0>(next).detach() * keep);
    c_.index_copy_(1, qd, std::get<1>(next).detach() * keep);
    cursor_.index_copy_(0, q, advanced.masked_fill(done, 0));
    return loss;
  }

  Metrics ComputeMetrics() override {
    auto [pred, state] = model_->forward(val_x_, {});
    (void)state;
    Metrics m;
    m["val_mse"] = torch::mse_loss(pred, val_y_).item<double>();
    m["val_baseline_mse"] = val_y_.pow(2).mean().item<double>();
    return m;
  }

  void SaveExtra(torch::serialize::OutputArchive& archive) override {
    archive.write("h", h_);
    archive.write("c", c_);
    archive.write("cursor", cursor_);
  }

  void LoadExtra(torch::serialize::InputArchive& archive) override {
    torch::Tensor h, c, cursor;
    archive.read("h", h);
    archive.read("c", c);
    archive.read("cursor", cursor);
    h_.copy_(h);
    c_.copy_(c);
    cursor_.copy_(cursor);
  }

 private:
  const int64_t seq_len_;
  int64_t sequences_ = 0;
  int64_t chunks_ = 0;
  torch::Tensor train_x_, train_y_, val_x_, val_y_;
  // Carried state per training sequence and the chunk each is at.
  torch::Tensor h_, c_, cursor_;
  LstmFreq model_{nullptr};
};

}  // namespace

LstmFreqImpl::LstmFreqImpl(LstmFreqOptions options_) : options(options_) {
  lstm_ = register_module(
      "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(options.input_size(), options.hidden_size())
                                  .num_layers(options.num_layers())
                                  .batch_first(true)));
  head_ = register_module("head", torch::nn::Linear(options.hidden_size(), 1));
}

std::tuple<torch::Tensor, std::tuple<torch::Tensor, torch::Tensor>> LstmFreqImpl::forward(
    const torch::Tensor& x, const std::tuple<torch::Tensor, torch::Tensor>& state) {
  std::tuple<torch::Tensor, std::tuple<torch::Tensor, torch::Tensor>> out =
      std::get<0>(state).defined() ? lstm_->forward(x, state) : lstm_->forward(x);
  return {head_->forward(std::get<0>(out)), std::get<1>(out)};
}

FreqData GenerateFreqData(int64_t mixes, int64_t length, double noise, uint64_t seed,
                          uint64_t stream) {
  torch::Generator gen = DataGenerator(seed, stream);
  torch::Tensor amp = torch::rand({mixes, 4, 1}, gen) + 0.5;             // U(0.5, 1.5)
  torch::Tensor phase = torch::rand({mixes, 4, 1}, gen) * (2.0 * M_PI);  // U(0, 2pi)
  torch::Tensor freq =
      torch::tensor({kFrequencies[0], kFrequencies[1], kFrequencies[2], kFrequencies[3]},
                    torch::kFloat)
          .view({1, 4, 1});
  torch::Tensor t = torch::arange(length, torch::kFloat).view({1, 1, length}) / kLstmFreqSampleRate;
  torch::Tensor components = amp * torch::sin(2.0 * M_PI * freq * t + phase);          // [M, 4, T]
  torch::Tensor mix = components.sum(1) + noise * torch::randn({mixes, length}, gen);  // [M, T]
  // Sequence 4m + k: mix m, component k selected.
  torch::Tensor mixed = mix.unsqueeze(1).expand({mixes, 4, length}).reshape({4 * mixes, length, 1});
  torch::Tensor onehot = torch::eye(4)
                             .view({1, 4, 1, 4})
                             .expand({mixes, 4, length, 4})
                             .reshape({4 * mixes, length, 4});
  FreqData data;
  data.inputs = torch::cat({mixed, onehot}, 2).contiguous();
  data.targets = components.reshape({4 * mixes, length, 1}).contiguous();
  return data;
}

ModelInfo LstmFreqModelInfo() {
  return {kName,
          "stateful LSTM extracting one sinusoid (1/3/5/7 Hz) from a noisy mix; defaults are the "
          "benchmark: LSTM(5->128, 2 layers) + Linear(128->1), Adam(1e-3), seq 50, batch 32, MSE",
          "val_mse", /*maximize=*/false, Specs()};
}

StatusOr<std::unique_ptr<Workload>> CreateLstmFreqWorkload(const nlohmann::json& params,
                                                           const WorkloadContext& context) {
  HPS_ASSIGN_OR_RETURN(Hyperparams hp, Hyperparams::Parse(kName, Specs(), params));
  if (hp.Int("length") % hp.Int("seq_len") != 0) {
    return HyperparamError(kName, "seq_len",
                           "must divide length (" + std::to_string(hp.Int("length")) + "), got " +
                               std::to_string(hp.Int("seq_len")));
  }
  return StartWorkload<LstmFreqWorkload>(kName, hp, context);
}

}  // namespace hpsweep::models
