#include "coordinator/lifecycle/sweep_service.h"

#include "coordinator/search/outcomes.h"

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

StatusOr<proto::TrialPage> SweepService::ParetoTrials(uint64_t sweep_id) const {
  HPS_ASSIGN_OR_RETURN(const SweepRun* run, sweeps_.FindRun(sweep_id));
  std::vector<const proto::Trial*> trials;
  for (const auto& [id, trial] : run->trials) trials.push_back(&trial);
  proto::TrialPage page;
  page.trials = ParetoFront(run->sweep.spec, trials);
  return page;
}

}  // namespace hpsweep::coordinator
