// How the bayes and tpe searchers read a sweep's history: every trial
// encoded into the unit cube and sorted into the suggesters' completed,
// failed and pending points (coordinator/search/bo/problem.h). Internal to the
// searcher library; its own header so that the rule is tested directly.
//
// Pruned trials (stopped by the sweep's early-stopping policy) are
// observations, not failures: a pruned trial enters as completed with the
// value it showed when it was stopped, made no better than the worst
// completed trial's objective (when one has completed). The value it was
// stopped at is usually from fewer epochs than a completed trial's and so
// worse already; the cap keeps a trial stopped early from ever counting as
// better than one that trained in full, while the order among pruned trials
// — which ones the policy kept longer, which did better at their rung — is
// kept. A pruned trial without a value (stored before pruning recorded one)
// counts as failed, as before.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_HISTORY_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_HISTORY_H_

#include <vector>

#include "coordinator/search/bo/problem.h"
#include "coordinator/search/search_space.h"
#include "coordinator/search/searcher.h"

namespace hpsweep::coordinator {

// The problem's completed, failed and pending points from `history`
// (minimization values: a maximized metric is negated). Trials whose
// parameters do not encode in `space` and cancelled trials are left out;
// `dims` is left to the caller.
bo::Problem EncodeHistory(const SearchSpace& space, const std::vector<TrialView>& history);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_HISTORY_H_
