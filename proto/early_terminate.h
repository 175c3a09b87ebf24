// EarlyTerminateSpec: a sweep's `early_terminate` block, validated — which
// early-stopping policy judges its trials' reports, and with what settings.
// The vocabulary (W&B's hyperband fields, Optuna's median pruner settings)
// and every default are documented in proto/sweep_schema.md
// ("early_terminate"); coordinator/lifecycle/stopping.h implements the policies.
//
// Steps are the `step` values the trials report: completed epochs (1, 2, ...)
// for the model zoo's workers; whatever an ask/tell client sends otherwise.
#ifndef HPSWEEP_PROTO_EARLY_TERMINATE_H_
#define HPSWEEP_PROTO_EARLY_TERMINATE_H_

#include <cstdint>

#include "common/status.h"
#include "proto/json_reader.h"

namespace hpsweep::proto {

enum class StopPolicy { kNone, kAsha, kHyperband, kMedian };

struct EarlyTerminateSpec {
  StopPolicy type = StopPolicy::kNone;
  // ASHA and Hyperband ----------------------------------------------------
  // First rung (step) of the most aggressive bracket. Default: 1; Hyperband's
  // `max_iter`/`s` form sets it to max_iter / eta^s.
  double min_iter = 1;
  // Reduction factor: rungs at min_iter * eta^k; the top 1/eta of the trials
  // that reached a rung continue. Default: 3.
  double eta = 3;
  // Steps a trial trains in full; no rung is placed at or beyond it. 0: no
  // bound (rungs go on as long as trials report). Default: 0.
  double max_iter = 0;
  // Hyperband: brackets, bracket b's first rung at min_iter * eta^b.
  // Default: with max_iter, floor(log_eta(max_iter / min_iter)) + 1 (every
  // bracket Hyperband prescribes); without it, 3. ASHA: always 1.
  int64_t brackets = 1;
  // Median stopping ---------------------------------------------------------
  // Reports at steps <= warmup_steps are never judged. Default: 0.
  int64_t warmup_steps = 0;
  // Completed trials that must have reported at a step before a trial is
  // judged at that step. Default: 5.
  int64_t min_trials = 5;
};

std::string_view StopPolicyName(StopPolicy policy);

// Validates `json` (the value of a sweep's "early_terminate"; null means
// none). Errors are INVALID_ARGUMENT naming the field under /early_terminate.
StatusOr<EarlyTerminateSpec> ParseEarlyTerminate(const Json& json);

}  // namespace hpsweep::proto

#endif  // HPSWEEP_PROTO_EARLY_TERMINATE_H_
