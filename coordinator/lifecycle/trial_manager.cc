#include "coordinator/lifecycle/trial_manager.h"

#include <algorithm>
#include <utility>

#include "common/logging.h"
#include "common/utf8.h"

namespace hpsweep::coordinator {

using proto::Trial;
using proto::TrialState;

namespace {

// When a lease call is answered with the trial as it stands (see LeaseCall).
// A cancelled or pruned trial: heartbeats and reports are answered "stop",
// so its worker ends it gracefully.
bool IsStopped(const Trial& t) {
  return t.state == TrialState::kCancelled || t.state == TrialState::kPruned;
}
// Completing twice, or completing a trial that was stopped.
bool IsCompletedOrStopped(const Trial& t) {
  return t.state == TrialState::kCompleted || IsStopped(t);
}
// Already failed or stopped: failing again changes nothing.
bool IsFailedOrStopped(const Trial& t) {
  return proto::IsTerminal(t.state) && t.state != TrialState::kCompleted;
}
// Already released, expired or finished.
bool IsReleased(const Trial& t) { return !IsLive(t.state) && t.lease_owner.empty(); }

// The answers of a settled lease call: "stop" to a heartbeat or report, the
// trial as it stands to the others. Nothing to write.
Mutation<proto::Decision> StopAnswer(const Trial& trial) {
  Mutation<proto::Decision> m;
  m.response.stop = true;
  m.response.reason = "trial " + std::string(proto::TrialStateName(trial.state));
  if (trial.prune) m.response.reason += ": " + trial.prune->reason;
  return m;
}
Mutation<Trial> AsItStands(const Trial& trial) {
  Mutation<Trial> m;
  m.response = trial;
  return m;
}

}  // namespace

Status TrialManagerOptions::Validate() const {
  if (!(retry_after_seconds > 0)) return InvalidArgumentError("retry_after_seconds must be > 0");
  if (!(forget_idle_client_seconds > 0)) {
    return InvalidArgumentError("forget_idle_client_seconds must be > 0");
  }
  return Status();
}

TrialManager::TrialManager(Clock* clock, TrialManagerOptions options, SweepManager* sweeps,
                           EventLog* events)
    : clock_(clock), options_(options), sweeps_(sweeps), events_(events) {
  SweepListeners listeners;
  listeners.lease_ended = [this](const Trial& trial) { DropLease(trial); };
  listeners.fit_delivered = [this](uint64_t id, const Status& fit) { ServeWaiters(id, fit); };
  listeners.sweep_cancelled = [this](uint64_t id) { ScheduleServeWaiters(id); };
  sweeps_->SetListeners(std::move(listeners));
}

TrialManager::~TrialManager() { sweeps_->SetListeners(SweepListeners()); }

void TrialManager::SetSuggestionExecutor(SuggestionExecutor executor) {
  executor_ = std::move(executor);
}

void TrialManager::Recover() {
  for (SweepRun* run : sweeps_->Runs()) {
    for (const auto& [id, trial] : run->trials) {
      if (!IsLive(trial.state)) continue;
      clients_[trial.lease_owner].info.client_id = trial.lease_owner;
      AddLease(trial);
    }
  }
}

// --- leases and clients ---------------------------------------------------------

void TrialManager::RenewLease(Trial& trial, int64_t now_us) {
  trial.lease_deadline_us = now_us + trial.lease_seconds * 1'000'000;
}

void TrialManager::Touch(const std::string& client_id, const std::string& kind) {
  ClientEntry& c = clients_[client_id];
  c.info.client_id = client_id;
  if (!kind.empty()) c.info.kind = kind;
  c.info.last_seen_us = clock_->NowMicros();
}

void TrialManager::AddLease(const Trial& trial) {
  leased_trials_.insert(trial.id);
  clients_[trial.lease_owner].trials.insert(trial.id);
}

void TrialManager::DropLease(const Trial& trial) {
  leased_trials_.erase(trial.id);
  auto c = clients_.find(trial.lease_owner);
  if (c != clients_.end()) c->second.trials.erase(trial.id);
}

Status TrialManager::CheckLease(const Trial& trial, const std::string& client_id) const {
  if (IsLive(trial.state) && trial.lease_owner == client_id) return Status();
  if (IsLive(trial.state)) {
    return AbortedError("lease lost: trial " + std::to_string(trial.id) + " is leased to \"" +
                        trial.lease_owner + "\", not \"" + client_id + "\"");
  }
  if (trial.state == TrialState::kPending) {
    return AbortedError("lease lost: the lease of trial " + std::to_string(trial.id) +
                        " expired and it was requeued");
  }
  return FailedPreconditionError("trial " + std::to_string(trial.id) + " is already " +
                                 std::string(proto::TrialStateName(trial.state)));
}

StatusOr<TrialManager::LeaseCall> TrialManager::OpenLeaseCall(
    uint64_t trial_id, const std::string& client_id, bool (*settled)(const Trial&)) {
  Touch(client_id, "");
  HPS_ASSIGN_OR_RETURN(SweepManager::TrialRef found, sweeps_->FindTrial(trial_id));
  LeaseCall call{found.run, found.trial, settled(*found.trial)};
  if (!call.settled) HPS_RETURN_IF_ERROR(CheckLease(*call.trial, client_id));
  return call;
}

// --- lease calls ----------------------------------------------------------------

StatusOr<Mutation<proto::Decision>> TrialManager::Heartbeat(uint64_t trial_id,
                                                             const proto::HeartbeatRequest& request) {
  HPS_ASSIGN_OR_RETURN(LeaseCall call, OpenLeaseCall(trial_id, request.client_id, IsStopped));
  if (call.settled) return StopAnswer(*call.trial);
  Mutation<proto::Decision> m;
  RenewLease(*call.trial, clock_->NowMicros());
  if (MaybeRejudge(*call.run, *call.trial, m)) return m;
  m.writes.trials.push_back(*call.trial);
  m.response.lease_deadline_us = call.trial->lease_deadline_us;
  return m;
}

StatusOr<Mutation<proto::Decision>> TrialManager::Report(uint64_t trial_id,
                                                          const proto::ReportRequest& request) {
  HPS_ASSIGN_OR_RETURN(LeaseCall call, OpenLeaseCall(trial_id, request.client_id, IsStopped));
  auto [run, trial, settled] = call;
  if (settled) return StopAnswer(*trial);
  Mutation<proto::Decision> m;
  const int64_t now = clock_->NowMicros();
  if (trial->state == TrialState::kLeased) {
    sweeps_->SetTrialState(*run, *trial, TrialState::kRunning);
    events_->Add(m.writes, "trial_running", run->sweep.id, trial->id, request.client_id);
  }
  trial->last_step = std::max(trial->last_step, request.step);
  RenewLease(*trial, now);
  trial->updated_us = now;
  run->last_values[trial->id] = request.values;
  m.writes.metrics.emplace_back(trial->id, proto::MetricPoint{request.step, request.values, now});
  if (MaybePrune(*run, *trial, request, m)) return m;
  if (MaybeExploit(*run, *trial, request, m)) return m;
  m.writes.trials.push_back(*trial);
  m.response.lease_deadline_us = trial->lease_deadline_us;
  return m;
}

bool TrialManager::MaybePrune(SweepRun& run, Trial& trial, const proto::ReportRequest& request,
                              Mutation<proto::Decision>& m) {
  if (!run.stopper) return false;
  auto value = request.values.find(run.sweep.spec.metric.name);
  if (value == request.values.end()) return false;
  StopDecision decision = run.stopper->Report(trial.number, request.step, value->second);
  if (!decision.stop) return false;
  EndPruned(run, trial, proto::PruneInfo{request.step, decision.rung, decision.reason},
            request.values, "trial_pruned", m);
  return true;
}

bool TrialManager::MaybeRejudge(SweepRun& run, Trial& trial, Mutation<proto::Decision>& m) {
  if (!run.stopper || trial.state != TrialState::kRunning) return false;
  StopDecision decision = run.stopper->Rejudge(trial.number);
  if (!decision.stop) return false;
  auto last = run.last_values.find(trial.id);
  proto::Values values = last == run.last_values.end() ? proto::Values() : last->second;
  EndPruned(run, trial,
            proto::PruneInfo{trial.last_step, decision.rung, decision.reason + " (on heartbeat)"},
            std::move(values), "trial_pruned", m);
  return true;
}

void TrialManager::EndPruned(SweepRun& run, Trial& trial, proto::PruneInfo info,
                             proto::Values values, const std::string& event,
                             Mutation<proto::Decision>& m) {
  const std::string reason = info.reason;
  trial.prune = std::move(info);
  trial.final_values = std::move(values);  // what it showed when stopped; no objective
  sweeps_->SetTrialState(run, trial, TrialState::kPruned);
  run.sweep.updated_us = trial.updated_us;
  m.writes.trials.push_back(trial);
  events_->Add(m.writes, event, run.sweep.id, trial.id, std::string(TruncateUtf8(reason, 500)));
  sweeps_->MaybeFinishSweep(run, m.writes);
  ResultArrived(run);
  m.response.stop = true;
  m.response.reason = "trial pruned: " + reason;
}

StatusOr<Mutation<Trial>> TrialManager::Complete(uint64_t trial_id,
                                                 const proto::CompleteRequest& request) {
  HPS_ASSIGN_OR_RETURN(LeaseCall call,
                       OpenLeaseCall(trial_id, request.client_id, IsCompletedOrStopped));
  auto [run, trial, settled] = call;
  if (settled) return AsItStands(*trial);
  Mutation<Trial> m;
  const std::string& metric = run->sweep.spec.metric.name;
  proto::Values values = request.values;
  auto last = run->last_values.find(trial->id);
  // Every objective and constraint metric (proto::RequiredMetrics), each
  // from the last report when the complete does not carry it.
  for (const std::string& name : proto::RequiredMetrics(run->sweep.spec)) {
    if (values.find(name) == values.end() && last != run->last_values.end()) {
      auto v = last->second.find(name);
      if (v != last->second.end()) values[name] = v->second;
    }
    if (values.find(name) == values.end()) {
      return InvalidArgumentError("values must include the sweep metric \"" + name +
                                      "\" (no report carried it either)",
                                  "/values");
    }
  }
  auto objective = values.find(metric);
  trial->objective = objective->second;
  trial->final_values = std::move(values);
  sweeps_->SetTrialState(*run, *trial, TrialState::kCompleted);
  run->OfferBest(*trial);
  run->sweep.updated_us = trial->updated_us;
  m.writes.trials.push_back(*trial);
  events_->Add(m.writes, "trial_completed", run->sweep.id, trial->id,
               metric + "=" + std::to_string(*trial->objective));
  sweeps_->MaybeFinishSweep(*run, m.writes);
  ResultArrived(*run);
  m.response = *trial;
  return m;
}

StatusOr<Mutation<Trial>> TrialManager::Fail(uint64_t trial_id, const proto::FailRequest& request) {
  HPS_ASSIGN_OR_RETURN(LeaseCall call, OpenLeaseCall(trial_id, request.client_id, IsFailedOrStopped));
  auto [run, trial, settled] = call;
  if (settled) return AsItStands(*trial);
  Mutation<Trial> m;
  trial->error = request.error;
  sweeps_->SetTrialState(*run, *trial, TrialState::kFailed);
  m.writes.trials.push_back(*trial);
  events_->Add(m.writes, "trial_failed", run->sweep.id, trial->id,
               std::string(TruncateUtf8(request.error, 500)));
  sweeps_->MaybeFinishSweep(*run, m.writes);
  ResultArrived(*run);
  m.response = *trial;
  return m;
}

StatusOr<Mutation<Trial>> TrialManager::Release(uint64_t trial_id,
                                                const proto::HeartbeatRequest& request) {
  HPS_ASSIGN_OR_RETURN(LeaseCall call, OpenLeaseCall(trial_id, request.client_id, IsReleased));
  auto [run, trial, settled] = call;
  if (settled) return AsItStands(*trial);
  Mutation<Trial> m;
  sweeps_->SetTrialState(*run, *trial, TrialState::kPending);
  m.writes.trials.push_back(*trial);
  events_->Add(m.writes, "trial_released", run->sweep.id, trial->id, request.client_id);
  ScheduleServeWaiters(run->sweep.id);  // a waiting ask can take it
  m.response = *trial;
  return m;
}

Status TrialManager::CheckCheckpointUpload(uint64_t trial_id, const std::string& client_id) const {
  HPS_ASSIGN_OR_RETURN(SweepManager::TrialRef found, sweeps_->FindTrial(trial_id));
  return CheckLease(*found.trial, client_id);
}

StatusOr<Mutation<Trial>> TrialManager::CheckpointStored(uint64_t trial_id, int64_t step) {
  HPS_ASSIGN_OR_RETURN(SweepManager::TrialRef found, sweeps_->FindTrial(trial_id));
  Trial& trial = *found.trial;
  Mutation<Trial> m;
  if (step > trial.checkpoint_step) {
    trial.checkpoint_step = step;
    // The reported step it covers (see proto::Trial): workers report a step
    // before they checkpoint its end; a child's count starts where its
    // parent's checkpoint left off.
    trial.checkpoint_report_step =
        std::max(trial.last_step, trial.parent ? trial.parent->start_step : int64_t{0});
    trial.updated_us = clock_->NowMicros();
    m.writes.trials.push_back(trial);
  }
  m.response = trial;
  return m;
}

WriteSet TrialManager::ExpireLeases() {
  WriteSet writes;
  const int64_t now = clock_->NowMicros();
  std::vector<uint64_t> expired;
  for (uint64_t id : leased_trials_) {
    auto found = sweeps_->FindTrial(id);
    if (found.ok() && found->trial->lease_deadline_us < now) expired.push_back(id);
  }
  for (uint64_t id : expired) {
    auto [run, trial] = sweeps_->FindTrial(id).value();
    const std::string owner = trial->lease_owner;
    ++leases_expired_;
    if (trial->attempt < run->sweep.spec.max_restarts) {
      ++trial->attempt;
      sweeps_->SetTrialState(*run, *trial, TrialState::kPending);
      ++trials_requeued_;
      events_->Add(writes, "lease_expired", run->sweep.id, trial->id, owner + "; requeued");
      ScheduleServeWaiters(run->sweep.id);  // a waiting ask can take it
    } else {
      trial->error = "lease expired (owner \"" + owner + "\") after " +
                     std::to_string(trial->attempt + 1) + " attempts";
      sweeps_->SetTrialState(*run, *trial, TrialState::kFailed);
      events_->Add(writes, "lease_expired", run->sweep.id, trial->id, owner + "; failed");
      ResultArrived(*run);
    }
    HPS_LOG(WARNING) << "lease of trial " << id << " held by \"" << owner << "\" expired; now "
                     << proto::TrialStateName(trial->state);
    writes.trials.push_back(*trial);
    sweeps_->MaybeFinishSweep(*run, writes);
  }
  ForgetIdleClients(now);
  return writes;
}

void TrialManager::ForgetIdleClients(int64_t now_us) {
  const int64_t before = now_us - static_cast<int64_t>(options_.forget_idle_client_seconds * 1e6);
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (it->second.trials.empty() && it->second.info.last_seen_us < before) {
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<proto::ClientInfo> TrialManager::ListClients() const {
  std::vector<proto::ClientInfo> out;
  for (const auto& [id, c] : clients_) {
    proto::ClientInfo info = c.info;
    info.active_trials.assign(c.trials.begin(), c.trials.end());
    out.push_back(std::move(info));
  }
  return out;
}

void TrialManager::FillStats(ServiceStats& s) const {
  s.leases_expired = leases_expired_;
  s.trials_requeued = trials_requeued_;
  s.clients = static_cast<int64_t>(clients_.size());
  s.suggestions_fallback = suggestions_fallback_;
  s.asks_deferred = asks_deferred_;
  s.asks_waiting = static_cast<int64_t>(waiters_.size());
}

}  // namespace hpsweep::coordinator
