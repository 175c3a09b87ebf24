// StoppingPolicy: a sweep's early-stopping rule (ASHA, Hyperband, median
// stopping), set by its `early_terminate` block (proto/early_terminate.h;
// fields and defaults in proto/sweep_schema.md). A sweep run owns one beside
// its searcher (sweep_manager.h); the trial manager hands it every report
// that carries the sweep metric and answers the reporter with its decision.
//
// Steps are the reports' `step` values (completed epochs for the zoo's
// workers). Values are in the user's direction; the policy orients them by
// the metric's goal.
//
// Rules:
//   ASHA       rungs at min_iter * eta^k (below max_iter, when set). The first
//              report of a trial at or past a rung it has not reached before
//              records its value there (when one report passes several
//              rungs, at the highest of them, as Ray Tune does) and judges
//              it against every trial recorded at that rung so far: it
//              continues if its rank (1 = best; ties in its favour) is at
//              most max(1, floor(n / eta)), n counting itself. Never waits
//              for a rung to fill: the first trial at a rung continues.
//   Hyperband  several ASHA brackets; bracket b's rungs start at
//              min_iter * eta^b, and trials are ranked only within their
//              bracket. Trial number i goes to a bracket by a fixed
//              interleaved schedule whose shares are Hyperband's bracket
//              sizes n_s = ceil(B / (s + 1) * eta^s), s = B - 1 - b.
//   median     at a step past warmup_steps, a trial stops when its best value
//              so far is worse than the median of the values that completed
//              trials reported at that same step, once at least min_trials
//              completed trials reported there.
//
// State is a function of the reports and of which trials completed, so a
// coordinator restart rebuilds it by replaying the stored metric curves
// through Report (decisions ignored) and then Finished (SweepManager::Recover).
//
// Thread safety: not thread-safe; called on the service strand only.
#ifndef HPSWEEP_COORDINATOR_LIFECYCLE_STOPPING_H_
#define HPSWEEP_COORDINATOR_LIFECYCLE_STOPPING_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/early_terminate.h"
#include "proto/messages.h"
#include "proto/sweep_spec.h"

namespace hpsweep::coordinator {

struct StopDecision {
  bool stop = false;
  // ASHA/Hyperband: the rung of the trial's bracket (0 = its first) where it
  // was judged; -1 for median stopping or when no rung was reached.
  int64_t rung = -1;
  // Why it stops (for the report's answer, the trial record and the CLI).
  std::string reason;
};

// What a trial showed at one level of training, for searchers that learn
// from stopped trials (bo_history.h): its value (user's direction) at
// `step`, the `level`-th milestone min_iter * eta^level (median stopping:
// level = the step itself).
struct RungValue {
  int64_t level = 0;
  double step = 0;
  double value = 0;
};

class StoppingPolicy {
 public:
  virtual ~StoppingPolicy() = default;
  // Records trial `number`'s report of `value` at `step` and decides whether
  // it stops there.
  virtual StopDecision Report(uint64_t number, int64_t step, double value) = 0;
  // Judges trial `number`'s latest report again against what the policy
  // knows now (a heartbeat asks). Median stopping: its evidence — completed
  // trials' values at that step — grows after the report. ASHA and
  // Hyperband: a decision at a rung is final when made (a trial that
  // continued was promoted, as in Li et al.), so this never stops.
  virtual StopDecision Rejudge(uint64_t /*number*/) { return StopDecision(); }
  // The trial ended in `state` (a terminal state). Idempotent.
  virtual void Finished(uint64_t number, proto::TrialState state) = 0;
  // What the trial showed at every level it reached, in increasing level:
  // ASHA and Hyperband, at each milestone min_iter * eta^level whatever its
  // bracket (the first report at or past it; a bracket judges only at its
  // own rungs); median, at every reported step.
  virtual std::vector<RungValue> Levels(uint64_t number) const = 0;
  // The Hyperband bracket trial `number` belongs to (0 for ASHA and median).
  virtual int64_t BracketOf(uint64_t /*number*/) const { return 0; }
};

// The policy `spec.early_terminate` asks for; nullptr when it asks for none.
// INVALID_ARGUMENT naming the field when the block is invalid.
StatusOr<std::unique_ptr<StoppingPolicy>> CreateStoppingPolicy(const proto::SweepSpec& spec);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_LIFECYCLE_STOPPING_H_
