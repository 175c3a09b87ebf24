// Which counter of a sweep's SweepCounters a trial in a given state counts
// under (the sweep manager's files; not part of its interface).
#ifndef HPSWEEP_COORDINATOR_LIFECYCLE_SWEEP_COUNTERS_H_
#define HPSWEEP_COORDINATOR_LIFECYCLE_SWEEP_COUNTERS_H_

#include <cstdint>

#include "proto/messages.h"

namespace hpsweep::coordinator {

inline int64_t* CounterFor(proto::SweepCounters& c, proto::TrialState state) {
  switch (state) {
    case proto::TrialState::kPending:
      return &c.pending;
    case proto::TrialState::kLeased:
    case proto::TrialState::kRunning:
      return &c.running;
    case proto::TrialState::kCompleted:
      return &c.completed;
    case proto::TrialState::kFailed:
      return &c.failed;
    case proto::TrialState::kPruned:
      return &c.pruned;
    case proto::TrialState::kCancelled:
      return &c.cancelled;
  }
  return &c.pending;
}

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_LIFECYCLE_SWEEP_COUNTERS_H_
