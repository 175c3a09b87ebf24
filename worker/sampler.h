// DistributedSampler: which training samples each rank of a gang uses at each
// step, as a pure function of (seed, epoch, step, rank, world size).
//
// Epoch e visits the samples in the order of a permutation drawn from
// (seed, e) with our own generator (SplitMix64 + Fisher-Yates, independent of
// LibTorch's global RNG). Step k of an epoch is the global batch at
// permutation positions [k*B, (k+1)*B); rank r of W takes positions
// k*B + r, k*B + r + W, ... (a strided split). Because the global batch does
// not depend on W, a run resumed from a global sample count may use a
// different world size and still sees the same batches.
//
// Policy (drop-last, uneven shards): an epoch has floor(N / B) steps; the
// trailing N mod B samples of the permutation are skipped in that epoch
// (another epoch's permutation puts them elsewhere). When W does not divide
// B, ranks hold ceil(B/W) or floor(B/W) samples; LossScale() gives the factor
// n_r * W / B by which a rank scales its local mean loss so that averaging the
// ranks' gradients equals the gradient of the global-batch mean exactly
// (1.0 when W divides B). W > B is rejected.
//
// Thread safety: not thread-safe (caches the current epoch's permutation).
#ifndef HPSWEEP_WORKER_SAMPLER_H_
#define HPSWEEP_WORKER_SAMPLER_H_

#include <cstdint>
#include <vector>

#include "common/status.h"

namespace hpsweep::worker {

struct SamplerOptions {
  // Number of training samples N. Default: 0 (must be set; >= batch_size).
  int64_t dataset_size = 0;
  // Global batch B, summed over ranks. Default: 0 (must be set; >= 1).
  int64_t batch_size = 0;
  // Seeds the per-epoch permutations. Default: 0.
  uint64_t seed = 0;
  // False: every epoch visits samples in order 0..N-1. Default: true.
  bool shuffle = true;

  Status Validate() const;
};

// Where a run stands, derived from the global count of samples consumed.
struct SamplerPosition {
  int64_t epoch = 0;
  int64_t step_in_epoch = 0;
  // Steps since the start of training (across epochs).
  int64_t global_step = 0;
};

class DistributedSampler {
 public:
  static StatusOr<DistributedSampler> Create(const SamplerOptions& options);

  int64_t StepsPerEpoch() const { return steps_per_epoch_; }
  int64_t BatchSize() const { return options_.batch_size; }
  // Samples consumed by the whole gang after `global_steps` steps.
  int64_t SamplesAfter(int64_t global_steps) const { return global_steps * options_.batch_size; }
  // INVALID_ARGUMENT unless samples_consumed is a multiple of the batch size.
  StatusOr<SamplerPosition> PositionOf(int64_t samples_consumed) const;

  // This rank's sample indices for a step. INVALID_ARGUMENT for a rank or
  // world size out of range, W > B, or a step outside the epoch.
  StatusOr<std::vector<int64_t>> LocalIndices(int64_t epoch, int64_t step_in_epoch, int rank,
                                              int world);
  // Factor for this rank's local mean loss (see the policy above).
  static double LossScale(int64_t batch_size, int rank, int world);
  // Number of samples rank r holds of a global batch of B split W ways.
  static int64_t LocalCount(int64_t batch_size, int rank, int world);

  // The permutation of epoch `epoch` (exposed for tests).
  std::vector<int64_t> Permutation(int64_t epoch) const;

 private:
  explicit DistributedSampler(const SamplerOptions& options);

  SamplerOptions options_;
  int64_t steps_per_epoch_ = 0;
  int64_t cached_epoch_ = -1;
  std::vector<int64_t> cached_permutation_;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_SAMPLER_H_
