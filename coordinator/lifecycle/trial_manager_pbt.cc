// TrialManager's population-based-training step (trial_manager.h, pbt.h):
// a report of a `method: pbt` sweep that its scheduler exploits creates the
// child trial and ends the reporter pruned.
#include <string>
#include <utility>

#include "common/logging.h"
#include "common/utf8.h"
#include "coordinator/lifecycle/trial_manager.h"

namespace hpsweep::coordinator {

using proto::Trial;

bool TrialManager::MaybeExploit(SweepRun& run, Trial& trial, const proto::ReportRequest& request,
                                Mutation<proto::Decision>& m) {
  if (!run.pbt || trial.state != proto::TrialState::kRunning) return false;
  auto value = request.values.find(run.sweep.spec.metric.name);
  if (value == request.values.end()) return false;
  const uint64_t number = static_cast<uint64_t>(run.sweep.counters.created);
  const bool may_create = run.sweep.counters.created < run.sweep.spec.max_trials;
  std::optional<ExploitPlan> plan =
      run.pbt->Report(trial, request.step, value->second, run.trials, number, may_create);
  if (!plan) return false;
  const int64_t now = clock_->NowMicros();
  Trial child;
  child.sweep_id = run.sweep.id;
  child.number = number;
  child.params = std::move(plan->params);
  child.origin.source = "pbt";
  child.parent = std::move(plan->parent);
  child.created_us = child.updated_us = now;
  Trial& added = sweeps_->AddTrial(run, std::move(child));  // pending: the next ask takes it
  m.writes.trials.push_back(added);
  events_->Add(m.writes, "trial_created", run.sweep.id, added.id,
               std::string(TruncateUtf8("pbt child of trial " +
                                            std::to_string(added.parent->trial_id) + " from step " +
                                            std::to_string(added.parent->start_step) + ": " +
                                            added.parent->explore,
                                        500)));
  HPS_LOG(INFO) << "sweep " << run.sweep.id << ": trial " << trial.id << " exploited; trial "
                << added.id << " continues trial " << added.parent->trial_id << " from step "
                << added.parent->start_step << " with " << added.parent->explore;
  EndPruned(run, trial, proto::PruneInfo{request.step, -1, std::move(plan->reason)},
            request.values, "trial_exploited", m);
  ScheduleServeWaiters(run.sweep.id);  // a waiting ask can take the child
  return true;
}

}  // namespace hpsweep::coordinator
