// The seeds a worker hands a zoo workload (models/workload.h's
// WorkloadContext), derived from ids that survive restarts and re-leases, so
// the same trial trains the same way on every attempt.
//
//   context.data_seed = SweepDataSeed(trial.sweep_id);                 // same data, whole sweep
//   context.seed      = TrialTrainingSeed(trial.sweep_id, trial.number);  // init, batch order
//
// Tools that must reproduce a worker's data (tools/bench/export_workload_data)
// call SweepDataSeed too.
#ifndef HPSWEEP_WORKER_TRIAL_SEEDS_H_
#define HPSWEEP_WORKER_TRIAL_SEEDS_H_

#include <cstdint>

namespace hpsweep::worker {

// Trial `number` of sweep `sweep_id`: parameter initialisation and training
// randomness (splitmix64 of the two ids).
inline uint64_t TrialTrainingSeed(uint64_t sweep_id, uint64_t number) {
  uint64_t z = sweep_id * 0x9E3779B97F4A7C15ULL + number + 0x2545F4914F6CDD1DULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Every trial of sweep `sweep_id`: the synthetic data, its noise and any
// held-out split, so trials are trained and judged on the same samples.
inline uint64_t SweepDataSeed(uint64_t sweep_id) {
  // A "trial number" no sweep reaches keeps it apart from every training seed.
  return TrialTrainingSeed(sweep_id, 0xDA7A5EEDULL << 20);
}

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_TRIAL_SEEDS_H_
