// Trainer: trains one trial's Workload data-parallel across a gang, below the
// coordinator protocol (which decides what to train and where bytes go).
//
// Lifecycle of Run (every rank of the gang calls it with the same workload
// hyperparameters):
//
//   [resume bytes?] --broadcast from leader--> load model/optimizer/RNG/position
//        |
//   Reducer::Create (shape check + broadcast from leader)
//        |
//   +--> step: sampler shard -> for each update of the step (one for a
//   |          single-group workload; e.g. D, D, G for a GAN):
//   |            UpdateLoss -> backward (the update's group's reducer:
//   |            bucketed allreduce) -> all ranks agree on failure ->
//   |            that group's optimizer.step
//   |          -> EndStep
//   |          -> checkpoint every N steps (leader gets bytes)
//   |          -> max_steps reached? ---------------------------> kMaxSteps
//   +--- epoch end: leader evaluates, on_epoch; checkpoint at epoch end
//        (also where training ends) -> kStop? -------------------> kStopped
//        last epoch ------------------------------------------------> kCompleted
//
// Parameter groups (models/workload.h): one Reducer per group, each
// broadcasting and averaging only its group's parameters, so ranks hold
// identical parameters after every update. A workload whose groups overlap or
// miss a parameter is refused (INVALID_ARGUMENT) before training.
//
// Any failure (NaN/Inf loss, a LibTorch exception, out of memory, a workload
// error, a callback error) makes Run return the same error on every rank,
// message prefixed with the failing rank; the Collectives stay usable for the
// next trial. Only a transport failure (MPI/NCCL) leaves the gang unusable.
//
// RNG: at a fresh start every rank's CPU default generator (and each visible
// CUDA device's) is seeded from (seed, rank); checkpoints keep every rank's
// generator states (GetRngState), restored when
// resuming at the same world size (re-seeded from (seed, rank, step)
// otherwise). The default generator is LibTorch's process-wide state.
//
// Thread safety: a Trainer runs one trial at a time on the calling thread;
// callbacks are called on that thread.
#ifndef HPSWEEP_WORKER_TRAINER_H_
#define HPSWEEP_WORKER_TRAINER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "models/workload.h"
#include "worker/autocast.h"
#include "worker/checkpoint.h"
#include "worker/collectives.h"
#include "worker/reducer.h"

namespace hpsweep::worker {

struct TrainerOptions {
  // Checkpoint every this many global steps (0: never by step count).
  // Default: 0.
  int64_t checkpoint_every_steps = 0;
  // Checkpoint after each epoch's evaluation unless training ends there.
  // Default: true.
  bool checkpoint_at_epoch_end = true;
  // Checkpoint the state training ends at: the last step of a completed run,
  // and the epoch end where a stop decision ends it. Default: true.
  bool checkpoint_at_end = true;
  // Stop once this many global steps (counted from step 0, not from the
  // resume point) are done; 0: no limit. Default: 0.
  int64_t max_steps = 0;
  // Evaluate on the leader at each epoch end. Default: true.
  bool evaluate = true;
  // Seeds the sampler's permutations and the ranks' generators. Default: 0.
  uint64_t seed = 0;
  // Shuffle samples each epoch. Default: true.
  bool shuffle = true;
  ReducerOptions reducer;
  // Resuming from another trial's checkpoint (a PBT child starting from its
  // parent's; coordinator/lifecycle/pbt.h): the optimizer's param-group options as the
  // workload built them from this trial's hyperparameters (learning rate,
  // weight decay, momentum, betas, ...) replace the loaded ones, while its
  // state (momentum buffers, step counts) is kept. A plain resume restores
  // the options it saved. Default: false.
  bool apply_new_optimizer_options = false;
  // kBf16: bf16 autocast around each forward pass, on the device the
  // workload's parameters live on (worker/autocast.h). Default: kFp32.
  Precision precision = Precision::kFp32;

  Status Validate() const;
};

// kCheckpointAndStop (a worker shutting down: SIGTERM from Slurm or a user)
// uploads the epoch's checkpoint before stopping, so the next attempt resumes
// from it; at the last epoch it lets the trial complete instead.
enum class Decision { kContinue, kStop, kCheckpointAndStop };

struct EpochReport {
  TrainState state;  // after the epoch's last step
  // Mean training loss over the gang's samples of the epoch (or of the part
  // of it run since a resume); with several updates per step, the last
  // update's loss (a GAN's generator loss).
  double train_loss = 0;
  models::Metrics metrics;  // empty when TrainerOptions::evaluate is false
};

struct TrainerCallbacks {
  // Leader only, after each epoch's evaluation. Empty: always continue.
  std::function<Decision(const EpochReport&)> on_epoch;
  // Leader only, with each checkpoint's bytes; an error fails the trial.
  std::function<Status(const std::string& bytes, const TrainState& state)> on_checkpoint;
  // Every rank, after each optimizer step (progress, tests, benchmarks).
  std::function<void(const TrainState& state)> on_step;
};

struct TrainResult {
  enum class End { kCompleted, kStopped, kMaxSteps };
  End end = End::kCompleted;
  TrainState state;
  // Last evaluation's metrics on the leader (empty on other ranks).
  models::Metrics metrics;
  ReducerStats reducer_stats;  // summed over the groups' reducers
};

class Trainer {
 public:
  // REQUIRES: comm outlives the Trainer.
  Trainer(Collectives* comm, TrainerOptions options) : comm_(comm), options_(std::move(options)) {}

  // Trains `workload` (built with the same hyperparameters and seed on every
  // rank) from the start, or from `resume` checkpoint bytes when the leader's
  // `resume` is non-empty (other ranks' `resume` is ignored). Collective.
  StatusOr<TrainResult> Run(models::Workload& workload, const std::string& resume,
                            const TrainerCallbacks& callbacks);

 private:
  Collectives* comm_;
  TrainerOptions options_;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_TRAINER_H_
