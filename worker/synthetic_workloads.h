// Synthetic workloads for the worker's tests and training benchmark, while
// models/ (the real zoo) is built elsewhere: the two workloads of
// shared/anchors/ddp_baseline.py with exactly its shapes and optimizers, on
// fixed random data generated from a seed.
//
//   mlp        in -> hidden... -> out, ReLU, cross-entropy or MSE, SGD(momentum)
//              (baseline: 256 -> 1024 -> 1024 -> 10, CE, SGD(0.01, 0.9))
//   lstm_freq  LSTM(5 -> 128, 2 layers, batch_first) + Linear(128 -> 1), seq 50,
//              MSE, Adam(1e-3)
//
// Thread safety: as models::Workload (one thread at a time).
#ifndef HPSWEEP_WORKER_SYNTHETIC_WORKLOADS_H_
#define HPSWEEP_WORKER_SYNTHETIC_WORKLOADS_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "models/workload.h"

namespace hpsweep::worker {

struct SyntheticWorkloadOptions {
  enum class Kind { kMlp, kLstmFreq };
  // Default: kMlp.
  Kind kind = Kind::kMlp;
  // mlp only: layer widths, input first. Default: the baseline's.
  std::vector<int64_t> layers = {256, 1024, 1024, 10};
  // mlp only: true = MSE on random targets, false = cross-entropy on
  // random labels in [0, layers.back()). Default: false.
  bool regression = false;
  // Training samples (fixed random data). Default: 1024.
  int64_t train_size = 1024;
  // Held-out samples for Evaluate. Default: 256.
  int64_t val_size = 256;
  // Global batch per step. Default: 128.
  int64_t batch_size = 128;
  // Default: 1.
  int64_t epochs = 1;
  // Learning rate. Default: 0.01 (mlp, SGD) / 1e-3 (lstm_freq, Adam) when <= 0.
  double lr = 0;
  // SGD momentum (mlp). Default: 0.9.
  double momentum = 0.9;
  // Seeds parameters and data. Default: 0.
  uint64_t seed = 0;
  // Fault injection for tests: the TrainLoss call with this 0-based number
  // (counted per workload object) returns a NaN loss. Default: -1 (never).
  int64_t nan_at_call = -1;
};

// Builds one; INVALID_ARGUMENT for nonsensical sizes.
StatusOr<std::unique_ptr<models::Workload>> MakeSyntheticWorkload(
    const SyntheticWorkloadOptions& options);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_SYNTHETIC_WORKLOADS_H_
