// TrialManager's ask path (trial_manager.h): lease passes over the candidate
// sweeps, the parameters of new trials, and the asks parked until a model fit
// delivers. The lease calls, expiry and the client registry are in
// trial_manager.cc.
#include "coordinator/lifecycle/trial_manager.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <sstream>
#include <utility>

#include "common/logging.h"

namespace hpsweep::coordinator {

using proto::SweepState;
using proto::Trial;
using proto::TrialState;

namespace {

// The pass answered nothing and changed nothing, but a sweep would have had a
// trial once a fit delivers: the ask may wait for it.
bool OnlyWaits(const StatusOr<Mutation<proto::AskResponse>>& m,
               const std::set<uint64_t>& blocked) {
  return m.ok() && m->response.trials.empty() && m->writes.empty() && !blocked.empty();
}

// A worker gang leases only trials of sweeps whose resources.ranks_per_trial
// is its size: a trial is trained on exactly the ranks its sweep asked for.
Status CheckGangSize(const proto::Sweep& sweep, const proto::AskRequest& request) {
  if (request.ranks == sweep.spec.ranks_per_trial) return Status::Ok();
  return FailedPreconditionError(
      "sweep " + std::to_string(sweep.id) + " trains each trial on " +
      std::to_string(sweep.spec.ranks_per_trial) + " rank(s) (resources.ranks_per_trial) but this gang has " +
      std::to_string(request.ranks) + ": start its workers with --gang-size " +
      std::to_string(sweep.spec.ranks_per_trial));
}

}  // namespace

// --- ask ------------------------------------------------------------------------

StatusOr<std::optional<Suggestion>> TrialManager::NextParams(SweepRun& run, uint64_t number,
                                                             const LeasePolicy& policy,
                                                             bool* blocked) {
  if (!run.queue) {
    HPS_ASSIGN_OR_RETURN(std::vector<Suggestion> batch,
                         run.searcher->SuggestBatch(run.history, number, 1, nullptr));
    if (batch.empty()) return std::optional<Suggestion>();
    return std::optional<Suggestion>(std::move(batch[0]));
  }
  if (std::optional<Suggestion> fresh = run.queue->Take()) return fresh;
  if (policy.may_wait) {
    *blocked = true;
    return std::optional<Suggestion>();
  }
  ++suggestions_fallback_;
  Suggestion fallback{FallbackSuggestion(*run.space, number), {}};
  fallback.origin.source = "fallback";
  fallback.origin.reason = policy.fallback_reason;
  return std::optional<Suggestion>(std::move(fallback));
}

StatusOr<Trial*> TrialManager::LeaseOne(SweepRun& run, const proto::AskRequest& request,
                                        const LeasePolicy& policy, WriteSet& writes,
                                        bool* blocked) {
  const proto::SweepSpec& spec = run.sweep.spec;
  if (proto::IsTerminal(run.sweep.state)) return static_cast<Trial*>(nullptr);
  if (spec.max_concurrent_trials > 0 && run.sweep.counters.running >= spec.max_concurrent_trials) {
    return static_cast<Trial*>(nullptr);
  }
  const int64_t now = clock_->NowMicros();
  Trial* trial = nullptr;
  if (!run.requeued.empty()) {
    trial = &run.trials.at(*run.requeued.begin());
  } else if (!run.exhausted && run.sweep.counters.created < run.SearcherTrialLimit()) {
    const uint64_t number = static_cast<uint64_t>(run.sweep.counters.created);
    HPS_ASSIGN_OR_RETURN(std::optional<Suggestion> next, NextParams(run, number, policy, blocked));
    if (*blocked) return static_cast<Trial*>(nullptr);
    if (!next) {
      run.exhausted = true;
      return static_cast<Trial*>(nullptr);
    }
    Trial fresh;
    fresh.sweep_id = run.sweep.id;
    fresh.number = number;
    fresh.params = std::move(next->params);
    fresh.origin = std::move(next->origin);
    if (fresh.origin.source.empty()) {
      // A pbt sweep's initial population is sampled at random (pbt.h).
      fresh.origin.source = run.pbt ? "random" : std::string(proto::MethodName(spec.method));
    }
    if (policy.waited_since_us > 0) {
      fresh.origin.wait_seconds = static_cast<double>(now - policy.waited_since_us) * 1e-6;
    }
    fresh.created_us = fresh.updated_us = now;
    trial = &sweeps_->AddTrial(run, std::move(fresh));
  } else {
    return static_cast<Trial*>(nullptr);
  }
  sweeps_->SetTrialState(run, *trial, TrialState::kLeased);
  trial->lease_owner = request.client_id;
  trial->lease_seconds = request.lease_seconds;
  RenewLease(*trial, now);
  AddLease(*trial);
  run.sweep.updated_us = now;
  writes.trials.push_back(*trial);
  if (run.sweep.state == SweepState::kPending) {
    run.sweep.state = SweepState::kRunning;
    writes.sweeps.push_back(run.sweep);
  }
  events_->Add(writes, "trial_leased", run.sweep.id, trial->id, request.client_id);
  return trial;
}

StatusOr<Mutation<proto::AskResponse>> TrialManager::AskPass(const proto::AskRequest& request,
                                                             const LeasePolicy& policy,
                                                             std::set<uint64_t>* blocked) {
  Touch(request.client_id, request.kind);
  std::vector<SweepRun*> candidates;
  if (request.sweep_id != 0) {
    HPS_ASSIGN_OR_RETURN(SweepRun * run, sweeps_->FindRun(request.sweep_id));
    const bool external = run->sweep.spec.program.external;
    if (external && request.kind == "worker") {
      return FailedPreconditionError("sweep " + std::to_string(request.sweep_id) +
                                     " is external: ask/tell clients run its trials, not workers");
    }
    if (!external && request.kind != "worker") {
      return FailedPreconditionError("sweep " + std::to_string(request.sweep_id) + " runs model \"" +
                                     run->sweep.spec.program.model +
                                     "\": its trials go to workers (ask with \"kind\": \"worker\")");
    }
    if (!external && !proto::IsTerminal(run->sweep.state)) {
      HPS_RETURN_IF_ERROR(CheckGangSize(run->sweep, request));
    }
    candidates.push_back(run);
  } else {
    const bool worker = request.kind == "worker";
    const proto::Sweep* wrong_size = nullptr;
    for (SweepRun* run : sweeps_->Runs()) {
      if (!proto::IsTerminal(run->sweep.state) && run->sweep.spec.program.external != worker) {
        if (worker && !CheckGangSize(run->sweep, request).ok()) {
          wrong_size = &run->sweep;
          continue;
        }
        candidates.push_back(run);
      }
    }
    // Work exists, but only for gangs of another size: say so rather than
    // letting the gang wait idle for trials it may never lease.
    if (candidates.empty() && wrong_size != nullptr) return CheckGangSize(*wrong_size, request);
  }
  Mutation<proto::AskResponse> m;
  const int64_t now = clock_->NowMicros();
  auto add = [&](const SweepRun& run, const Trial& trial) {
    m.response.trials.push_back(
        proto::LeasedTrial{trial, run.sweep.spec.metric, run.sweep.spec.program});
  };
  // Idempotent re-ask: the client's live trials come back first, lease renewed.
  const ClientEntry& client = clients_[request.client_id];
  for (uint64_t id : std::vector<uint64_t>(client.trials.begin(), client.trials.end())) {
    if (static_cast<int64_t>(m.response.trials.size()) >= request.count) break;
    auto found = sweeps_->FindTrial(id);
    if (!found.ok()) continue;
    auto [run, trial] = *found;
    if (std::find(candidates.begin(), candidates.end(), run) == candidates.end()) continue;
    if (!IsLive(trial->state) || trial->lease_owner != request.client_id) continue;
    trial->lease_seconds = request.lease_seconds;
    RenewLease(*trial, now);
    m.writes.trials.push_back(*trial);
    add(*run, *trial);
  }
  for (SweepRun* run : candidates) {
    while (static_cast<int64_t>(m.response.trials.size()) < request.count) {
      bool waits = false;
      StatusOr<Trial*> trial = LeaseOne(*run, request, policy, m.writes, &waits);
      if (!trial.ok()) {
        // Trials already leased in this call are in memory and in m.writes:
        // hand them out rather than strand them until their lease expires.
        if (m.response.trials.empty()) return trial.status();
        HPS_LOG(WARNING) << "searcher of sweep " << run->sweep.id << ": " << trial.status();
        break;
      }
      if (waits) blocked->insert(run->sweep.id);
      if (*trial == nullptr) break;
      add(*run, **trial);
    }
    sweeps_->MaybeFinishSweep(*run, m.writes);
  }
  bool more = false;
  for (SweepRun* run : candidates) more = more || run->HasMoreWork();
  m.response.done = m.response.trials.empty() && !more;
  if (m.response.trials.empty() && more) m.response.retry_after_seconds = options_.retry_after_seconds;
  return m;
}

void TrialManager::Ask(const proto::AskRequest& request, AskCallback done) {
  std::set<uint64_t> blocked;
  StatusOr<Mutation<proto::AskResponse>> m = AskPass(request, LeasePolicy(), &blocked);
  if (!OnlyWaits(m, blocked)) return done(std::move(m));
  // Nothing to hand out until a fit delivers: park the ask (nothing changed
  // yet, so the later pass starts from the same state).
  double wait_seconds = std::numeric_limits<double>::infinity();
  for (uint64_t id : blocked) {
    wait_seconds = std::min(wait_seconds, sweeps_->FindRun(id).value()->searcher->MaxWaitSeconds());
  }
  const int64_t now = clock_->NowMicros();
  ++asks_deferred_;
  waiters_.push_back(Waiter{request, std::move(done), now,
                            now + static_cast<int64_t>(wait_seconds * 1e6), blocked});
  if (wait_seconds <= 0) return ExpireWaits();
  for (uint64_t id : blocked) RequestFits(*sweeps_->FindRun(id).value());
}

// --- waiting asks ---------------------------------------------------------------

TrialManager::WaiterIt TrialManager::RetryWaiter(WaiterIt it, LeasePolicy policy) {
  policy.waited_since_us = it->since_us;
  std::set<uint64_t> blocked;
  StatusOr<Mutation<proto::AskResponse>> m = AskPass(it->request, policy, &blocked);
  if (OnlyWaits(m, blocked)) {
    it->sweeps = std::move(blocked);
    return std::next(it);
  }
  AskCallback done = std::move(it->done);
  it = waiters_.erase(it);
  done(std::move(m));
  return it;
}

void TrialManager::ServeWaiters(uint64_t sweep_id, const Status& fit_status) {
  LeasePolicy policy;
  if (!fit_status.ok()) {
    HPS_LOG(WARNING) << "searcher of sweep " << sweep_id << ": " << fit_status;
    policy.may_wait = false;
    policy.fallback_reason = "the searcher failed: " + fit_status.ToString();
  }
  const int64_t now = clock_->NowMicros();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    // Past its deadline, an ask is ExpireWaits' to answer (with a fallback).
    if (!it->sweeps.count(sweep_id) || it->deadline_us <= now) {
      ++it;
      continue;
    }
    it = RetryWaiter(it, policy);
  }
  if (StatusOr<SweepRun*> run = sweeps_->FindRun(sweep_id); run.ok()) RequestFits(**run);
}

