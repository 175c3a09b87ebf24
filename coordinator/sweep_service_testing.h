// Test helpers for SweepService.
#ifndef HPSWEEP_COORDINATOR_SWEEP_SERVICE_TESTING_H_
#define HPSWEEP_COORDINATOR_SWEEP_SERVICE_TESTING_H_

#include <optional>
#include <utility>

#include "coordinator/sweep_service.h"

namespace hpsweep::coordinator {

// The answer to an ask that is answered at once (every ask of a service
// without a suggestion executor); INTERNAL when the ask was parked instead.
inline StatusOr<Mutation<proto::AskResponse>> AskNow(SweepService& service,
                                                     const proto::AskRequest& request) {
  std::optional<StatusOr<Mutation<proto::AskResponse>>> answer;
  service.Ask(request, [&](StatusOr<Mutation<proto::AskResponse>> m) { answer = std::move(m); });
  if (!answer) return InternalError("the ask was not answered at once");
  return std::move(*answer);
}

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SWEEP_SERVICE_TESTING_H_
