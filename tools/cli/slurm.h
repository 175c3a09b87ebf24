// `hpsweep submit SWEEP --slurm`: runs a sweep's workers as a Slurm batch job.
//
// The command writes an sbatch script that starts hpsweep-worker on every
// task of the allocation with `srun --mpi=pmix` (Debian's Open MPI 4.1 has no
// PMI-1/PMI-2 support; PMIx is what its srun integration speaks), submits it
// with `sbatch --parsable` and prints the job id. Gangs: the job's
// nodes x ntasks-per-node ranks are split into gangs of --gang-size ranks
// (one trial each, data-parallel); --jobs J > 1 makes it a job array of J
// such allocations. Preemption and time limits: the script asks Slurm for
// `--signal=TERM@GRACE`, so the workers get SIGTERM GRACE seconds before the
// time limit (and on preemption or `scancel --signal=TERM`); each gang then
// uploads a checkpoint at its epoch end and releases its trial, which the
// next job (or any other worker) resumes from that checkpoint.
//
// The token never appears in the script or on a command line: the workers
// get --token-file when the CLI was given a token file, else $HPSWEEP_TOKEN
// travels in sbatch's exported environment (sbatch's default --export=ALL).
//
// Workers name their job in their client id (worker/client_id.h), which is
// how `hpsweep status` shows which job's gangs hold a sweep's trials.
#ifndef HPSWEEP_TOOLS_CLI_SLURM_H_
#define HPSWEEP_TOOLS_CLI_SLURM_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "common/flags.h"
#include "common/status.h"
#include "proto/api_client.h"
#include "proto/messages.h"

namespace hpsweep::cli {

struct SlurmOptions {
  // --slurm was given. Default: false.
  bool enabled = false;
  // Nodes per job (sbatch --nodes). Default: 1.
  int nodes = 1;
  // Worker ranks per node (sbatch --ntasks-per-node). Default: the sweep's
  // resources.ranks_per_trial.
  int ntasks_per_node = 0;
  // Ranks per gang; must divide nodes x ntasks-per-node. Default: the
  // sweep's resources.ranks_per_trial.
  int gang_size = 0;
  // Jobs: 1 is a plain job, more a job array (--array=0-(J-1)). Default: 1.
  int jobs = 1;
  // sbatch --time, --partition, --account; empty: Slurm's default.
  std::string time, partition, account;
  // SIGTERM this many seconds before the time limit (sbatch
  // --signal=TERM@S): enough for a gang to finish an epoch and upload its
  // checkpoint. Default: 120.
  int signal_seconds = 120;
  // Extra sbatch arguments, in order (--sbatch-arg, repeatable). Default: none.
  std::vector<std::string> sbatch_args;
  // Where the script and the jobs' output files go. Default: ./hpsweep-slurm.
  std::string dir = "hpsweep-slurm";
  // The coordinator URL the workers use; default: the CLI's own (--url,
  // $HPSWEEP_URL, the data dir's endpoint). Compute nodes must reach it.
  std::string worker_url;
  // Worker options passed through. Default: the worker's defaults (lease 60
  // s, idle wait 30 s, unreachable wait 120 s; 0 here means "not passed").
  int lease_seconds = 0;
  double idle_wait = 0;
  double unreachable_wait = 0;
  // Worker --checkpoint-every: also checkpoint every N steps, so a gang
  // killed before its epoch ends loses at most N steps. Default: 0 (not
  // passed; epoch ends only).
  int64_t checkpoint_every = 0;
  // The sbatch program. Default: "sbatch" on PATH.
  std::string sbatch = "sbatch";
  // An existing sweep to start workers for, instead of creating one from a
  // sweep file (--sweep ID). Default: 0 (create).
  uint64_t sweep_id = 0;
  // Write the script but do not submit it (--slurm-dry-run). Default: false.
  bool dry_run = false;
};

// Removes the value-less and repeatable Slurm flags (--slurm,
// --slurm-dry-run, --sbatch-arg V / --sbatch-arg=V) from `args` into
// `options`; INVALID_ARGUMENT when --sbatch-arg has no value.
Status TakeSlurmFlags(std::vector<std::string>* args, SlurmOptions* options);
// Declares the Slurm flags that take a value (--nodes, --ntasks-per-node,
// --gang-size, --jobs, --time, --partition, --account, --signal-seconds,
// --slurm-dir, --worker-url, --lease-seconds, --idle-wait,
// --unreachable-wait, --checkpoint-every, --sbatch, --sweep).
void DeclareSlurmFlags(Flags* flags, SlurmOptions* options);

// What the script needs besides the options.
struct SlurmJobSpec {
  uint64_t sweep_id = 0;
  std::string sweep_name;
  // The sweep's resources.ranks_per_trial (defaults for ranks and gangs).
  int ranks_per_trial = 1;
  std::string worker_binary;  // absolute path, valid on the compute nodes
  std::string coordinator_url;
  std::string token_file;  // "" : the token comes in $HPSWEEP_TOKEN
  std::string base_dir;    // relative model/data paths resolve here
};

// The sbatch script; INVALID_ARGUMENT naming the flag when the options do not
// fit (a gang size that does not divide the job's ranks, a gang smaller than
// ranks_per_trial, a malformed --time). `options.dir` must be absolute.
StatusOr<std::string> SlurmScript(const SlurmOptions& options, const SlurmJobSpec& job);

// Submits `script_path` with sbatch (extra arguments first) and returns the
// job id; UNAVAILABLE with sbatch's output when it fails.
StatusOr<std::string> SubmitSlurmScript(const SlurmOptions& options, const std::string& script_path,
                                        const std::string& token);

// What `hpsweep submit --slurm` knows besides its Slurm options.
struct SlurmSubmitContext {
  // The sweep file ("" with options.sweep_id) and its parsed, checked text.
  std::string sweep_file;
  proto::Json spec;
  // The worker binary (absolute, or a name srun finds on the nodes' PATH).
  std::string worker_binary;
  // The CLI's connection, and the token file it came from ("" when the
  // token came from --token or $HPSWEEP_TOKEN: it then travels in the job's
  // environment).
  std::string url;
  std::string token;
  std::string token_file;
};

// `hpsweep submit SWEEP --slurm ...`: checks the options, creates the sweep
// (or takes options.sweep_id), writes DIR/sweep<ID>.sbatch, submits it and
// prints the job id. Returns the exit status (0 ok, 1 failed, 2 bad options);
// a sweep created before sbatch failed stays, and the message says how to
// start workers for it again (--sweep ID).
int RunSlurmSubmit(const SlurmOptions& options, const SlurmSubmitContext& context,
                   proto::CoordinatorClient& client, std::ostream& out, std::ostream& err);

// Lines for `status`/`watch`: the gangs holding the sweep's live trials,
// grouped by Slurm job ("  slurm job 12: 2 gang(s), trials 4 5"), then
// gangs outside Slurm; nothing when no trial is live.
std::string LiveWorkersText(const std::vector<proto::Trial>& live_trials);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_SLURM_H_
