// The good/bad split of TPE for multi-objective and constrained problems
// (MOTPE, Ozaki et al. 2020/2022, as Optuna's TPESampler on a multi-objective
// study; constraints as Optuna's constrained TPE).
//
// Feasible observations come before infeasible ones; infeasible ones are
// ordered by their total violation. Among the feasible: a single objective by
// value; several by non-domination rank, whole ranks first, and the rank that
// does not fit entirely chosen greedily by hypervolume contribution (the
// hypervolume subset selection problem, solved greedily). The good group's
// members are weighted by their hypervolume contribution within the group
// (normalized to the largest, at least kMinGoodWeight), so that the
// estimator concentrates on the front's spread, not on dominated members.
//
// Thread safety: pure functions.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_TPE_SPLIT_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_TPE_SPLIT_H_

#include <cstddef>
#include <vector>

#include "coordinator/search/bo/problem.h"

namespace hpsweep::coordinator::bo {

inline constexpr double kMinGoodWeight = 1e-12;

struct TpeSplit {
  std::vector<size_t> good;          // indices into problem.completed, ascending
  std::vector<size_t> bad;           // the rest, ascending
  std::vector<double> good_weights;  // per entry of `good`, in (0, 1]
};

// Splits problem.completed into the best min(n_good, size) and the rest.
TpeSplit SplitGoodBad(const Problem& problem, size_t n_good);

// The reference point for hypervolumes of `points` (minimized): a tenth of
// each objective's range beyond its worst value (a zero range: 1e-12 beyond,
// scaled by the value's magnitude).
std::vector<double> ReferencePoint(const std::vector<std::vector<double>>& points);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_TPE_SPLIT_H_
