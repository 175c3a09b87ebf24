// Test helpers shared by the model tests: a deterministic stand-in for the
// worker's training loop, and the checkpoint-resume check every model passes.
#ifndef HPSWEEP_MODELS_WORKLOAD_TESTING_H_
#define HPSWEEP_MODELS_WORKLOAD_TESTING_H_

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

#include "models/workload.h"

namespace hpsweep::models::testing {

using Factory = std::function<StatusOr<std::unique_ptr<Workload>>()>;

// The global batch of training step `step`: a slice of a per-epoch permutation
// seeded by the epoch, like the worker's sampler on one rank.
torch::Tensor BatchIndices(const Workload& w, int64_t step);

// Runs steps [first_step, first_step + steps) the way the worker does (per
// update of the step: its group's zero_grad, UpdateLoss, backward, step; then
// EndStep) and returns each step's last update's loss.
// Fails the current test (and returns what it has) on an error status.
std::vector<double> Train(Workload& w, int64_t steps, int64_t first_step = 0);

// Mean of v[begin, end).
double MeanOf(const std::vector<double>& v, size_t begin, size_t end);

// Trains a workload `before` steps, saves it, loads the checkpoint into a fresh
// workload from `make`, then trains both `after` more steps and expects
// bit-identical losses, parameters and metrics.
void ExpectResumeIsBitIdentical(const Factory& make, int64_t before, int64_t after);

// Expects two fresh workloads from `make` to have identical parameters and
// training losses for `steps` steps (the generator and init are seeded).
void ExpectDeterministic(const Factory& make, int64_t steps);

// Expects the gradient of one workload on a batch to match the average of two
// other workloads' ("ranks'") gradients on its halves, as data-parallel
// training computes it: per-sample randomness must not depend on the rank.
// Checked for every update of a step on its own group (a GAN's critic and
// generator steps alike).
void ExpectDataParallelEquivalent(const Factory& make, int64_t batch);

}  // namespace hpsweep::models::testing

#endif  // HPSWEEP_MODELS_WORKLOAD_TESTING_H_
