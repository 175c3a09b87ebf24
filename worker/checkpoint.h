// Checkpoint: a trial's complete training state as bytes, so a trial resumed
// on any worker continues exactly where it stopped.
//
// Layout: a LibTorch archive holding the workload's own archive (model and
// optimizer, via Workload::Save) under "workload" and the trainer's state
// under "hpsweep_trainer": epoch, step in epoch, global step, samples
// consumed, seed, world size and every rank's RNG state (CPU generator, plus
// every visible CUDA device's generator when the process sees CUDA devices;
// see GetRngState).
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
  // World size of the gang that wrote it, and each rank's GetRngState()
  // bytes, indexed by rank.
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

// Every default generator of the process: the CPU one and, when CUDA devices
// are visible, each device's (Philox seed and offset), so CUDA randomness
// (dropout on a GPU, torch::rand on cuda) continues exactly after a resume.
// Without CUDA devices the bytes are GetCpuRngState()'s, so CPU checkpoints
// keep their format. SetRngState accepts both forms; CUDA states for devices
// this process does not see are ignored, and devices it sees that the bytes
// lack keep their state. DATA_LOSS for malformed bytes.
std::string GetRngState();
Status SetRngState(const std::string& state);
// Seeds the CPU generator and every visible CUDA device's generator.
void SeedRngs(uint64_t seed);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_CHECKPOINT_H_
