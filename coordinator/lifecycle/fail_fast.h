// FailFast: the counter behind a sweep's fail-fast rule. A sweep whose trials
// all fail the same way (a wrong data path, a metric the model never reports)
// should stop after a few trials, not spend its whole budget: it fails once
// `max_consecutive_failures` trials in a row have failed with no trial
// completing or being pruned in between (both show that training works).
// Cancelled trials count neither way.
//
// Trials are recorded in the order they ended; after a restart the sweep
// manager replays its finished trials by end time (updated_us).
//
// Thread safety: not thread-safe; owned by one SweepRun on the service strand.
#ifndef HPSWEEP_COORDINATOR_LIFECYCLE_FAIL_FAST_H_
#define HPSWEEP_COORDINATOR_LIFECYCLE_FAIL_FAST_H_

#include <cstdint>
#include <string>

#include "proto/messages.h"

namespace hpsweep::coordinator {

class FailFast {
 public:
  // `limit`: SweepSpec::max_consecutive_failures; 0 never trips.
  explicit FailFast(int64_t limit = 0) : limit_(limit) {}

  // Notes a trial that reached `state`; states other than failed, completed
  // and pruned are ignored.
  void Record(proto::TrialState state);
  // Starts counting afresh (failed trials requeued by a retry).
  void Reset() { consecutive_ = 0; }

  // The sweep should stop: `limit` failures in a row.
  bool tripped() const { return limit_ > 0 && consecutive_ >= limit_; }
  int64_t consecutive() const { return consecutive_; }
  int64_t limit() const { return limit_; }

 private:
  int64_t limit_;
  int64_t consecutive_ = 0;
};

// The reason a tripped sweep is stored with: "stopped after 5 trials failed in
// a row (max_consecutive_failures 5); the last, trial 7: <its error>".
std::string FailFastReason(const FailFast& counter, uint64_t last_trial_id,
                           const std::string& last_error);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_LIFECYCLE_FAIL_FAST_H_
