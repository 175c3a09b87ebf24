// TrialManager: the trial lifecycle and its leases — ask, heartbeat, report,
// complete, fail, release, checkpoints, lease expiry — the registry of the
// clients that ask, and the asks that wait for a model fit. Trials live in
// the sweep manager's runs (sweep_manager.h); this manager moves them. Every
// mutating call returns its answer with the WriteSet that makes it durable
// (mutation.h); the caller commits it and only then replies. The ask path
// is implemented in trial_manager_ask.cc, the rest in trial_manager.cc.
//
// Trial states (proto/messages.h) and the calls that move them:
//
//   pending ──Ask──▶ leased ──first Report──▶ running
//
//   leased | running ──Complete────────────────────────────────▶ completed
//   leased | running ──Fail, or expiry with no restarts left───▶ failed
//   leased | running ──Release (attempt kept)──────────────────▶ pending
//   leased | running ──expiry (attempt + 1)────────────────────▶ pending
//   any unfinished   ──its sweep cancelled (SweepManager)──────▶ cancelled
//
//   running          ──a report the sweep's stopping policy stops──▶ pruned
//   running          ──a heartbeat its stopping policy re-judges───▶ pruned
//   running          ──a report PBT exploits (a child is created)──▶ pruned
//
// (a pruned trial is answered like a cancelled one from then on.)
//
// Lease protocol:
//   Ask        leases trials to a client id until now + lease_seconds; the
//              same client asking again gets its live trials back first, lease
//              renewed. On a bayes/tpe sweep a new trial's parameters come
//              from a fresh fit (suggestion_queue.h): the ask is answered when
//              it delivers (a deferred reply), or with a quasi-random fallback
//              once the sweep's wait bound has passed (ExpireWaits).
//   Heartbeat  extends the lease, and has the stopping policy judge the
//              trial's last report again against what it knows now
//              (StoppingPolicy::Rejudge; median stopping's evidence grows as
//              trials complete). Report extends it too and records a metric
//              point.
//              A cancelled or pruned trial is answered "stop" with the
//              reason, not an error. A report carrying the sweep metric goes
//              to the sweep's stopping policy (stopping.h); when it says
//              stop, the trial ends pruned (step, rung and reason stored in
//              `prune`) and the report is answered "stop".
//   PBT        on a `method: pbt` sweep a report goes to its scheduler
//              (pbt.h) too; an exploit creates the child trial (pending,
//              with its `parent` lineage) and ends the reporter pruned,
//              answered "stop" (trial_manager_pbt.cc).
//   Complete   terminal; repeating it is answered with the completed trial.
//   Fail       terminal, with the error text (not retried: training errors
//              such as NaN losses are deterministic).
//   Release    back to pending at once, attempt unchanged (graceful shutdown).
//   expiry     a lease past its deadline goes back to pending with attempt+1,
//              or to failed once attempts exceed max_restarts.
// A lease call from a client that does not hold the lease is ABORTED ("lease
// lost"); one on a trial already finished is FAILED_PRECONDITION.
//
// Thread safety: not thread-safe. Called on the service strand, which is why
// nothing here blocks: model fits run on the suggestion executor's background
// thread and come back through its `deliver`.
#ifndef HPSWEEP_COORDINATOR_LIFECYCLE_TRIAL_MANAGER_H_
#define HPSWEEP_COORDINATOR_LIFECYCLE_TRIAL_MANAGER_H_

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "coordinator/store/mutation.h"
#include "coordinator/lifecycle/service_stats.h"
#include "coordinator/search/suggestion_queue.h"
#include "coordinator/lifecycle/sweep_manager.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

struct TrialManagerOptions {
  // Suggested wait for an asker when no trial is available now. Default: 1 s.
  double retry_after_seconds = 1.0;
  // A client that holds no trial and has not called for this long leaves the
  // client registry (GET /api/v1/workers; checked when leases expire), so a
  // list of workers shows the ones alive. Default: 300 s.
  double forget_idle_client_seconds = 300;
  Status Validate() const;
};

// Called with an ask's answer, at once or — for an ask that waits for a model
// fit — later, on the service strand.
using AskCallback = std::function<void(StatusOr<Mutation<proto::AskResponse>>)>;

