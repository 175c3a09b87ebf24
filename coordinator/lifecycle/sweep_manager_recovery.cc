// SweepManager's recovery: runs rebuilt from the store at start-up, with
// their counters, fail-fast state, stopping and PBT state replayed from the
// stored trials and curves (sweep_manager.h).
#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "coordinator/lifecycle/sweep_counters.h"
#include "coordinator/lifecycle/sweep_manager.h"
#include "coordinator/search/outcomes.h"

namespace hpsweep::coordinator {

using proto::Sweep;
using proto::Trial;
using proto::TrialState;

namespace {

// The fail-fast counter and the latest failure of a recovered run, from its
// finished trials in the order they ended.
void ReplayEndings(SweepRun& run, const std::vector<Trial>& trials) {
  std::vector<const Trial*> ended;
  for (const Trial& t : trials) {
    if (proto::IsTerminal(t.state)) ended.push_back(&t);
  }
  std::stable_sort(ended.begin(), ended.end(),
                   [](const Trial* a, const Trial* b) { return a->updated_us < b->updated_us; });
  for (const Trial* t : ended) {
    run.fail_fast.Record(t->state);
    if (t->state == TrialState::kFailed) {
      run.sweep.last_failed_trial_id = t->id;
      run.sweep.last_failure = t->error;
    }
  }
}

}  // namespace

Status SweepManager::Recover(Store& store) {
  auto skip = [&](uint64_t id, const Status& why) -> Status {
    ++sweeps_unreadable_;
    HPS_LOG(ERROR) << "sweep " << id << " is not loaded: " << why;
    next_sweep_id_ = std::max(next_sweep_id_, id + 1);
    std::vector<UndecodableRecord> bad;
    HPS_ASSIGN_OR_RETURN(std::vector<Trial> trials, store.LoadTrials(id, 0, 0, &bad));
    for (const Trial& t : trials) next_trial_id_ = std::max(next_trial_id_, t.id + 1);
    for (const UndecodableRecord& b : bad) next_trial_id_ = std::max(next_trial_id_, b.trial_id + 1);
    return Status();
  };
  std::vector<UndecodableRecord> unreadable;
  HPS_ASSIGN_OR_RETURN(std::vector<Sweep> sweeps, store.LoadSweeps(&unreadable));
  for (const UndecodableRecord& bad : unreadable) HPS_RETURN_IF_ERROR(skip(bad.sweep_id, bad.status));
  size_t live = 0;
  for (Sweep& s : sweeps) {
    const uint64_t id = s.id;
    auto made = MakeRun(std::move(s), /*recovering=*/true);
    if (!made.ok()) {
      HPS_RETURN_IF_ERROR(skip(id, DataLossError("sweeps key " + std::to_string(id) +
                                                 ": its search space cannot be rebuilt: " +
                                                 made.status().ToString())));
      continue;
    }
    std::unique_ptr<SweepRun> run = std::move(made).value();
    std::vector<UndecodableRecord> bad_trials;
    HPS_ASSIGN_OR_RETURN(std::vector<Trial> trials, store.LoadTrials(id, 0, 0, &bad_trials));
    Status trials_ok = bad_trials.empty() ? Status() : bad_trials.front().status;
    for (const Trial& t : trials) {
      // Numbers are 0..n-1 in creation order; anything else would size the
      // history past what the store holds.
      if (trials_ok.ok() && t.number >= trials.size()) {
        trials_ok = DataLossError("trial " + std::to_string(t.id) + " has number " +
                                  std::to_string(t.number) + " but its sweep has " +
                                  std::to_string(trials.size()) + " trials");
      }
    }
    if (!trials_ok.ok()) {
      HPS_RETURN_IF_ERROR(skip(id, trials_ok));
      continue;
    }
    run->sweep.counters = proto::SweepCounters();
    run->sweep.best_trial_id = 0;
    run->sweep.best_value.reset();
    ReplayEndings(*run, trials);
    for (Trial& t : trials) {
      next_trial_id_ = std::max(next_trial_id_, t.id + 1);
      sweep_of_trial_[t.id] = id;
      ++run->sweep.counters.created;
      ++*CounterFor(run->sweep.counters, t.state);
      if (t.state == TrialState::kPending) run->requeued.insert(t.id);
      if (IsLive(t.state)) {
        ++live;
        if (t.last_step >= 0) {
          auto last = store.ReadMetrics(t.id, t.last_step, 1);
          if (last.ok() && !last->empty()) run->last_values[t.id] = last->front().values;
        }
      }
      if (t.state == TrialState::kCompleted && t.objective) run->OfferBest(t);
      run->sweep.updated_us = std::max(run->sweep.updated_us, t.updated_us);
      if (run->history.size() <= t.number) run->history.resize(t.number + 1);
      run->history[t.number] = ViewOf(run->sweep.spec, t);
      run->history[t.number].pruned_value = PrunedValue(t, run->sweep.spec.metric.name);
      run->trials.emplace(t.id, std::move(t));
    }
    HPS_RETURN_IF_ERROR(ReplayStopping(store, *run));
    for (const auto& [trial_id, t] : run->trials) {
      if (proto::IsTerminal(t.state)) run->FillLevels(t.number);
    }
    next_sweep_id_ = std::max(next_sweep_id_, id + 1);
    AddRun(std::move(run));
  }
  HPS_LOG(INFO) << "recovered " << runs_.size() << " sweeps, " << sweep_of_trial_.size()
                << " trials, " << live << " live leases";
  return Status();
}

Status SweepManager::ReplayStopping(Store& store, SweepRun& run) {
  if (!run.stopper && !run.pbt) return Status();
  const std::string& metric = run.sweep.spec.metric.name;
  for (const auto& [id, t] : run.trials) {
    if (t.last_step < 0) continue;
    HPS_ASSIGN_OR_RETURN(std::vector<proto::MetricPoint> curve,
                         store.ReadMetrics(t.id, std::numeric_limits<int64_t>::min(), 0));
    for (const proto::MetricPoint& point : curve) {
      auto value = point.values.find(metric);
      if (value == point.values.end()) continue;
      if (run.stopper) run.stopper->Report(t.number, point.step, value->second);
      if (run.pbt) run.pbt->Observe(t, point.step, value->second);
    }
  }
  for (const auto& [id, t] : run.trials) {
    if (!proto::IsTerminal(t.state)) continue;
    if (run.stopper) run.stopper->Finished(t.number, t.state);
    if (run.pbt) run.pbt->Finished(t.id);
  }
  return Status();
}

}  // namespace hpsweep::coordinator
