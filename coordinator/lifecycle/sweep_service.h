// SweepService: the coordinator's in-memory state for sweeps, trials, leases
// and clients — the composition root of the lifecycle managers, after Ray's
// GCS server. It owns, in dependency order:
//
//   EventLog      numbers the events every change appends     (mutation.h)
//   SweepManager  sweeps, one SweepRun each: spec, search
//                 space, searcher, suggestion queue, trials   (sweep_manager.h)
//   TrialManager  ask/tell, leases, expiry, clients, asks
//                 waiting for a model fit                     (trial_manager.h)
//
// and answers each call through the manager that owns it; the lease protocol
// and trial states are described in trial_manager.h, the sweep states in
// sweep_manager.h.
//
// It decides; it does not do I/O. Every mutating call returns its answer
// together with the WriteSet that makes it durable; the caller commits the
// WriteSet and only then replies (see group_committer.h). Because WriteSets
// are committed in the order they were produced, what is on disk is always a
// prefix of the in-memory history, and Recover() rebuilds the same state from
// it.
//
// Thread safety: not thread-safe. The coordinator calls it from one strand,
// which is why nothing here blocks: model fits run on the suggestion
// executor's background thread and come back through its `deliver`.
#ifndef HPSWEEP_COORDINATOR_LIFECYCLE_SWEEP_SERVICE_H_
#define HPSWEEP_COORDINATOR_LIFECYCLE_SWEEP_SERVICE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "coordinator/store/mutation.h"
#include "coordinator/lifecycle/service_stats.h"
#include "coordinator/store/store.h"
#include "coordinator/search/suggestion_queue.h"
#include "coordinator/lifecycle/sweep_manager.h"
#include "coordinator/lifecycle/trial_manager.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

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

  // Sweeps (SweepManager) ---------------------------------------------------
  // Validates `body` as a sweep definition; nothing changes on error.
  StatusOr<Mutation<proto::Sweep>> CreateSweep(const proto::Json& body) {
    return sweeps_.CreateSweep(body);
  }
  StatusOr<Mutation<proto::Sweep>> RetrySweep(uint64_t sweep_id) {
    return sweeps_.RetrySweep(sweep_id);
  }
  StatusOr<Mutation<proto::Sweep>> CancelSweep(uint64_t sweep_id) {
    return sweeps_.CancelSweep(sweep_id);
  }
  std::vector<proto::Sweep> ListSweeps() const { return sweeps_.ListSweeps(); }
  StatusOr<proto::Sweep> GetSweep(uint64_t sweep_id) const { return sweeps_.GetSweep(sweep_id); }
  // Trials with id > page_token (empty: from the start), optionally only in
  // `state`; at most `limit` (clamped to max_page_size), and fewer when they
  // would take more than max_page_bytes (next_page_token says where to go on).
  StatusOr<proto::TrialPage> ListTrials(uint64_t sweep_id, const std::string& page_token,
                                        int64_t limit,
                                        std::optional<proto::TrialState> state) const {
    return sweeps_.ListTrials(sweep_id, page_token, limit, state);
  }
  StatusOr<proto::Trial> GetTrial(uint64_t trial_id) const { return sweeps_.GetTrial(trial_id); }
  // Checkpoint steps of the trial that PBT children still start from.
  std::set<int64_t> CheckpointsInUse(uint64_t trial_id) const {
    return sweeps_.CheckpointsInUse(trial_id);
  }
  // The best completed trial of a sweep (by its metric and goal).
  StatusOr<proto::Trial> BestTrial(uint64_t sweep_id) const { return sweeps_.BestTrial(sweep_id); }
  // The sweep's Pareto front: its completed, feasible, non-dominated trials
  // by id (outcomes.h); for a single objective, every feasible trial with
  // the best value. One page (no token).
  StatusOr<proto::TrialPage> ParetoTrials(uint64_t sweep_id) const;

  // Worker / ask-tell protocol (TrialManager) --------------------------------
  // Leases up to request.count trials. `done` runs exactly once: at once, or
  // when a fit the ask waits for delivers, or from ExpireWaits, or from
  // AnswerWaitingAsks. An ask that gets some trials at once is answered at
  // once with those.
  void Ask(const proto::AskRequest& request, AskCallback done) {
    trials_.Ask(request, std::move(done));
  }
  // Answers every ask waiting past its sweep's max_wait_seconds, with a
  // quasi-random fallback (recorded on the trial). Call it periodically.
  void ExpireWaits() { trials_.ExpireWaits(); }
  // Answers every waiting ask now with no trials ("ask again"): for shutdown.
  void AnswerWaitingAsks() { trials_.AnswerWaitingAsks(); }
  StatusOr<Mutation<proto::Decision>> Heartbeat(uint64_t trial_id,
                                                const proto::HeartbeatRequest& request) {
    return trials_.Heartbeat(trial_id, request);
  }
  StatusOr<Mutation<proto::Decision>> Report(uint64_t trial_id,
                                             const proto::ReportRequest& request) {
    return trials_.Report(trial_id, request);
  }
  StatusOr<Mutation<proto::Trial>> Complete(uint64_t trial_id,
                                            const proto::CompleteRequest& request) {
    return trials_.Complete(trial_id, request);
  }
  StatusOr<Mutation<proto::Trial>> Fail(uint64_t trial_id, const proto::FailRequest& request) {
    return trials_.Fail(trial_id, request);
  }
  // Gives a live trial back (a worker shutting down after its checkpoint): it
  // is pending again at once, attempt unchanged, and resumes from its
  // checkpoint wherever it is leased next. Releasing twice is answered with
  // the trial as it stands.
  StatusOr<Mutation<proto::Trial>> Release(uint64_t trial_id,
                                           const proto::HeartbeatRequest& request) {
    return trials_.Release(trial_id, request);
  }
  // OK when `client_id` holds the lease of a trial that may store a checkpoint.
  Status CheckCheckpointUpload(uint64_t trial_id, const std::string& client_id) const {
    return trials_.CheckCheckpointUpload(trial_id, client_id);
  }
  // Records a stored checkpoint on its trial.
  StatusOr<Mutation<proto::Trial>> CheckpointStored(uint64_t trial_id, int64_t step) {
    return trials_.CheckpointStored(trial_id, step);
  }
  // Requeues or fails trials whose lease deadline has passed.
  WriteSet ExpireLeases() { return trials_.ExpireLeases(); }

  std::vector<proto::ClientInfo> ListClients() const { return trials_.ListClients(); }
  ServiceStats Stats() const {
    ServiceStats stats;
    sweeps_.FillStats(stats);
    trials_.FillStats(stats);
    return stats;
  }

 private:
  // Declared in dependency order: each is built from those above it and
  // destroyed before them.
  EventLog events_;
  SweepManager sweeps_;
  TrialManager trials_;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_LIFECYCLE_SWEEP_SERVICE_H_
