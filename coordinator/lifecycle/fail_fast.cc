#include "coordinator/lifecycle/fail_fast.h"

#include "common/utf8.h"

namespace hpsweep::coordinator {

void FailFast::Record(proto::TrialState state) {
  switch (state) {
    case proto::TrialState::kFailed:
      ++consecutive_;
      break;
    case proto::TrialState::kCompleted:
    case proto::TrialState::kPruned:
      consecutive_ = 0;
      break;
    default:
      break;
  }
}

std::string FailFastReason(const FailFast& counter, uint64_t last_trial_id,
                           const std::string& last_error) {
  std::string reason = "stopped after " + std::to_string(counter.consecutive()) +
                       " trials failed in a row (max_consecutive_failures " +
                       std::to_string(counter.limit()) + ")";
  if (last_trial_id != 0) {
    reason += "; the last, trial " + std::to_string(last_trial_id) + ": " +
              std::string(TruncateUtf8(last_error, 1000));
  }
  return reason;
}

}  // namespace hpsweep::coordinator
