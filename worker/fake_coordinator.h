// FakeCoordinator: an in-memory coordinator for gang tests. It leases the
// trials it is given, in order, keeps checkpoints, and records what the gang
// did (reports, completions, failures, releases). It can also misbehave: lose
// a lease at a given report, or be unreachable.
//
// Lease rules, kept to what a gang relies on: a trial is leased to the first
// asker; report/heartbeat/complete/fail/release/checkpoint calls for a trial
// the caller does not hold answer ABORTED (the lease was lost); an ask with
// nothing left answers done (or retry-after, see set_done_when_empty).
//
// Thread safety: thread-safe (the gang's heartbeat thread uses its own client
// concurrently with the leader's).
#ifndef HPSWEEP_WORKER_FAKE_COORDINATOR_H_
#define HPSWEEP_WORKER_FAKE_COORDINATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "proto/messages.h"
#include "worker/coordinator_client.h"

namespace hpsweep::worker {

class FakeCoordinator {
 public:
  // What the gang did, for assertions.
  struct Record {
    int64_t asks = 0;
    int64_t heartbeats = 0;
    // trial id -> values of each accepted report, in order.
    std::map<uint64_t, std::vector<proto::Values>> reports;
    std::map<uint64_t, proto::Values> completed;
    std::map<uint64_t, std::string> failed;
    std::vector<uint64_t> released;
    // trial id -> step of each checkpoint uploaded.
    std::map<uint64_t, std::vector<int64_t>> checkpoint_steps;
    // Calls refused with ABORTED because the caller had lost the lease.
    int64_t refused_after_lease_lost = 0;
    // trial id -> the step of each report, in order.
    std::map<uint64_t, std::vector<int64_t>> report_steps;
  };

  // Queues a trial to lease. Its id must be unique.
  void AddTrial(proto::LeasedTrial trial);
  // While non-OK, every call answers `status` (UNAVAILABLE: unreachable).
  void set_failure(Status status);
  // The `n`th report (1-based, counted over all trials) finds the lease lost:
  // it and every later call for that trial answer ABORTED. 0: never.
  void set_lose_lease_at_report(int64_t n);
  // The `n`th report (1-based, over all trials) is answered "stop" (as the
  // early-stopping policy answers one it prunes), and so is every later
  // report or heartbeat of that trial. 0: never.
  void set_prune_at_report(int64_t n);
  // Called with the report's number (1-based, over all trials) as each
  // report is answered, under the fake's lock (it must not call the fake).
  void set_on_report(std::function<void(int64_t n)> on_report);
  // When the queue is empty, an ask answers done (true, the default) or
  // "retry in 50 ms" (false).
  void set_done_when_empty(bool done);

  // A client of this coordinator. The coordinator must outlive it.
  std::unique_ptr<CoordinatorClient> NewClient();
  Record record() const;

 private:
  class Client;
  struct TrialState {
    proto::LeasedTrial leased;
    std::string holder;  // empty: not leased
    bool lost = false;
    std::map<int64_t, std::string> checkpoints;
  };
  // Requires mu_. OK when `client_id` holds `trial_id`.
  Status CheckHolder(uint64_t trial_id, const std::string& client_id);
  // "stop" for a pruned trial, "continue" otherwise. REQUIRES: mu_ held.
  proto::Decision PruneDecision(uint64_t trial_id) const;

  mutable std::mutex mu_;
  std::vector<uint64_t> queue_;  // trial ids not yet leased, in order
  std::map<uint64_t, TrialState> trials_;
  Status failure_;
  int64_t lose_lease_at_report_ = 0;
  int64_t prune_at_report_ = 0;
  std::set<uint64_t> pruned_;
  int64_t reports_seen_ = 0;
  std::function<void(int64_t)> on_report_;
  bool done_when_empty_ = true;
  Record record_;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_FAKE_COORDINATOR_H_
