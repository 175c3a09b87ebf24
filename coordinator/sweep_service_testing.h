// Test helpers for SweepService and TrialManager.
#ifndef HPSWEEP_COORDINATOR_SWEEP_SERVICE_TESTING_H_
#define HPSWEEP_COORDINATOR_SWEEP_SERVICE_TESTING_H_

#include <optional>
#include <utility>

#include "common/status.h"
#include "coordinator/mutation.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

// The answer to an ask that is answered at once (every ask without a
// suggestion executor); INTERNAL when the ask was parked instead. `Asker` is
// SweepService or TrialManager.
template <typename Asker>
StatusOr<Mutation<proto::AskResponse>> AskNow(Asker& asker, const proto::AskRequest& request) {
  std::optional<StatusOr<Mutation<proto::AskResponse>>> answer;
  asker.Ask(request, [&](StatusOr<Mutation<proto::AskResponse>> m) { answer = std::move(m); });
  if (!answer) return InternalError("the ask was not answered at once");
  return std::move(*answer);
}

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SWEEP_SERVICE_TESTING_H_