class TrialManager {
 public:
  // `clock`, `sweeps` and `events` must outlive the manager. Registers the
  // manager's listeners with `sweeps` (and removes them when destroyed).
  TrialManager(Clock* clock, TrialManagerOptions options, SweepManager* sweeps, EventLog* events);
  ~TrialManager();
  TrialManager(const TrialManager&) = delete;
  TrialManager& operator=(const TrialManager&) = delete;

  // Waiting asks are then served through the executor's `deliver`, after the
  // writes of the call that unblocked them. REQUIRES: called before Recover
  // and Ask, at most once; the sweep manager gets the same executor.
  void SetSuggestionExecutor(SuggestionExecutor executor);
  // Rebuilds the lease index and client registry from the live trials of the
  // sweep manager. REQUIRES: called once, after SweepManager::Recover.
  void Recover();

  // Leases up to request.count trials. `done` runs exactly once: at once, or
  // when a fit the ask waits for delivers, or from ExpireWaits, or from
  // AnswerWaitingAsks. An ask that gets some trials at once is answered at
  // once with those.
  void Ask(const proto::AskRequest& request, AskCallback done);
  // Answers every ask waiting past its sweep's max_wait_seconds, with a
  // quasi-random fallback (recorded on the trial). Call it periodically.
  void ExpireWaits();
  // Answers every waiting ask now with no trials ("ask again"): for shutdown.
  void AnswerWaitingAsks();

  StatusOr<Mutation<proto::Decision>> Heartbeat(uint64_t trial_id,
                                                const proto::HeartbeatRequest& request);
  StatusOr<Mutation<proto::Decision>> Report(uint64_t trial_id, const proto::ReportRequest& request);
  StatusOr<Mutation<proto::Trial>> Complete(uint64_t trial_id, const proto::CompleteRequest& request);
  StatusOr<Mutation<proto::Trial>> Fail(uint64_t trial_id, const proto::FailRequest& request);
  // Gives a live trial back (a worker shutting down after its checkpoint): it
  // is pending again at once, attempt unchanged, and resumes from its
  // checkpoint wherever it is leased next. Releasing twice is answered with
  // the trial as it stands.
  StatusOr<Mutation<proto::Trial>> Release(uint64_t trial_id,
                                           const proto::HeartbeatRequest& request);
  // OK when `client_id` holds the lease of a trial that may store a checkpoint.
  Status CheckCheckpointUpload(uint64_t trial_id, const std::string& client_id) const;
  // Records a stored checkpoint on its trial.
  StatusOr<Mutation<proto::Trial>> CheckpointStored(uint64_t trial_id, int64_t step);
  // Requeues or fails trials whose lease deadline has passed, and forgets
  // clients idle past forget_idle_client_seconds.
  WriteSet ExpireLeases();

  std::vector<proto::ClientInfo> ListClients() const;
  // Fills the fields of `stats` this manager owns (service_stats.h).
  void FillStats(ServiceStats& stats) const;

 private:
  struct ClientEntry {
    proto::ClientInfo info;
    std::set<uint64_t> trials;
  };
  // An ask parked until a fit of one of `sweeps` delivers.
  struct Waiter {
    proto::AskRequest request;
    AskCallback done;
    int64_t since_us = 0;
    int64_t deadline_us = 0;
    std::set<uint64_t> sweeps;
  };
  using WaiterIt = std::list<Waiter>::iterator;
  // How a lease pass treats a slow sweep with no fresh suggestion.
  struct LeasePolicy {
    bool may_wait = true;         // park the ask instead
    int64_t waited_since_us = 0;  // when the ask began waiting (0: it did not)
    std::string fallback_reason;  // why a fallback is served when it may not wait
  };
  // A lease call's trial, once the opening every lease call shares is done.
  struct LeaseCall {
    SweepRun* run = nullptr;
    proto::Trial* trial = nullptr;
    // The trial is already where the call would take it, or past it: the
    // call answers with it as it stands and changes nothing.
    bool settled = false;
  };

