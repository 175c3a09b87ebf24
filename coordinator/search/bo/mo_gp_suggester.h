// MoGpSuggester: Bayesian optimization for several objectives and outcome
// constraints — a GP per objective and per constraint, qParEGO with the
// probability of feasibility (mo_acquisition.h).
//
// Why qParEGO and not qNEHVI: qNEHVI integrates the hypervolume improvement
// over posterior samples of the whole front, a box decomposition per sample
// whose cost grows steeply with objectives and observed points; on the two
// shared cores it would dominate every ask. qParEGO needs one Chebyshev
// scalarization per suggestion and a Monte Carlo mean, as cheap as
// single-objective EI, and a batch gets a distinct random scalarization per
// point (plus a Kriging believer for each pick), which spreads the batch
// along the front instead of piling it onto one region.
//
// Suggest() is a pure function of (options, problem, count, seed):
//   - a scrambled Sobol design of `initial_design` points first (as
//     GpSuggester, continuing across calls);
//   - then each objective is power-warped and standardized
//     (outcome_transform.h; failed trials imputed at the worst value), each
//     constraint standardized (failed trials imputed at the largest
//     violation), and a GP fitted to each, warm-started as GpSuggester's
//     (GpOptions::warm_iterations: a full fit at checkpoints, each model its
//     own); pending trials are added to every GP as Kriging believers
//     (and, where their believed constraints hold, to the incumbents);
//   - per suggestion, weights drawn uniformly from the simplex, Monte Carlo
//     qParEGO with common random numbers times P(feasible); the
//     scalarization scales each warped objective to the span of the
//     feasible front observed (its ideal and nadir points; the span of all
//     observations while the front is a single point), so that uniform
//     weights spread over the whole front;
//   - the acquisition is maximized over Sobol and local samples around the
//     best feasible points under the scalarization and the front's ends
//     (each objective's best feasible point), and the best few of those,
//     with the centres themselves, refined by a local search of compass and
//     random-subset moves (mo_local_search.h); integers and categoricals
//     snapped.
// With no feasible observation yet the acquisition is P(feasible) alone.
// A single objective with constraints uses the same path (the scalarization
// is then the objective itself).
//
// The initial design, the screen and the ranking of candidates are shared
// with GpSuggester (suggest_common.h).
//
// Thread safety: concurrent calls are safe (the checkpoint cache has a
// mutex); copies share the cache, which only saves work.
#ifndef HPSWEEP_COORDINATOR_BO_MO_GP_SUGGESTER_H_
#define HPSWEEP_COORDINATOR_BO_MO_GP_SUGGESTER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "coordinator/search/bo/gp_options.h"
#include "coordinator/search/bo/problem.h"

namespace hpsweep::coordinator::bo {

class MoGpSuggester {
 public:
  // Options shared with GpSuggester: initial_design, raw_samples,
  // local_samples, refine_starts, warm_iterations, fit (refine_steps is
  // GpSuggester's; here a local search refines). REQUIRES:
  // options.Validate().ok() (Suggest reports it).
  explicit MoGpSuggester(GpOptions options);

  // Same contract as GpSuggester::Suggest, for a problem with problem.ys
  // and/or problem.constraints (a plain single-objective problem works too).
  StatusOr<std::vector<std::vector<double>>> Suggest(
      const Problem& problem, int count, uint64_t seed, std::vector<bool>* from_model = nullptr,
      const std::atomic<bool>* cancelled = nullptr) const;

  // The checkpoint fits of every model, cached (see mo_gp_suggester.cc).
  struct Checkpoints;

 private:
  GpOptions options_;
  std::shared_ptr<Checkpoints> checkpoints_;
};

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_BO_MO_GP_SUGGESTER_H_
