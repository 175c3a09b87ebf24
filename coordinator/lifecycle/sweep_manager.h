// SweepManager: the coordinator's sweeps, each held as one SweepRun (its
// spec, search space, searcher, suggestion queue and trials), and the sweep
// calls: create, cancel, list, get, best, trial pages, and recovery from a
// store. It decides; it does no I/O beyond reading the store in Recover.
// Mutating calls return their answer with the WriteSet that makes it durable
// (mutation.h).
//
// The trial manager (trial_manager.h) drives trials through the runs it finds
// here. Every trial state change goes through SetTrialState, which keeps a
// run's counters, history and pending set right and reports ended leases to
// the listeners.
//
// Sweep states (proto/messages.h):
//
//   pending ──first lease──▶ running
//      │                        │
//      ├────────────────────────┼──nothing left to run──▶ completed
//      ├────────────────────────┼──fail-fast tripped────▶ failed (reason stored)
//      └────────────────────────┴──CancelSweep──────────▶ cancelled
//
// Sweep records are written only when a sweep's own state changes: its
// counters, best trial and update time are derived from its trials and
// Recover recomputes them, so per-trial writes stay small.
//
// Thread safety: not thread-safe; called on the service strand only.
#ifndef HPSWEEP_COORDINATOR_SWEEP_MANAGER_H_
#define HPSWEEP_COORDINATOR_SWEEP_MANAGER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "coordinator/lifecycle/fail_fast.h"
#include "coordinator/store/mutation.h"
#include "coordinator/lifecycle/pbt.h"
#include "coordinator/search/search_space.h"
#include "coordinator/search/searcher.h"
#include "coordinator/lifecycle/service_stats.h"
#include "coordinator/lifecycle/stopping.h"
#include "coordinator/store/store.h"
#include "coordinator/search/suggestion_queue.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

// Checks a sweep's program against what workers can run (e.g. the model zoo):
// INVALID_ARGUMENT naming the field when the model or its arguments are wrong.
using ProgramValidator = std::function<Status(const proto::SweepSpec&)>;

// Factory for searchers; the default builds grid/random/sobol (and, where
// linked in, bayes/tpe).
using SearcherFactory = std::function<StatusOr<std::unique_ptr<Searcher>>(const SearchSpace&)>;

// Leased or running: a client holds the trial's lease.
bool IsLive(proto::TrialState state);

// One sweep as it runs. Owned by the SweepManager, never removed, so its
// address is stable for the manager's life.
struct SweepRun {
  proto::Sweep sweep;
  std::shared_ptr<const SearchSpace> space;  // searchers keep a reference: stable address
  std::shared_ptr<Searcher> searcher;        // owns a reference to `space`
  // The sweep's early-stopping policy (ASHA, Hyperband, median; stopping.h),
  // beside the searcher: the trial manager asks it on every report. Null when
  // the sweep has no early_terminate. Told of every trial that ends through
  // SetTrialState; rebuilt from the stored metric curves by Recover.
  std::unique_ptr<StoppingPolicy> stopper;
  // A `method: pbt` sweep's scheduler (pbt.h): the trial manager hands it
  // every report; told of every trial that ends through SetTrialState;
  // rebuilt from the stored curves by Recover. Null for other methods.
  std::unique_ptr<PbtScheduler> pbt;
  std::map<uint64_t, proto::Trial> trials;  // by id (= creation order)
  std::vector<TrialView> history;           // by trial number, as the searcher sees it
  std::set<uint64_t> requeued;              // the pending trials: they wait for a new lease
  std::unordered_map<uint64_t, proto::Values> last_values;  // a live trial's last report
  bool exhausted = false;                   // the searcher has nothing more to propose
  FailFast fail_fast;                       // consecutive failures (fail_fast.h)
  // Slow searchers (bayes, tpe) with an executor; null otherwise. Last, so
  // that it goes first: its history callback reads this run.
  std::unique_ptr<SuggestionQueue> queue;

  // Makes `trial` (completed, with an objective) the sweep's best trial when
  // it beats the current one under the sweep's goal.
  void OfferBest(const proto::Trial& trial);
  // More trials may still be leased or are running.
  bool HasMoreWork() const;
  // How many trials the searcher may create: max_trials, or a pbt sweep's
  // population_size (its children come from exploits).
  int64_t SearcherTrialLimit() const;
  // Copies what the stopping policy saw of trial `number` at its levels into
  // the trial's history entry (TrialView::levels); nothing without a policy.
  void FillLevels(uint64_t number);
};

struct SweepManagerOptions {
  // Largest page of trials a list call returns. Default: 1000.
  int64_t max_page_size = 1000;
  // A list call also ends its page once the trials in it would take about
  // this many bytes as JSON (at least one trial per page), so that no page is
  // tens of megabytes whatever the sweep's parameters. Default: 4 MiB.
  size_t max_page_bytes = 4 << 20;
  Status Validate() const;
};

// What the sweep manager tells the manager after it in dependency order (the
// trial manager) about changes that are not that manager's own calls. Each
// may be empty. They run on the service strand.
struct SweepListeners {
  // A live trial stops being live: its lease ends. Runs before the trial's
  // lease fields are cleared, so `trial.lease_owner` still names the holder.
  std::function<void(const proto::Trial& trial)> lease_ended;
  // A fit of the sweep's suggestion queue delivered (`fit`: OK, or its error).
  std::function<void(uint64_t sweep_id, const Status& fit)> fit_delivered;
  // The sweep was cancelled: asks waiting on it have their answer.
  std::function<void(uint64_t sweep_id)> sweep_cancelled;
};

