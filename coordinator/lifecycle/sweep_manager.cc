#include "coordinator/lifecycle/sweep_manager.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <utility>

#include "common/logging.h"
#include "common/utf8.h"
#include "coordinator/lifecycle/sweep_counters.h"
#include "coordinator/search/outcomes.h"

namespace hpsweep::coordinator {

using proto::Json;
using proto::Sweep;
using proto::SweepState;
using proto::Trial;
using proto::TrialState;

namespace {

// About how many bytes `value` takes as JSON, without writing it (an upper
// bound for numbers, exact enough for strings and structure).
size_t ApproxJsonBytes(const Json& value) {
  size_t total = 0;
  std::vector<const Json*> stack = {&value};
  while (!stack.empty()) {
    const Json* v = stack.back();
    stack.pop_back();
    if (v->is_string()) {
      total += v->get_ref<const std::string&>().size() + 2;
    } else if (v->is_object()) {
      total += 2;
      for (auto it = v->begin(); it != v->end(); ++it) {
        total += it.key().size() + 4;
        stack.push_back(&*it);
      }
    } else if (v->is_array()) {
      total += 2;
      for (const Json& item : *v) {
        total += 1;
        stack.push_back(&item);
      }
    } else {
      total += 24;
    }
  }
  return total;
}

size_t ApproxJsonBytes(const Trial& t) {
  size_t total = 400 + t.lease_owner.size() + t.error.size() + ApproxJsonBytes(t.params);
  for (const auto& [name, value] : t.final_values) total += name.size() + 28;
  return total;
}

Status SweepNotFound(uint64_t id) {
  return NotFoundError("sweep " + std::to_string(id) + " does not exist");
}

Status TrialNotFound(uint64_t id) {
  return NotFoundError("trial " + std::to_string(id) + " does not exist");
}

}  // namespace

bool IsLive(TrialState s) { return s == TrialState::kLeased || s == TrialState::kRunning; }

void SweepRun::OfferBest(const Trial& trial) {
  if (!IsFeasible(sweep.spec, trial.final_values)) return;  // outcomes.h
  const bool maximize = sweep.spec.metric.goal == proto::Goal::kMaximize;
  if (sweep.best_trial_id == 0 ||
      (maximize ? *trial.objective > *sweep.best_value : *trial.objective < *sweep.best_value)) {
    sweep.best_trial_id = trial.id;
    sweep.best_value = trial.objective;
  }
}

bool SweepRun::HasMoreWork() const {
  if (proto::IsTerminal(sweep.state)) return false;
  return !requeued.empty() || sweep.counters.running > 0 ||
         (!exhausted && sweep.counters.created < SearcherTrialLimit());
}

int64_t SweepRun::SearcherTrialLimit() const {
  return pbt ? std::min(pbt->options().population_size, sweep.spec.max_trials)
             : sweep.spec.max_trials;
}

void SweepRun::FillLevels(uint64_t number) {
  if (!stopper || number >= history.size()) return;
  std::vector<TrialView::LevelValue>& levels = history[number].levels;
  levels.clear();
  for (const RungValue& r : stopper->Levels(number)) levels.push_back({r.level, r.value});
}

Status SweepManagerOptions::Validate() const {
  if (max_page_size < 1) return InvalidArgumentError("max_page_size must be >= 1");
  if (max_page_bytes < 1) return InvalidArgumentError("max_page_bytes must be >= 1");
  return Status();
}

SweepManager::SweepManager(Clock* clock, SweepManagerOptions options, EventLog* events,
                           ProgramValidator validator, SearcherFactory searcher_factory)
    : clock_(clock),
      options_(options),
      events_(events),
      validator_(std::move(validator)),
      searcher_factory_(searcher_factory ? std::move(searcher_factory)
                                         : SearcherFactory(CreateSearcher)) {}

SweepManager::~SweepManager() = default;

void SweepManager::SetListeners(SweepListeners listeners) { listeners_ = std::move(listeners); }

void SweepManager::SetSuggestionExecutor(SuggestionExecutor executor) {
  executor_ = std::move(executor);
}

StatusOr<std::unique_ptr<SweepRun>> SweepManager::MakeRun(Sweep sweep, bool recovering) const {
  auto run = std::make_unique<SweepRun>();
  HPS_ASSIGN_OR_RETURN(SearchSpace space, SearchSpace::Create(sweep.spec));
  auto shared_space = std::make_shared<const SearchSpace>(std::move(space));
  HPS_ASSIGN_OR_RETURN(std::unique_ptr<Searcher> searcher, searcher_factory_(*shared_space));
  // A fit still running when the run goes keeps the searcher, and through
  // the deleter the space it refers to, alive.
  run->searcher =
      std::shared_ptr<Searcher>(searcher.release(), [shared_space](Searcher* s) { delete s; });
  run->space = std::move(shared_space);
  auto stopper = CreateStoppingPolicy(sweep.spec);
  if (stopper.ok()) {
    run->stopper = std::move(stopper).value();
  } else if (recovering) {
    // Stored before early_terminate was read: the sweep runs without early
    // stopping rather than not at all.
    HPS_LOG(WARNING) << "sweep " << sweep.id
                     << " runs without early stopping: " << stopper.status();
  } else {
    return stopper.status();
  }
  if (sweep.spec.method == proto::Method::kPbt) {
    // Validated at creation; a stored sweep is valid unless this build
    // reads its options differently, and then it cannot run PBT at all.
    HPS_ASSIGN_OR_RETURN(proto::PbtOptions pbt, proto::ParsePbtOptions(sweep.spec));
    run->pbt = std::make_unique<PbtScheduler>(sweep.spec, std::move(pbt));
  }
  run->fail_fast = FailFast(sweep.spec.max_consecutive_failures);
  run->sweep = std::move(sweep);
  return run;
}

void SweepManager::AddRun(std::unique_ptr<SweepRun> made) {
  SweepRun* run = runs_.emplace(made->sweep.id, std::move(made)).first->second.get();
  if (!executor_.background || !run->searcher->IsSlow()) return;
  run->queue = std::make_unique<SuggestionQueue>(
      run->searcher, executor_, [run] { return run->history; },
      [this, id = run->sweep.id](const Status& fit) {
        if (listeners_.fit_delivered) listeners_.fit_delivered(id, fit);
      });
}

// --- sweeps -------------------------------------------------------------------

StatusOr<Mutation<Sweep>> SweepManager::CreateSweep(const Json& body) {
  HPS_ASSIGN_OR_RETURN(proto::SweepSpec spec, proto::ParseSweepSpec(body));
  HPS_RETURN_IF_ERROR(proto::RefuseControlCharactersInNames(spec));
  if (validator_ && !spec.program.external) HPS_RETURN_IF_ERROR(validator_(spec));
  Sweep sweep;
  sweep.id = next_sweep_id_;
  sweep.spec = std::move(spec);
  sweep.created_us = sweep.updated_us = clock_->NowMicros();
  HPS_ASSIGN_OR_RETURN(std::unique_ptr<SweepRun> run, MakeRun(std::move(sweep), false));
  proto::SweepSpec& made = run->sweep.spec;
  if (made.method == proto::Method::kGrid) {
    const int64_t grid = run->space->GridSize(100'000'000);
    if (made.max_trials == 0 || made.max_trials > grid) made.max_trials = grid;
  }
  ++next_sweep_id_;
  Mutation<Sweep> m;
  m.writes.sweeps.push_back(run->sweep);
  events_->Add(m.writes, "sweep_created", run->sweep.id, 0, made.name);
  m.response = run->sweep;
  AddRun(std::move(run));
  return m;
}

StatusOr<Mutation<Sweep>> SweepManager::CancelSweep(uint64_t sweep_id) {
  HPS_ASSIGN_OR_RETURN(SweepRun * run, FindRun(sweep_id));
  Mutation<Sweep> m;
  if (proto::IsTerminal(run->sweep.state)) {
    m.response = run->sweep;  // cancelling a finished sweep changes nothing
    return m;
  }
  for (auto& [id, trial] : run->trials) {
    if (proto::IsTerminal(trial.state)) continue;
    SetTrialState(*run, trial, TrialState::kCancelled);
    m.writes.trials.push_back(trial);
  }
  run->sweep.state = SweepState::kCancelled;
  run->sweep.updated_us = clock_->NowMicros();
  m.writes.sweeps.push_back(run->sweep);
  events_->Add(m.writes, "sweep_cancelled", sweep_id, 0, "");
  m.response = run->sweep;
  if (listeners_.sweep_cancelled) listeners_.sweep_cancelled(sweep_id);
  return m;
}

StatusOr<Mutation<Sweep>> SweepManager::RetrySweep(uint64_t sweep_id) {
  HPS_ASSIGN_OR_RETURN(SweepRun * run, FindRun(sweep_id));
  if (run->sweep.state == SweepState::kCancelled) {
    return FailedPreconditionError("sweep " + std::to_string(sweep_id) +
                                   " was cancelled; submit it again instead");
  }
  const bool fail_fast_stopped = run->sweep.state == SweepState::kFailed;
  Mutation<Sweep> m;
  int64_t requeued = 0;
  for (auto& [id, trial] : run->trials) {
    const bool again = trial.state == TrialState::kFailed ||
                       (fail_fast_stopped && trial.state == TrialState::kCancelled);
    if (!again) continue;
    trial.attempt = 0;
    trial.error.clear();
    trial.objective.reset();
    trial.final_values.clear();
    SetTrialState(*run, trial, TrialState::kPending);
    m.writes.trials.push_back(trial);
    ++requeued;
  }
  run->fail_fast.Reset();
  run->sweep.last_failed_trial_id = 0;
  run->sweep.last_failure.clear();
  if (proto::IsTerminal(run->sweep.state) && requeued > 0) {
    run->sweep.state = SweepState::kRunning;
    run->sweep.reason.clear();
  }
  run->sweep.updated_us = clock_->NowMicros();
  m.writes.sweeps.push_back(run->sweep);
  events_->Add(m.writes, "sweep_retried", sweep_id, 0,
               std::to_string(requeued) + " trials requeued");
  m.response = run->sweep;
  return m;
}

std::vector<Sweep> SweepManager::ListSweeps() const {
  std::vector<Sweep> out;
  out.reserve(runs_.size());
  for (const auto& [id, run] : runs_) out.push_back(run->sweep);
  return out;
}

StatusOr<Sweep> SweepManager::GetSweep(uint64_t sweep_id) const {
  HPS_ASSIGN_OR_RETURN(const SweepRun* run, FindRun(sweep_id));
  return run->sweep;
}

StatusOr<proto::TrialPage> SweepManager::ListTrials(uint64_t sweep_id,
                                                    const std::string& page_token, int64_t limit,
                                                    std::optional<TrialState> state) const {
  HPS_ASSIGN_OR_RETURN(const SweepRun* run, FindRun(sweep_id));
  uint64_t after = 0;
  if (!page_token.empty()) {
    // Decimal digits only: strtoull took "-1" (wrapped) and saturated
    // overflow, both an empty page instead of an error.
    const char* begin = page_token.data();
    const char* end = begin + page_token.size();
    auto [stop, ec] = std::from_chars(begin, end, after);
    if (ec != std::errc() || stop != end) {
      return InvalidArgumentError("malformed page_token \"" + QuoteForMessage(page_token) + "\"",
                                  "page_token");
    }
  }
  if (limit <= 0 || limit > options_.max_page_size) limit = options_.max_page_size;
  proto::TrialPage page;
  size_t page_bytes = 0;
  for (auto it = run->trials.upper_bound(after); it != run->trials.end(); ++it) {
    if (state && it->second.state != *state) continue;
    const size_t bytes = ApproxJsonBytes(it->second);
    if (static_cast<int64_t>(page.trials.size()) == limit ||
        (!page.trials.empty() && page_bytes + bytes > options_.max_page_bytes)) {
      page.next_page_token = std::to_string(page.trials.back().id);
      break;
    }
    page_bytes += bytes;
    page.trials.push_back(it->second);
  }
  return page;
}

StatusOr<Trial> SweepManager::GetTrial(uint64_t trial_id) const {
  const Trial* trial = LookupTrial(trial_id);
  if (!trial) return TrialNotFound(trial_id);
  return *trial;
}

StatusOr<Trial> SweepManager::BestTrial(uint64_t sweep_id) const {
  HPS_ASSIGN_OR_RETURN(const SweepRun* run, FindRun(sweep_id));
  if (run->sweep.best_trial_id == 0) {
    return NotFoundError("sweep " + std::to_string(sweep_id) + " has no completed trial yet");
  }
  return run->trials.at(run->sweep.best_trial_id);
}

void SweepManager::FillStats(ServiceStats& s) const {
  s.sweeps = static_cast<int64_t>(runs_.size());
  s.trials = static_cast<int64_t>(sweep_of_trial_.size());
  for (const auto& [id, run] : runs_) {
    const proto::SweepCounters& c = run->sweep.counters;
    s.trials_by_state[TrialState::kPending] += c.pending;
    s.trials_by_state[TrialState::kRunning] += c.running;
    s.trials_by_state[TrialState::kCompleted] += c.completed;
    s.trials_by_state[TrialState::kFailed] += c.failed;
    s.trials_by_state[TrialState::kPruned] += c.pruned;
    s.trials_by_state[TrialState::kCancelled] += c.cancelled;
    if (!run->queue) continue;
    const SuggestionQueueStats& q = run->queue->stats();
    s.suggestions_computed += q.computed;
    s.suggestions_stale += q.stale;
    s.suggestion_fits_cancelled += q.cancelled;
    s.suggestion_errors += q.errors;
    s.suggestion_seconds += q.seconds;
  }
  s.sweeps_unreadable = sweeps_unreadable_;
}

// --- for the trial manager ------------------------------------------------------

StatusOr<SweepRun*> SweepManager::FindRun(uint64_t sweep_id) {
  auto it = runs_.find(sweep_id);
  if (it == runs_.end()) return SweepNotFound(sweep_id);
  return it->second.get();
}

StatusOr<const SweepRun*> SweepManager::FindRun(uint64_t sweep_id) const {
  auto it = runs_.find(sweep_id);
  if (it == runs_.end()) return SweepNotFound(sweep_id);
  return static_cast<const SweepRun*>(it->second.get());
}

std::vector<SweepRun*> SweepManager::Runs() {
  std::vector<SweepRun*> out;
  out.reserve(runs_.size());
  for (auto& [id, run] : runs_) out.push_back(run.get());
  return out;
}

StatusOr<SweepManager::TrialRef> SweepManager::FindTrial(uint64_t trial_id) {
  auto it = sweep_of_trial_.find(trial_id);
  if (it == sweep_of_trial_.end()) return TrialNotFound(trial_id);
  SweepRun* run = runs_.at(it->second).get();
  return TrialRef{run, &run->trials.at(trial_id)};
}

const Trial* SweepManager::LookupTrial(uint64_t trial_id) const {
  auto it = sweep_of_trial_.find(trial_id);
  if (it == sweep_of_trial_.end()) return nullptr;
  return &runs_.at(it->second)->trials.at(trial_id);
}

Trial& SweepManager::AddTrial(SweepRun& run, Trial trial) {
  trial.id = next_trial_id_++;
  sweep_of_trial_[trial.id] = run.sweep.id;
  ++run.sweep.counters.created;
  ++*CounterFor(run.sweep.counters, trial.state);
  run.history.push_back(ViewOf(run.sweep.spec, trial));
  run.requeued.insert(trial.id);  // pending: it waits for a lease (a PBT child does)
  return run.trials.emplace(trial.id, std::move(trial)).first->second;
}

void SweepManager::SetTrialState(SweepRun& run, Trial& trial, TrialState state) {
  if (trial.state == state) return;
  --*CounterFor(run.sweep.counters, trial.state);
  ++*CounterFor(run.sweep.counters, state);
  if (IsLive(trial.state) && !IsLive(state)) {
    if (listeners_.lease_ended) listeners_.lease_ended(trial);
    trial.lease_owner.clear();
    trial.lease_deadline_us = 0;
    run.last_values.erase(trial.id);
  }
  if (trial.state == TrialState::kPending) run.requeued.erase(trial.id);
  if (state == TrialState::kPending) run.requeued.insert(trial.id);
  trial.state = state;
  trial.updated_us = clock_->NowMicros();
  run.fail_fast.Record(state);
  if (state == TrialState::kFailed) {
    run.sweep.last_failed_trial_id = trial.id;
    run.sweep.last_failure = trial.error;
  }
  if (run.stopper && proto::IsTerminal(state)) run.stopper->Finished(trial.number, state);
  if (run.pbt && proto::IsTerminal(state)) run.pbt->Finished(trial.id);
  FillOutcomes(run.sweep.spec, trial, &run.history[trial.number]);
  run.history[trial.number].pruned_value = PrunedValue(trial, run.sweep.spec.metric.name);
  if (proto::IsTerminal(state)) run.FillLevels(trial.number);
}

std::set<int64_t> SweepManager::CheckpointsInUse(uint64_t trial_id) const {
  std::set<int64_t> steps;
  auto it = sweep_of_trial_.find(trial_id);
  if (it == sweep_of_trial_.end()) return steps;
  const SweepRun& run = *runs_.at(it->second);
  if (!run.pbt) return steps;
  for (const auto& [id, t] : run.trials) {
    if (t.parent && t.parent->trial_id == trial_id && t.checkpoint_step < 0 &&
        !proto::IsTerminal(t.state)) {
      steps.insert(t.parent->checkpoint_step);
    }
  }
  return steps;
}

void SweepManager::MaybeFinishSweep(SweepRun& run, WriteSet& writes) {
  if (proto::IsTerminal(run.sweep.state)) return;
  if (run.fail_fast.tripped()) {
    for (auto& [id, trial] : run.trials) {
      if (proto::IsTerminal(trial.state)) continue;
      SetTrialState(run, trial, TrialState::kCancelled);
      writes.trials.push_back(trial);
    }
    run.sweep.state = SweepState::kFailed;
    run.sweep.reason =
        FailFastReason(run.fail_fast, run.sweep.last_failed_trial_id, run.sweep.last_failure);
    run.sweep.updated_us = clock_->NowMicros();
    writes.sweeps.push_back(run.sweep);
    events_->Add(writes, "sweep_failed", run.sweep.id, 0, run.sweep.reason);
    HPS_LOG(WARNING) << "sweep " << run.sweep.id << " failed: " << run.sweep.reason;
    if (listeners_.sweep_cancelled) listeners_.sweep_cancelled(run.sweep.id);
    return;
  }
  if (run.HasMoreWork()) return;
  run.sweep.state = SweepState::kCompleted;
  run.sweep.updated_us = clock_->NowMicros();
  writes.sweeps.push_back(run.sweep);
  events_->Add(writes, "sweep_completed", run.sweep.id, 0, "");
}

}  // namespace hpsweep::coordinator
