// Gang: the ranks of a worker job that train one trial at a time together,
// and the protocol that connects them to the coordinator.
//
// The gang leader (gang rank 0) is the only rank that talks to the
// coordinator. Each round it asks for a trial and broadcasts a command to
// the gang:
//
//   ask ──trial──▶ "train": every rank builds the workload, the leader fetches
//    │                      the latest checkpoint (a re-leased trial resumes
//    │                      from it), Trainer::Run trains data-parallel; the
//    │                      leader heartbeats in the background, reports each
//    │                      epoch (and obeys "stop"), uploads checkpoints, and
//    │                      completes or fails the trial with the error text
//    ├──retry later──▶ "wait": everyone sleeps; after idle_wait the gang exits
//    └──done / signal──▶ "exit"
//
// A failure inside training (NaN loss, LibTorch error, out of memory) fails
// that trial and the gang goes on to the next one. SIGTERM/SIGINT (see
// RequestStop) end the current trial at its next epoch boundary, after the
// epoch's checkpoint is uploaded, and give it back (release): it is leased
// again at once and resumes from that checkpoint.
//
// Thread safety: Run is called once, on every rank of the gang, from the
// rank's main thread. RequestStop may be called from any thread or a signal
// handler (it only sets an atomic flag).
#ifndef HPSWEEP_WORKER_GANG_H_
#define HPSWEEP_WORKER_GANG_H_

#include <atomic>
#include <memory>
#include <string>

#include "common/logging.h"
#include "common/status.h"
#include "worker/collectives.h"
#include "worker/coordinator_client.h"
#include "worker/trainer.h"

namespace hpsweep::worker {

struct GangOptions {
  // Identifies the gang to the coordinator; asking again with the same id
  // returns its active trial. Default: "<host>-<pid>-gang<color>", set by main.
  std::string client_id;
  // Only trials of this sweep; 0: any sweep with a model program. Default: 0.
  uint64_t sweep_id = 0;
  // Lease length asked for; heartbeats come every lease_seconds / 4.
  // Default: 60.
  int64_t lease_seconds = 60;
  // Exit after this long without work. Default: 30 s.
  double idle_wait_seconds = 30;
  // Give up, with an error, after the coordinator has been unreachable (or
  // unavailable) this long; such waits do not count as idle. Default: 120 s.
  double unreachable_wait_seconds = 120;
  // Checkpoint every this many steps besides each epoch end (0: epoch ends
  // only). Default: 0.
  int64_t checkpoint_every_steps = 0;
  // Where models run. Default: CPU.
  torch::Device device = torch::kCPU;
  // Relative file paths in hyperparameters (TorchScript modules, data files)
  // are resolved against this folder. Default: the working directory.
  std::string base_dir;
  // Reducer settings (bucket sizes). Default: ReducerOptions defaults.
  ReducerOptions reducer;
  Status Validate() const;
};

// What the leader tells its gang each round (defined in gang.cc).
struct GangCommand;

struct GangStats {
  int64_t trials_completed = 0;
  int64_t trials_failed = 0;
  int64_t trials_stopped = 0;
  int64_t trials_resumed = 0;
};

class Gang {
 public:
  // `client` is used on the leader only (nullptr on other ranks); the
  // leader's heartbeat thread gets its own through client->NewConnection().
  Gang(Collectives* comm, std::unique_ptr<CoordinatorClient> client, GangOptions options);

  // Runs trials until the coordinator has no more work, the idle wait passes,
  // or a stop is requested. An error here means the gang cannot go on, the
  // same on every rank of the gang: the coordinator refused the gang (bad
  // token: UNAUTHENTICATED, or another non-retryable answer) or was
  // unreachable for unreachable_wait_seconds (UNAVAILABLE); or, on one rank,
  // the gang's own transport failed.
  Status Run();
  // Ends Run at the next safe point (see the file comment).
  void RequestStop() { stop_requested_.store(true); }
  // How the gang's trials ended, the same on every rank (the leader's count,
  // shared after each trial).
  const GangStats& stats() const { return stats_; }

 private:
  // Leader: what the gang does next.
  GangCommand NextCommand(double* idle_seconds);
  Status RunTrial(const GangCommand& command);
  // Every rank: takes the leader's stats (collective).
  Status ShareStats();
  // Leader: completes a trial, retrying while the coordinator is unreachable
  // (up to unreachable_wait_seconds, or until a stop is requested), so a
  // result finished during a network cut is not dropped. A refusal (the lease
  // was lost meanwhile: ABORTED) is returned as is.
  StatusOr<proto::Trial> CompleteWithRetry(uint64_t trial_id, const proto::CompleteRequest& request);

  Collectives* comm_;
  std::unique_ptr<CoordinatorClient> client_;
  GangOptions options_;
  std::atomic<bool> stop_requested_{false};
  GangStats stats_;
  // Leader: seconds of unsuccessful asks since the last one that succeeded.
  double unreachable_seconds_ = 0;
  LogRateLimiter ask_log_;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_GANG_H_
