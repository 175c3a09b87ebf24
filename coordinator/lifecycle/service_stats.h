// ServiceStats: the counters the lifecycle managers keep, as one record (the
// API renders it as /metrics). Each manager fills the fields it owns
// (FillStats).
#ifndef HPSWEEP_COORDINATOR_LIFECYCLE_SERVICE_STATS_H_
#define HPSWEEP_COORDINATOR_LIFECYCLE_SERVICE_STATS_H_

#include <cstdint>
#include <map>

#include "proto/messages.h"

namespace hpsweep::coordinator {

struct ServiceStats {
  // SweepManager: sweeps, trials and trials by state.
  int64_t sweeps = 0;
  int64_t trials = 0;
  std::map<proto::TrialState, int64_t> trials_by_state;
  // TrialManager: expired leases, requeued trials, known clients.
  int64_t leases_expired = 0;
  int64_t trials_requeued = 0;
  int64_t clients = 0;
  // Slow searchers: suggestions computed in the background, of those dropped
  // because a result arrived while they were computed, trials served a
  // quasi-random fallback (wait bound passed or fit failed), fits stopped
  // early because a result made them stale, failed fits,
  // time in fits, asks answered after waiting for a fit, asks waiting now.
  // The fits' counters are the SweepManager's (its runs' queues); fallbacks
  // and asks are the TrialManager's.
  int64_t suggestions_computed = 0;
  int64_t suggestions_stale = 0;
  int64_t suggestion_fits_cancelled = 0;  // stopped early: a result arrived
  int64_t suggestions_fallback = 0;
  int64_t suggestion_errors = 0;
  double suggestion_seconds = 0;
  int64_t asks_deferred = 0;
  int64_t asks_waiting = 0;
  // SweepManager: stored sweeps left out at recovery because they cannot be
  // rebuilt.
  int64_t sweeps_unreadable = 0;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_LIFECYCLE_SERVICE_STATS_H_
