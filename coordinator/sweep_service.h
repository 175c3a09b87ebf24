// SweepService: the coordinator's in-memory state machine for sweeps, trials,
// leases and clients. It decides; it does not do I/O. Every mutating call
// returns its answer together with the WriteSet that makes it durable; the
// caller commits the WriteSet and only then replies (see group_committer.h).
// Because WriteSets are committed in the order they were produced, what is on
// disk is always a prefix of the in-memory history, and Recover() rebuilds the
// same state from it.
//
// Lease protocol (trial states in proto/messages.h):
//   Ask        lease trials to a client id until now + lease_seconds; the same
//              client asking again gets its active trials back first. On a
//              bayes/tpe sweep a new trial's parameters come from a fresh fit
//              (suggestion_queue.h): the ask is answered when it delivers
//              (a deferred reply), or with a quasi-random fallback once the
//              sweep's wait bound has passed (ExpireWaits).
//   Heartbeat  extends the lease; Report does too and records a metric point.
//   Complete   terminal; repeating it is answered with the completed trial.
//   Fail       terminal, with the error text (not retried: training errors
//              such as NaN losses are deterministic).
//   Release    back to pending at once, attempt unchanged (graceful shutdown).
//   expiry     a lease past its deadline goes back to pending with attempt+1,
//              or to failed once attempts exceed max_restarts.
//
// Thread safety: not thread-safe. The coordinator calls it from one strand,
// which is why nothing here blocks: model fits run on the suggestion
// executor's background thread and come back through its `deliver`.
#ifndef HPSWEEP_COORDINATOR_SWEEP_SERVICE_H_
#define HPSWEEP_COORDINATOR_SWEEP_SERVICE_H_

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "coordinator/search_space.h"
#include "coordinator/searcher.h"
#include "coordinator/store.h"
#include "coordinator/suggestion_queue.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

// An answer plus what must be durable before it is sent.
template <typename T>
struct Mutation {
  T response;
  WriteSet writes;
};

// Checks a sweep's program against what workers can run (e.g. the model zoo):
// INVALID_ARGUMENT naming the field when the model or its arguments are wrong.
using ProgramValidator = std::function<Status(const proto::SweepSpec&)>;

// Factory for searchers; the default builds grid/random/sobol (and, where
// linked in, bayes/tpe).
using SearcherFactory = std::function<StatusOr<std::unique_ptr<Searcher>>(const SearchSpace&)>;

struct SweepServiceOptions {
  // Largest page of trials a list call returns. Default: 1000.
  int64_t max_page_size = 1000;
  // A list call also ends its page once the trials in it would take about
  // this many bytes as JSON (at least one trial per page), so that no page is
  // tens of megabytes whatever the sweep's parameters. Default: 4 MiB.
  size_t max_page_bytes = 4 << 20;
  // Suggested wait for an asker when no trial is available now. Default: 1 s.
  double retry_after_seconds = 1.0;
  Status Validate() const;
};

struct ServiceStats {
  int64_t sweeps = 0;
  int64_t trials = 0;
  std::map<proto::TrialState, int64_t> trials_by_state;
  int64_t leases_expired = 0;
  int64_t trials_requeued = 0;
  int64_t clients = 0;
  // Slow searchers: suggestions computed in the background, of those dropped
  // because a result arrived while they were computed, trials served a
  // quasi-random fallback (wait bound passed or fit failed), failed fits,
  // time in fits, asks answered after waiting for a fit, asks waiting now.
  int64_t suggestions_computed = 0;
  int64_t suggestions_stale = 0;
  int64_t suggestions_fallback = 0;
  int64_t suggestion_errors = 0;
  double suggestion_seconds = 0;
  int64_t asks_deferred = 0;
  int64_t asks_waiting = 0;
  // Stored sweeps left out at recovery because they cannot be rebuilt.
  int64_t sweeps_unreadable = 0;
};

// Called with an ask's answer, at once or — for an ask that waits for a model
// fit — later, on the service's strand.
using AskCallback = std::function<void(StatusOr<Mutation<proto::AskResponse>>)>;

class SweepService {
 public:
  SweepService(Clock* clock, SweepServiceOptions options, ProgramValidator validator = nullptr,
               SearcherFactory searcher_factory = nullptr);
  ~SweepService();
  SweepService(const SweepService&) = delete;
  SweepService& operator=(const SweepService&) = delete;

  // Slow searchers (bayes, tpe) then compute suggestions through `executor`
  // (one SuggestionQueue per sweep) and asks wait for them without blocking.
  // Without an executor they are called inline (tests). REQUIRES: called
  // before Recover and CreateSweep, at most once.
  void SetSuggestionExecutor(SuggestionExecutor executor);
  // Rebuilds the state from a store. REQUIRES: called once, before anything
  // else. A sweep whose stored record, search space or trials cannot be
  // rebuilt is left out, logged with its key and counted in Stats; only store
  // I/O errors fail the call.
  Status Recover(Store& store);