void TrialManager::ExpireWaits() {
  const int64_t now = clock_->NowMicros();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->deadline_us > now) {
      ++it;
      continue;
    }
    LeasePolicy policy;
    policy.may_wait = false;  // so the pass serves a fallback and the ask is answered
    std::ostringstream reason;
    reason << "no fresh model suggestion within max_wait_seconds ("
           << static_cast<double>(it->deadline_us - it->since_us) * 1e-6 << " s)";
    policy.fallback_reason = reason.str();
    it = RetryWaiter(it, std::move(policy));
  }
}

void TrialManager::AnswerWaitingAsks() {
  std::list<Waiter> waiting;
  waiting.swap(waiters_);
  for (Waiter& w : waiting) {
    Mutation<proto::AskResponse> m;
    m.response.retry_after_seconds = options_.retry_after_seconds;
    w.done(std::move(m));
  }
}

void TrialManager::RequestFits(SweepRun& run) {
  if (!run.queue || proto::IsTerminal(run.sweep.state)) return;
  const proto::SweepSpec& spec = run.sweep.spec;
  int64_t demand = 0;
  for (const Waiter& w : waiters_) {
    if (w.sweeps.count(run.sweep.id)) demand += w.request.count;
  }
  demand = std::min(demand, spec.max_trials - run.sweep.counters.created);
  if (spec.max_concurrent_trials > 0) {
    demand = std::min(demand, spec.max_concurrent_trials - run.sweep.counters.running);
  }
  if (demand > 0) run.queue->Request(static_cast<int>(std::min<int64_t>(demand, 1024)));
}

void TrialManager::ResultArrived(SweepRun& run) {
  if (!run.queue) return;
  run.queue->Invalidate();
  ScheduleServeWaiters(run.sweep.id);
}

void TrialManager::ScheduleServeWaiters(uint64_t sweep_id) {
  if (!executor_.deliver || waiters_.empty()) return;
  // Posted, so that the writes of the call that got us here are submitted
  // before those of the asks it unblocks: storage stays a prefix of memory.
  executor_.deliver([this, sweep_id] { ServeWaiters(sweep_id, Status()); });
}

}  // namespace hpsweep::coordinator