  // The opening of every lease call: notes the client as seen, finds the
  // trial and, unless `settled(trial)`, checks that the client holds its lease.
  StatusOr<LeaseCall> OpenLeaseCall(uint64_t trial_id, const std::string& client_id,
                                    bool (*settled)(const proto::Trial&));
  // Checks `client_id` holds the lease of a live trial.
  Status CheckLease(const proto::Trial& trial, const std::string& client_id) const;
  void Touch(const std::string& client_id, const std::string& kind);
  // Asks the run's stopping policy about a report just recorded; when it
  // stops the trial, prunes it into `m` (writes, answer) and returns true.
  bool MaybePrune(SweepRun& run, proto::Trial& trial, const proto::ReportRequest& request,
                  Mutation<proto::Decision>& m);
  // A heartbeat of a running trial: the stopping policy judges its last
  // report again; when it stops the trial, prunes it into `m`.
  bool MaybeRejudge(SweepRun& run, proto::Trial& trial, Mutation<proto::Decision>& m);
  // PBT (pbt.h, trial_manager_pbt.cc): judges a report just recorded; on an
  // exploit creates the child, prunes the reporter into `m`, returns true.
  bool MaybeExploit(SweepRun& run, proto::Trial& trial, const proto::ReportRequest& request,
                    Mutation<proto::Decision>& m);
  // Ends a live trial pruned with `info`, `values` as what it showed, an
  // `event` logged; `m` carries the writes and answers "stop".
  void EndPruned(SweepRun& run, proto::Trial& trial, proto::PruneInfo info, proto::Values values,
                 const std::string& event, Mutation<proto::Decision>& m);
  // Extends the trial's lease by its lease_seconds from `now_us`: the one
  // place a lease deadline is computed.
  static void RenewLease(proto::Trial& trial, int64_t now_us);
  // Indexes a trial just leased, for expiry scans and the client's re-ask.
  void AddLease(const proto::Trial& trial);
  // The sweep manager's lease_ended listener: the trial's lease is gone.
  void DropLease(const proto::Trial& trial);

  // Leases one trial of `run` to the asker, if the sweep has one to give;
  // sets *blocked instead when it must wait for a fit (policy.may_wait).
  StatusOr<proto::Trial*> LeaseOne(SweepRun& run, const proto::AskRequest& request,
                                   const LeasePolicy& policy, WriteSet& writes, bool* blocked);
  // One pass of Ask over the candidate sweeps; the sweeps that would need a
  // fit go to *blocked.
  StatusOr<Mutation<proto::AskResponse>> AskPass(const proto::AskRequest& request,
                                                 const LeasePolicy& policy,
                                                 std::set<uint64_t>* blocked);
  // Parameters for the sweep's next new trial (nullopt: exhausted, or — with
  // *blocked set — not ready yet).
  StatusOr<std::optional<Suggestion>> NextParams(SweepRun& run, uint64_t number,
                                                 const LeasePolicy& policy, bool* blocked);
  // Runs a waiting ask's pass again under `policy` and answers it, unless it
  // would still only wait: then it stays parked, on the sweeps it now waits
  // for. Returns the waiter after it.
  WaiterIt RetryWaiter(WaiterIt it, LeasePolicy policy);
  // A trial of `run` finished: suggestions computed before are stale, and
  // waiting asks are served (after the caller's writes, through `deliver`).
  void ResultArrived(SweepRun& run);
  // Serves the asks waiting on `sweep_id` that can be served now and asks
  // the sweep's queue for the rest.
  void ServeWaiters(uint64_t sweep_id, const Status& fit_status);
  void RequestFits(SweepRun& run);
  void ScheduleServeWaiters(uint64_t sweep_id);
  void ForgetIdleClients(int64_t now_us);

  Clock* clock_;
  TrialManagerOptions options_;
  SweepManager* sweeps_;
  EventLog* events_;
  SuggestionExecutor executor_;
  std::map<std::string, ClientEntry> clients_;
  std::set<uint64_t> leased_trials_;  // leased or running, for expiry scans
  std::list<Waiter> waiters_;         // FIFO; a list, so serving one may park another
  int64_t suggestions_fallback_ = 0;
  int64_t asks_deferred_ = 0;
  int64_t leases_expired_ = 0;
  int64_t trials_requeued_ = 0;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_LIFECYCLE_TRIAL_MANAGER_H_
