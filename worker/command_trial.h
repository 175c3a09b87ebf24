// RunCommandTrial: one trial of a command program, run by a gang — every
// rank starts the user's command (worker/command_process.h) with the
// torch.distributed environment; the gang leader owns the lease.
//
//   leader: placement (MASTER_ADDR/PORT) and the trial's latest checkpoint
//           folder ──broadcast──▶ every rank unpacks it into its own
//           HPSWEEP_CHECKPOINT_DIR and starts the command
//   loop (every rank, ~10 times a second):
//     leader: relays the script's reports (helper requests and stdout
//             "hpsweep:" lines) to the coordinator and answers the script;
//             uploads rank 0's checkpoint folder after a report when it
//             changed; heartbeats; notes a stop (pruned, cancelled, lost
//             lease, or the gang stopping)
//     others: answer their script's requests "continue" (rank 0's count)
//     all:    allgather each rank's state; a stop, or any rank's failure,
//             terminates every rank's command (SIGTERM, stop_grace_seconds,
//             SIGKILL); all exited 0 ends the trial
//   leader: completes with the last reported values (overlaid by
//           complete()'s), fails with the failing rank's exit and stderr
//           tail, releases (gang stopping), or leaves a pruned/cancelled
//           trial alone.
//
// Thread safety: called on every rank of the gang from its main thread.
#ifndef HPSWEEP_WORKER_COMMAND_TRIAL_H_
#define HPSWEEP_WORKER_COMMAND_TRIAL_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "proto/messages.h"
#include "proto/sweep_spec.h"
#include "worker/collectives.h"
#include "worker/coordinator_client.h"

namespace hpsweep::worker {

struct CommandTrialOptions {
  // The gang's client id (lease owner). Required.
  std::string client_id;
  // Heartbeats come every lease_seconds / 4. Default: 60.
  int64_t lease_seconds = 60;
  // A relative program.workdir is relative to this; "" is the working
  // directory. Default: "".
  std::string base_dir;
  // Largest checkpoint folder uploaded; a larger one is logged and skipped.
  // Default: 1 GiB.
  uint64_t max_checkpoint_bytes = uint64_t{1} << 30;
  // Failure reasons carry this many of the last stderr lines. Default: 20.
  size_t stderr_tail_lines = 20;
};

struct CommandTrialResult {
  enum class End { kCompleted, kFailed, kStopped };
  End end = End::kFailed;
  bool resumed = false;  // started from a restored checkpoint folder
};

// Runs `trial` (leased by the leader) on every rank. `client` is the leader's
// (nullptr elsewhere); `stop_requested` is the gang's stop flag. The trial's
// outcome goes to the coordinator from the leader; an error here means the
// gang's own transport failed.
StatusOr<CommandTrialResult> RunCommandTrial(Collectives* comm, CoordinatorClient* client,
                                             const CommandTrialOptions& options,
                                             const proto::Trial& trial,
                                             const proto::ProgramSpec& program,
                                             const std::string& metric,
                                             const std::atomic<bool>& stop_requested);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_COMMAND_TRIAL_H_
