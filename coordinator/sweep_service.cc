#include "coordinator/sweep_service.h"

#include <utility>

namespace hpsweep::coordinator {

namespace {

SweepManagerOptions SweepOptions(const SweepServiceOptions& o) {
  SweepManagerOptions s;
  s.max_page_size = o.max_page_size;
  s.max_page_bytes = o.max_page_bytes;
  return s;
}

TrialManagerOptions TrialOptions(const SweepServiceOptions& o) {
  TrialManagerOptions t;
  t.retry_after_seconds = o.retry_after_seconds;
  return t;
}

}  // namespace

Status SweepServiceOptions::Validate() const {
  HPS_RETURN_IF_ERROR(SweepOptions(*this).Validate());
  return TrialOptions(*this).Validate();
}

SweepService::SweepService(Clock* clock, SweepServiceOptions options, ProgramValidator validator,
                           SearcherFactory searcher_factory)
    : events_(clock),
      sweeps_(clock, SweepOptions(options), &events_, std::move(validator),
              std::move(searcher_factory)),
      trials_(clock, TrialOptions(options), &sweeps_, &events_) {}

SweepService::~SweepService() = default;

void SweepService::SetSuggestionExecutor(SuggestionExecutor executor) {
  sweeps_.SetSuggestionExecutor(executor);
  trials_.SetSuggestionExecutor(std::move(executor));
}

Status SweepService::Recover(Store& store) {
  HPS_RETURN_IF_ERROR(sweeps_.Recover(store));
  trials_.Recover();
  return events_.Recover(store);
}

ServiceStats SweepService::Stats() const {
  const SweepTotals sweeps = sweeps_.Totals();
  const TrialManagerStats trials = trials_.Stats();
  ServiceStats s;
  s.sweeps = sweeps.sweeps;
  s.trials = sweeps.trials;
  s.trials_by_state[proto::TrialState::kPending] = sweeps.counters.pending;
  s.trials_by_state[proto::TrialState::kRunning] = sweeps.counters.running;
  s.trials_by_state[proto::TrialState::kCompleted] = sweeps.counters.completed;
  s.trials_by_state[proto::TrialState::kFailed] = sweeps.counters.failed;
  s.trials_by_state[proto::TrialState::kPruned] = sweeps.counters.pruned;
  s.trials_by_state[proto::TrialState::kCancelled] = sweeps.counters.cancelled;
  s.leases_expired = trials.leases_expired;
  s.trials_requeued = trials.trials_requeued;
  s.clients = trials.clients;
  s.suggestions_computed = sweeps.suggestions.computed;
  s.suggestions_stale = sweeps.suggestions.stale;
  s.suggestions_fallback = trials.suggestions_fallback;
  s.suggestion_errors = sweeps.suggestions.errors;
  s.suggestion_seconds = sweeps.suggestions.seconds;
  s.asks_deferred = trials.asks_deferred;
  s.asks_waiting = trials.asks_waiting;
  s.sweeps_unreadable = sweeps.sweeps_unreadable;
  return s;
}

}  // namespace hpsweep::coordinator
