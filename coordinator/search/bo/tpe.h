// TpeSuggester: multivariate Tree-structured Parzen Estimator (Bergstra et
// al. 2011; Falkner et al. 2018's joint kernel, as in Optuna's
// `TPESampler(multivariate=True, constant_liar=True)`).
//
// The completed trials are split into a good group (the best gamma(n) =
// min(ceil(gamma_fraction n), gamma_max), each weighted by its improvement
// over the best of the rest, see tpe.cc) and a bad group (the rest, plus
// failed trials and, with the constant liar, pending ones, which counts them
// as the worst value so that concurrent suggestions spread out). Each group
// becomes a Parzen estimator: a mixture with one product kernel per trial
// over all Dimensions (truncated Gaussian for continuous coordinates, a
// discretized truncated Gaussian over the levels for integers, a smoothed
// indicator for categoricals; bandwidth the geometric mean of Scott's rule's
// and Optuna's fixed width, see tpe.cc) plus a uniform prior component.
// `ei_candidates` points drawn from the good estimator are scored by
// log l(x) - log g(x) and the best is suggested. An inactive Dimension of
// a trial contributes the uniform distribution in that Dimension.
//
// Several objectives (Observation::ys) or outcome constraints
// (Observation::constraints): the good group is chosen as MOTPE does
// (tpe_split.h: feasible first, then by non-domination rank with a
// hypervolume-contribution tie-break) and weighted by hypervolume
// contribution; the rest is unchanged.
//
// Before `startup_trials` trials, points come from the scrambled Sobol
// design (continuing across calls like GpSuggester's).
//
// Determinism: same options, problem, count and seed → same points.
// Thread safety: const and stateless; concurrent calls are safe.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_TPE_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_TPE_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "common/status.h"
#include "coordinator/search/bo/problem.h"

namespace hpsweep::coordinator::bo {

struct TpeOptions {
  // Trials (every known point: Problem::KnownPoints) drawn from the Sobol
  // design before TPE takes over. Default: 10 (Optuna's n_startup_trials).
  int startup_trials = 10;
  // Candidates drawn from the good estimator per suggestion. Default: 24.
  int ei_candidates = 24;
  // Weight of the uniform prior component relative to one trial. Default: 1.
  double prior_weight = 1.0;
  // Size of the good group: min(ceil(gamma_fraction * n), gamma_max), at
  // least 1. Default: 0.1 and 25 (Optuna's default gamma).
  double gamma_fraction = 0.1;
  int gamma_max = 25;
  // Treat pending trials as bad (constant liar). Default: true.
  bool constant_liar = true;

  Status Validate() const;
};

class TpeSuggester {
 public:
  explicit TpeSuggester(TpeOptions options) : options_(std::move(options)) {}

  // Same contract as GpSuggester::Suggest; never fails on well-formed input
  // (it is fast, and ignores `cancelled`).
  StatusOr<std::vector<std::vector<double>>> Suggest(const Problem& problem, int count,
                                                     uint64_t seed,
                                                     std::vector<bool>* from_model = nullptr,
                                                     const std::atomic<bool>* cancelled = nullptr) const;

 private:
  TpeOptions options_;
};

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_TPE_H_
