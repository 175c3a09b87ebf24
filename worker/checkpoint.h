// Checkpoint: a trial's complete training state as bytes, so a trial resumed
// on any worker continues exactly where it stopped.
//
// Layout: a LibTorch archive holding the workload's own archive (model and
// optimizer, via Workload::Save) under "workload" and the trainer's state
// under "hpsweep_trainer": epoch, step in epoch, global step, samples
// consumed, seed, world size and every rank's CPU RNG state.
//
// Thread safety: functions only; a Workload is used from one thread at a time.
#ifndef HPSWEEP_WORKER_CHECKPOINT_H_
#define HPSWEEP_WORKER_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "models/workload.h"

namespace hpsweep::worker {

// Where training stands. samples_consumed counts samples of the whole gang
// since step 0; it alone fixes the data position (see sampler.h).
struct TrainState {
  int64_t epoch = 0;
  int64_t step_in_epoch = 0;
  int64_t global_step = 0;
  int64_t samples_consumed = 0;
  uint64_t seed = 0;
};

struct CheckpointContents {
  TrainState state;
  // World size of the gang that wrote it, and each rank's CPU generator state
  // (torch default generator), indexed by rank.
  int world_size = 1;
  std::vector<std::string> rng_states;
};

// Serialises `workload` and `contents`. Errors from Workload::Save or
// LibTorch come back as a Status.
StatusOr<std::string> EncodeCheckpoint(models::Workload& workload,
                                       const CheckpointContents& contents);

// Loads the workload's model and optimizer from `bytes` and returns the rest.
// DATA_LOSS for bytes that are not an hpsweep checkpoint.
StatusOr<CheckpointContents> DecodeCheckpoint(const std::string& bytes,
                                              models::Workload& workload);

// The process's default CPU generator state as bytes, and back. These touch
// LibTorch's process-wide generator (under its lock).
std::string GetCpuRngState();
Status SetCpuRngState(const std::string& state);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_CHECKPOINT_H_
