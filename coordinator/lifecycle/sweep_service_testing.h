// Test helpers for SweepService and the lifecycle managers: asks, mutations
// committed as the coordinator commits them, and a suggestion executor run by
// hand.
#ifndef HPSWEEP_COORDINATOR_LIFECYCLE_SWEEP_SERVICE_TESTING_H_
#define HPSWEEP_COORDINATOR_LIFECYCLE_SWEEP_SERVICE_TESTING_H_

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"
#include "coordinator/store/mutation.h"
#include "coordinator/store/store.h"
#include "coordinator/search/suggestion_queue.h"
#include "gtest/gtest.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

inline proto::AskRequest AskFor(const std::string& client, int count = 1,
                                int lease_seconds = 10) {
  proto::AskRequest r;
  r.client_id = client;
  r.count = count;
  r.lease_seconds = lease_seconds;
  return r;
}

// Commits a mutation's writes to `store`, as the coordinator does before it
// replies, and returns the answer (a default one, with a test failure, when
// the call or the commit failed).
template <typename T>
T Apply(Store& store, StatusOr<Mutation<T>> m) {
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return T();
  EXPECT_TRUE(store.Commit(m->writes).ok());
  return m->response;
}

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

// The coordinator's executor, run by hand: fits and deliveries happen only
// when the test says so.
struct ManualExecutor {
  std::deque<Task> background;
  std::deque<Task> delivered;

  SuggestionExecutor Get() {
    return {[this](Task t) { background.push_back(std::move(t)); },
            [this](Task t) { delivered.push_back(std::move(t)); }};
  }
  // Runs the oldest fit (its delivery is queued, not run).
  void RunFit() {
    ASSERT_FALSE(background.empty());
    Task t = std::move(background.front());
    background.pop_front();
    t();
  }
  void Deliver() {
    while (!delivered.empty()) {
      Task t = std::move(delivered.front());
      delivered.pop_front();
      t();
    }
  }
  void RunAll() {
    Deliver();
    while (!background.empty()) {
      RunFit();
      Deliver();
    }
  }
};

// An ask whose answer is kept for the test to look at.
struct PendingAsk {
  std::optional<StatusOr<Mutation<proto::AskResponse>>> answer;
  std::function<void(StatusOr<Mutation<proto::AskResponse>>)> Callback() {
    return [this](StatusOr<Mutation<proto::AskResponse>> m) { answer = std::move(m); };
  }
  const proto::Trial& trial() const { return answer->value().response.trials.at(0).trial; }
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_LIFECYCLE_SWEEP_SERVICE_TESTING_H_
