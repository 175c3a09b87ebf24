// `lstm_freq` (seed 004): a stateful LSTM that recovers one component sinusoid
// from a noisy mix of four (1, 3, 5, 7 Hz; random amplitude and phase per
// sequence). Input per time step: the mixed sample plus a one-hot selector of
// the wanted component (5 features); target: that component's value.
//
// Stateful training. The training set is S = 4 * mixes sequences of `length`
// steps, cut into chunks of `seq_len` steps (1, 50, 100...). Sample index i
// names sequence i % S; TrainSize() = S * chunks, so one epoch draws every
// sequence `chunks` times. Each sequence has a cursor and a carried (h, c):
// drawing it trains on the chunk at its cursor starting from its carried
// state (detached: truncated BPTT of seq_len), then stores the new state and
// advances the cursor; at the end of the sequence both reset. On one rank an
// epoch thus walks every sequence once, in order. A sequence drawn twice in
// one batch is trained once and counts twice in the mean loss. Cursors and
// states are checkpointed. With several ranks each rank carries the state of
// the sequences it drew (valid, but not bitwise equal to one rank).
//
// Evaluation runs each validation sequence from a zero state to its end.
// Metric: "val_mse" (minimize); also "val_baseline_mse" (the zero predictor,
// i.e. the mean target power).
#ifndef HPSWEEP_MODELS_LSTM_FREQ_H_
#define HPSWEEP_MODELS_LSTM_FREQ_H_

#include <torch/torch.h>

#include <memory>
#include <tuple>

#include "common/status.h"
#include "models/workload.h"

namespace hpsweep::models {

struct LstmFreqOptions {
  // Features per step: mixed signal + 4-way one-hot selector. Default: 5.
  TORCH_ARG(int64_t, input_size) = 5;
  // LSTM hidden units. Default: 128.
  TORCH_ARG(int64_t, hidden_size) = 128;
  // Stacked LSTM layers. Default: 2.
  TORCH_ARG(int64_t, num_layers) = 2;
};

// LSTM (batch_first) followed by Linear(hidden -> 1) at every time step.
class LstmFreqImpl : public torch::nn::Module {
 public:
  explicit LstmFreqImpl(LstmFreqOptions options = {});
  // x: [B, L, input_size]; state: (h, c), each [num_layers, B, hidden] (or
  // undefined for zeros). Returns predictions [B, L, 1] and the new state.
  std::tuple<torch::Tensor, std::tuple<torch::Tensor, torch::Tensor>> forward(
      const torch::Tensor& x, const std::tuple<torch::Tensor, torch::Tensor>& state);

  LstmFreqOptions options;

 private:
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(LstmFreq);

// Sample rate of the synthetic signals, in Hz.
inline constexpr double kLstmFreqSampleRate = 50.0;

// `mixes` random mixes, each paired with each of the 4 selectors:
// inputs [4 * mixes, length, 5] and targets [4 * mixes, length, 1], sequence
// 4 * m + k being mix m with component k selected. Deterministic in the
// arguments; `stream` separates training (0) from validation (1).
struct FreqData {
  torch::Tensor inputs, targets;
};
FreqData GenerateFreqData(int64_t mixes, int64_t length, double noise, uint64_t seed,
                          uint64_t stream);

ModelInfo LstmFreqModelInfo();
StatusOr<std::unique_ptr<Workload>> CreateLstmFreqWorkload(const nlohmann::json& params,
                                                           const WorkloadContext& context);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_LSTM_FREQ_H_
