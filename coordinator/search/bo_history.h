// How the bayes and tpe searchers read a sweep's history: every trial
// encoded into the unit cube and sorted into the suggesters' completed,
// failed and pending points (coordinator/search/bo/problem.h). Internal to the
// searcher library; its own header so that the rule is tested directly.
//
// Pruned trials (stopped by the sweep's early-stopping policy) are
// observations, not failures, at first: a pruned trial enters as completed
// with the value it showed when it was stopped, made no better than the
// worst completed trial's objective (when one has completed). That value is
// usually from fewer epochs than a completed trial's and so worse already;
// the cap keeps a trial stopped early from ever counting as better than one
// that trained in full, while the order among pruned trials is kept. A
// pruned trial without a value (stored before pruning recorded one) counts
// as failed.
//
// bayes (PrunedTrials::kUntilFullFidelity) stops fitting them that way once
// parameters + 1 trials have completed (parameters: the space's blocks, not
// its coordinates), as BOHB fits the highest budget with that many
// observations (Falkner et al. 2018): its GP models the value at the end of
// training, and an early value taken as final misleads it about a
// configuration that starts slowly (a low learning rate stopped at epoch 1
// looks worse than any finished trial, and a GP that believes it never goes
// back there). From then on a pruned trial enters at the final value its
// value at its last stopping level predicts (TrialView::levels), where the
// completed trials' values at that level predict their finals
// (pruned_estimate.h: a rank regression, fitted per level on the completed
// trials' curves); elsewhere, and without levels, it becomes
// Problem::unfitted: never suggested again, never fitted. tpe
// (kAsObservations) keeps the rule above throughout: it uses only the order
// of values, and what it needs of a pruned trial is that it was worse, as
// Optuna's TPE ranks pruned trials below completed ones.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_HISTORY_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_HISTORY_H_

#include <vector>

#include "coordinator/search/bo/problem.h"
#include "coordinator/search/search_space.h"
#include "coordinator/search/searcher.h"

namespace hpsweep::coordinator {

// How pruned trials enter the problem (see above).
enum class PrunedTrials { kAsObservations, kUntilFullFidelity };

// The problem's completed, failed, pending and unfitted points from
// `history` (minimization values: a maximized metric is negated). Trials
// whose parameters do not encode in `space` and cancelled trials are left
// out; `dims` is left to the caller.
bo::Problem EncodeHistory(const SearchSpace& space, const std::vector<TrialView>& history,
                          PrunedTrials pruned = PrunedTrials::kAsObservations);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_HISTORY_H_