  // Sweeps ---------------------------------------------------------------
  // Validates `body` as a sweep definition; nothing changes on error.
  StatusOr<Mutation<proto::Sweep>> CreateSweep(const proto::Json& body);
  StatusOr<Mutation<proto::Sweep>> CancelSweep(uint64_t sweep_id);
  std::vector<proto::Sweep> ListSweeps() const;
  StatusOr<proto::Sweep> GetSweep(uint64_t sweep_id) const;

  // Trials ---------------------------------------------------------------
  // Trials with id > page_token (empty: from the start), optionally only in
  // `state`; at most `limit` (clamped to max_page_size), and fewer when they
  // would take more than max_page_bytes (next_page_token says where to go on).
  StatusOr<proto::TrialPage> ListTrials(uint64_t sweep_id, const std::string& page_token,
                                        int64_t limit,
                                        std::optional<proto::TrialState> state) const;
  StatusOr<proto::Trial> GetTrial(uint64_t trial_id) const;
  // The best completed trial of a sweep (by its metric and goal).
  StatusOr<proto::Trial> BestTrial(uint64_t sweep_id) const;

  // Worker / ask-tell protocol ----------------------------------------------
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
  // Requeues or fails trials whose lease deadline has passed.
  WriteSet ExpireLeases();

  std::vector<proto::ClientInfo> ListClients() const;
  ServiceStats Stats() const;

 private:
  struct SweepEntry;
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
  // How a lease pass treats a slow sweep with no fresh suggestion.
  struct LeasePolicy {
    bool may_wait = true;         // park the ask instead
    int64_t waited_since_us = 0;  // when the ask began waiting (0: it did not)
    std::string fallback_reason;  // why a fallback is served when it may not wait
  };

  SweepEntry* FindSweep(uint64_t sweep_id);
  const SweepEntry* FindSweep(uint64_t sweep_id) const;
  StatusOr<std::pair<SweepEntry*, proto::Trial*>> FindTrial(uint64_t trial_id);
  StatusOr<std::unique_ptr<SweepEntry>> MakeEntry(proto::Sweep sweep) const;
  // Moves a trial to `state`, keeping counters, client maps and history right.
  void SetState(SweepEntry& entry, proto::Trial& trial, proto::TrialState state);
  // Checks `client_id` holds the lease of a live trial.
  Status CheckLease(const proto::Trial& trial, const std::string& client_id) const;
  void Touch(const std::string& client_id, const std::string& kind);
  // Leases one trial of `entry` to the asker, if the sweep has one to give;
  // sets *blocked instead when it must wait for a fit (policy.may_wait).
  StatusOr<proto::Trial*> LeaseOne(SweepEntry& entry, const proto::AskRequest& request,
                                   const LeasePolicy& policy, WriteSet& writes, bool* blocked);
  // One pass of Ask over the candidate sweeps; the sweeps that would need a
  // fit go to *blocked.
  StatusOr<Mutation<proto::AskResponse>> AskPass(const proto::AskRequest& request,
                                                 const LeasePolicy& policy,
                                                 std::set<uint64_t>* blocked);
  // Marks the sweep completed when it has nothing left to run.
  void MaybeFinishSweep(SweepEntry& entry, WriteSet& writes);
  bool HasMoreWork(const SweepEntry& entry) const;
  // Parameters for the sweep's next new trial (nullopt: exhausted, or — with
  // *blocked set — not ready yet).
  StatusOr<std::optional<Suggestion>> NextParams(SweepEntry& entry, uint64_t number,
                                                 const LeasePolicy& policy, bool* blocked);
  // Gives a slow sweep its suggestion queue (when there is an executor).
  void AttachQueue(SweepEntry& entry);
  // A trial of `entry` finished: suggestions computed before are stale, and
  // waiting asks are served (after the caller's writes, through `deliver`).
  void ResultArrived(SweepEntry& entry);
  // Serves the asks waiting on `sweep_id` that can be served now and asks
  // the sweep's queue for the rest.
  void ServeWaiters(uint64_t sweep_id, const Status& fit_status);
  void RequestFits(SweepEntry& entry);
  void ScheduleServeWaiters(uint64_t sweep_id);
  void AddEvent(WriteSet& writes, std::string type, uint64_t sweep_id, uint64_t trial_id,
                std::string detail);
  void Record(WriteSet& writes, const SweepEntry& entry);
  void Record(WriteSet& writes, const proto::Trial& trial);

  Clock* clock_;
  SweepServiceOptions options_;
  ProgramValidator validator_;
  SearcherFactory searcher_factory_;
  std::map<uint64_t, std::unique_ptr<SweepEntry>> sweeps_;
  std::unordered_map<uint64_t, uint64_t> sweep_of_trial_;
  std::set<uint64_t> leased_trials_;  // leased or running, for expiry scans
  std::map<std::string, ClientEntry> clients_;
  uint64_t next_sweep_id_ = 1;
  uint64_t next_trial_id_ = 1;
  uint64_t next_event_seq_ = 1;
  SuggestionExecutor executor_;
  std::list<Waiter> waiters_;  // FIFO; a list, so serving one may park another
  int64_t suggestions_fallback_ = 0;
  int64_t asks_deferred_ = 0;
  int64_t leases_expired_ = 0;
  int64_t trials_requeued_ = 0;
  int64_t sweeps_unreadable_ = 0;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SWEEP_SERVICE_H_
