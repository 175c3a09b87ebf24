// Outcomes of multi-objective and constrained sweeps: what searchers see of
// a completed trial's objectives and constraint metrics, feasibility, and
// the Pareto front that GET /api/v1/sweeps/{id}/pareto serves.
//
// Rules (documented in proto/sweep_schema.md, "Several objectives"):
//   - A completed trial carries every objective and constraint metric in its
//     final values (complete rejects it otherwise).
//   - Feasible: every constraint holds. An infeasible trial is never the
//     sweep's best and never on its front.
//   - The front: completed feasible trials that no other completed feasible
//     trial dominates in the objectives (each in its goal's direction);
//     trials with equal objectives are all on it.
//   - `best` of a multi-objective sweep: the feasible trial best in the first
//     objective (what progress lines and early-stopping policies use).
//
// Thread safety: pure functions.
#ifndef HPSWEEP_COORDINATOR_SEARCH_OUTCOMES_H_
#define HPSWEEP_COORDINATOR_SEARCH_OUTCOMES_H_

#include <vector>

#include "coordinator/search/searcher.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

// True for a sweep whose searchers need more than `objective`: several
// objectives or any constraint.
bool HasOutcomes(const proto::SweepSpec& spec);

// Sets view->objectives and view->constraint_values from a completed trial's
// final values when HasOutcomes(spec) (clears them otherwise, or while the
// trial is not completed), and view->state and view->objective from `trial`.
void FillOutcomes(const proto::SweepSpec& spec, const proto::Trial& trial, TrialView* view);

// The searcher's view of `trial`.
TrialView ViewOf(const proto::SweepSpec& spec, const proto::Trial& trial);

// Whether `values` satisfy every constraint of `spec` (true without
// constraints). A missing or NaN value satisfies none.
bool IsFeasible(const proto::SweepSpec& spec, const proto::Values& values);

// The sweep's front as described above, ordered as `trials` (pass them by
// id or number).
std::vector<proto::Trial> ParetoFront(const proto::SweepSpec& spec,
                                      const std::vector<const proto::Trial*>& trials);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SEARCH_OUTCOMES_H_