class SweepManager {
 public:
  // `clock` and `events` must outlive the manager. `validator` may be empty
  // (no program checks); an empty `searcher_factory` means CreateSearcher.
  SweepManager(Clock* clock, SweepManagerOptions options, EventLog* events,
               ProgramValidator validator = nullptr, SearcherFactory searcher_factory = nullptr);
  ~SweepManager();
  SweepManager(const SweepManager&) = delete;
  SweepManager& operator=(const SweepManager&) = delete;

  // REQUIRES: both called before Recover and CreateSweep. The executor gives
  // slow sweeps a suggestion queue; without one their searchers run inline.
  void SetListeners(SweepListeners listeners);
  void SetSuggestionExecutor(SuggestionExecutor executor);

  // Rebuilds the sweeps and their trials from a store. REQUIRES: called once,
  // before anything else changes state. A sweep whose stored record, search
  // space or trials cannot be rebuilt is left out, logged with its key and
  // counted in the stats; its ids are never handed out again. Only store I/O
  // errors fail the call.
  Status Recover(Store& store);

  // Validates `body` as a sweep definition; nothing changes on error.
  StatusOr<Mutation<proto::Sweep>> CreateSweep(const proto::Json& body);
  // Cancels the sweep's unfinished trials (their leases end) and the sweep.
  // Cancelling a finished sweep is answered with it and changes nothing.
  StatusOr<Mutation<proto::Sweep>> CancelSweep(uint64_t sweep_id);
  // Requeues the sweep's failed trials (and, on a sweep that fail-fast
  // stopped, the trials it cancelled): pending again, attempt 0, error
  // cleared, same parameters. A finished sweep with trials to run again is
  // reopened (running, reason cleared, fail-fast counting afresh). A sweep
  // the user cancelled stays cancelled: FAILED_PRECONDITION.
  StatusOr<Mutation<proto::Sweep>> RetrySweep(uint64_t sweep_id);
  std::vector<proto::Sweep> ListSweeps() const;
  StatusOr<proto::Sweep> GetSweep(uint64_t sweep_id) const;
  // Trials with id > page_token (empty: from the start), optionally only in
  // `state`; at most `limit` (clamped to max_page_size), and fewer when they
  // would take more than max_page_bytes (next_page_token says where to go on).
  StatusOr<proto::TrialPage> ListTrials(uint64_t sweep_id, const std::string& page_token,
                                        int64_t limit,
                                        std::optional<proto::TrialState> state) const;
  StatusOr<proto::Trial> GetTrial(uint64_t trial_id) const;
  // The best completed trial of a sweep (by its metric and goal).
  StatusOr<proto::Trial> BestTrial(uint64_t sweep_id) const;
  // Fills the fields of `stats` this manager owns (service_stats.h).
  void FillStats(ServiceStats& stats) const;

  // For the trial manager ---------------------------------------------------
  // NOT_FOUND when there is no such sweep.
  StatusOr<SweepRun*> FindRun(uint64_t sweep_id);
  StatusOr<const SweepRun*> FindRun(uint64_t sweep_id) const;
  // Every run, by sweep id.
  std::vector<SweepRun*> Runs();
  struct TrialRef {
    SweepRun* run = nullptr;
    proto::Trial* trial = nullptr;
  };
  // NOT_FOUND when there is no such trial.
  StatusOr<TrialRef> FindTrial(uint64_t trial_id);
  // Adds `trial` to `run` under the next trial id, among the pending trials
  // the next ask takes. REQUIRES: the trial is pending and its number is the
  // run's next (counters.created).
  proto::Trial& AddTrial(SweepRun& run, proto::Trial trial);
  // Moves a trial to `state`, keeping the run's counters, history and
  // pending set right; a lease that ends is reported to lease_ended and
  // cleared from the trial.
  void SetTrialState(SweepRun& run, proto::Trial& trial, proto::TrialState state);
  // Steps of `trial_id`'s checkpoints that unfinished PBT children start
  // from and have not yet replaced with a checkpoint of their own: the
  // retention pass must not delete them (checkpoint_retention.h).
  std::set<int64_t> CheckpointsInUse(uint64_t trial_id) const;
  // Marks the sweep completed (and records it) when it has nothing left to
  // run, or failed, with its reason, when its fail-fast counter has tripped
  // (its unfinished trials are cancelled; their workers are told to stop).
  void MaybeFinishSweep(SweepRun& run, WriteSet& writes);

 private:
  // `recovering`: an early_terminate block this build does not accept leaves
  // the run without a stopping policy instead of failing it.
  StatusOr<std::unique_ptr<SweepRun>> MakeRun(proto::Sweep sweep, bool recovering) const;
  // Rebuilds a recovered run's stopping policy and PBT scheduler from its
  // trials' stored metric curves (decisions already taken are in the trial
  // states, children and lineage in the trials).
  static Status ReplayStopping(Store& store, SweepRun& run);
  // Adds a built run and gives a slow one its suggestion queue.
  void AddRun(std::unique_ptr<SweepRun> run);
  const proto::Trial* LookupTrial(uint64_t trial_id) const;

  Clock* clock_;
  SweepManagerOptions options_;
  EventLog* events_;
  ProgramValidator validator_;
  SearcherFactory searcher_factory_;
  SweepListeners listeners_;
  SuggestionExecutor executor_;
  std::map<uint64_t, std::unique_ptr<SweepRun>> runs_;
  std::unordered_map<uint64_t, uint64_t> sweep_of_trial_;
  uint64_t next_sweep_id_ = 1;
  uint64_t next_trial_id_ = 1;
  int64_t sweeps_unreadable_ = 0;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SWEEP_MANAGER_H_
