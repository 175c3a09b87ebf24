// GpSuggester: Bayesian optimization with a Gaussian process and LogEI.
//
// Suggest() is a pure function of (options, problem, count, seed): it starts
// with a scrambled Sobol design of `initial_design` points, then fits a GP
// (gp.h) to the completed trials (failed ones imputed at the worst observed
// value, so the optimizer learns to stay away), conditions it on the pending
// trials with the Kriging believer (pending points get their posterior mean
// as a pseudo-observation, which collapses the variance around them), and
// maximizes LogEI (acquisition.h) over the relaxed unit cube: LogEI at many
// Sobol points, at Gaussian steps around the best observed points and at
// those points with a few Dimensions redrawn (GpOptions::subspace_samples),
// the best few refined by projected Adam, integers and categoricals snapped,
// then climbed level by level (GpOptions::discrete_starts). One suggestion
// in GpOptions::explore_every targets a large improvement instead of any. A
// batch is chosen greedily, each point added as a believer before the next.
//
// Determinism: the same options, problem (including the order of its
// vectors), count and seed give the same points, provided LibTorch runs with
// the same number of intra-op threads. Pass the sweep's fixed seed: the
// Sobol design continues across calls because its index is the number of
// trials the problem already knows.
//
// Warm starts (GpOptions::warm_iterations): the suggester keeps the
// hyperparameters of its last full fit, keyed by the data they were fitted
// on; copies share them. The cache only saves work: results do not depend
// on what it holds.
//
// Thread safety: concurrent calls are safe (the cache has a mutex).
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_GP_SUGGESTER_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_GP_SUGGESTER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "coordinator/search/bo/gp_options.h"
#include "coordinator/search/bo/problem.h"

namespace hpsweep::coordinator::bo {

class GpSuggester {
 public:
  // REQUIRES: options.Validate().ok() (Suggest reports it otherwise).
  explicit GpSuggester(GpOptions options);

  // `count` (>= 1) new encoded points, distinct from each other and from the
  // problem's known points (Problem::KnownPoints) where the space allows.
  // Errors: kInvalidArgument for a malformed problem or options (nothing is
  // computed), kInternal when the numerics fail (LibTorch errors included).
  // When `from_model` is given, one entry per point is appended to it: true
  // for a point chosen by the model, false for an initial-design point.
  // When `cancelled` turns true, Suggest stops at its next phase boundary
  // with kCancelled (a checkpoint fit in progress still completes: it is
  // cached and serves the next call).
  StatusOr<std::vector<std::vector<double>>> Suggest(const Problem& problem, int count,
                                                     uint64_t seed,
                                                     std::vector<bool>* from_model = nullptr,
                                                     const std::atomic<bool>* cancelled = nullptr) const;

  // The full fit of a checkpoint, cached (see gp_suggester.cc).
  struct Checkpoint;

 private:
  GpOptions options_;
  std::shared_ptr<Checkpoint> checkpoint_;
};

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_GP_SUGGESTER_H_
