// The hpsweep CLI's command line and shared helpers (cli_args.h).
#include "tools/cli/cli_args.h"

#include <algorithm>
#include <cstdlib>

#include "common/flags.h"
#include "proto/messages.h"

namespace hpsweep::cli {

const char kVersion[] = "hpsweep 0.9.0 (API v1)";

const char kUsage[] =
    "usage: hpsweep COMMAND [ARGS] [--url URL] [--token-file PATH] [--data-dir DIR]\n"
    "commands:\n"
    "  run FILE [--workers N] [--ranks-per-worker K] [--data-dir DIR] [--port P]\n"
    "           [--if-changed resume|new] [--worker-binary PATH]\n"
    "                              run a whole sweep on this machine (see hpsweep run --help)\n"
    "  submit FILE                 create a sweep from a sweep file (JSON or YAML)\n"
    "  submit FILE --slurm [--nodes N] [--ntasks-per-node K] [--gang-size G] [--jobs J]\n"
    "         [--time T] [--partition P] [--account A] [--sbatch-arg ARG]...\n"
    "         [--signal-seconds S] [--slurm-dir DIR] [--worker-url URL] [--slurm-dry-run]\n"
    "                              ... and run its workers as a Slurm job (srun --mpi=pmix);\n"
    "                              --sweep ID instead of FILE: more workers for a sweep\n"
    "  list                        list sweeps\n"
    "  status ID                   a sweep's state, counters, best value and failures\n"
    "  trials ID [--state STATE]   list a sweep's trials (with each failure's error)\n"
    "  best ID [--top N]           the N best completed trials (default 1;\n"
    "                              multi-objective: the Pareto front)\n"
    "  metrics TRIAL [--format table|csv]\n"
    "                              a trial's curve: every reported step\n"
    "  checkpoint get TRIAL -o FILE [--step N] [--format model|raw] [--base-dir DIR]\n"
    "                              the trained model of a trial, as its framework loads it\n"
    "  logs TRIAL --data-dir DIR   the worker log lines of a trial (hpsweep run's logs/)\n"
    "  cancel ID                   cancel a sweep\n"
    "  retry ID                    requeue a sweep's failed trials and reopen it (then\n"
    "                              hpsweep run FILE again, or let workers take them)\n"
    "  watch ID [--interval S]     follow a sweep live until it ends\n"
    "  export ID [--format csv|json|metrics]\n"
    "                              every trial for analysis (default csv); metrics: every\n"
    "                              reported step, one row per (trial, step, metric)\n"
    "  --version                   print the version\n"
    "connection: --url, else $HPSWEEP_URL, else --data-dir (or $HPSWEEP_DATA_DIR): with a\n"
    "coordinator running on DIR it is asked; with none, the reading commands (list, status,\n"
    "trials, best, metrics, export, checkpoint get) open DIR's store read-only. Token:\n"
    "--token-file PATH, else $HPSWEEP_TOKEN, else $HPSWEEP_TOKEN_FILE, else the data dir's\n"
    "token file (--token T works too, but shows the token to other users in ps)\n"
    "exit status: 0 done; 1 failed (an error, or the sweep failed or has no completed\n"
    "trial); 2 usage error; 3 (run, watch) the sweep ended without a completed trial or\n"
    "was stopped by fail-fast; 130 (run) interrupted\n";

const char kRunUsage[] =
    "usage: hpsweep run FILE [flags]\n"
    "Runs a whole sweep on this machine: an embedded coordinator (RocksDB in the data\n"
    "directory), local `mpirun` worker jobs, live progress, the best trials and the\n"
    "failures grouped by reason at the end. Running it again on the same data directory\n"
    "resumes the sweep.\n"
    "  --workers N            worker jobs to start (default 2)\n"
    "  --ranks-per-worker K   MPI ranks per worker job (default: the sweep's\n"
    "                         resources.ranks_per_trial)\n"
    "  --data-dir DIR         where results, checkpoints and logs go (default ./<sweep name>)\n"
    "  --port P               the embedded coordinator's port on 127.0.0.1 (default: a free\n"
    "                         one), so `hpsweep watch/trials --url` can follow from elsewhere\n"
    "  --if-changed resume|new  when FILE differs from the sweep stored under its name:\n"
    "                         resume the stored sweep unchanged, or start a new sweep in the\n"
    "                         same data directory (without it, run stops and asks)\n"
    "  --worker-binary PATH   the hpsweep-worker to launch (default: next to this program,\n"
    "                         then $HPSWEEP_WORKER, then PATH)\n"
    "exit status: 0 the sweep completed with at least one completed trial; 1 an error\n"
    "(bad sweep file, a check before training failed, cannot start); 2 usage error; 3 the\n"
    "sweep ended with no completed trial or was stopped by fail-fast\n"
    "(max_consecutive_failures); 130 interrupted (Ctrl-C; run again to resume)\n";

// Parses `raw` into `args`; false (usage printed to `err`) on a bad command
// line. `help` is set for --help/-h.
bool ParseArgs(const std::vector<std::string>& raw, Args* args, bool* help, std::ostream& err) {
  std::vector<std::string> rest = raw;
  if (Status s = TakeSlurmFlags(&rest, &args->slurm); !s.ok()) {
    err << "hpsweep: " << s.message() << "\n" << kUsage;
    return false;
  }
  Flags flags;
  DeclareSlurmFlags(&flags, &args->slurm);
  flags.String("--url", &args->url);
  flags.String("--token", &args->token);
  flags.String("--token-file", &args->token_file);
  flags.String("--data-dir", &args->data_dir);
  flags.String("--state", &args->state);
  flags.String("--format", &args->format);
  flags.String("--worker-binary", &args->worker_binary);
  flags.Double("--interval", &args->interval, 0, 86400);
  flags.Int("--workers", &args->workers, 1, 1024);
  flags.Int("--ranks-per-worker", &args->ranks_per_worker, 1, 1 << 20);
  flags.Int("--port", &args->port, 1, 65535);
  flags.Int("--top", &args->top, 1, 1000000);
  flags.Int("--step", &args->step, 0, INT64_MAX);
  flags.String("--output", &args->output);
  flags.String("-o", &args->output);
  flags.String("--base-dir", &args->base_dir);
  flags.String("--if-changed", &args->if_changed);
  const size_t before = rest.size();
  rest.erase(std::remove(rest.begin(), rest.end(), std::string("--version")), rest.end());
  args->version = rest.size() != before;
  auto positional = flags.Parse(rest);
  if (!positional.ok()) {
    err << "hpsweep: " << positional.status().message() << "\n" << kUsage;
    return false;
  }
  args->positional = std::move(*positional);
  *help = flags.help();
  return true;
}

int Fail(std::ostream& err, const Status& s) {
  err << "hpsweep: " << s.message();
  if (!s.field().empty()) err << " (at " << s.field() << ")";
  err << "\n";
  return 1;
}

// The positional argument at `index` as an id ("a sweep id", "a trial id").
StatusOr<uint64_t> IdArg(const Args& a, size_t index, const std::string& what,
                         std::ostream& err) {
  if (a.positional.size() <= index) {
    err << "hpsweep: " << a.positional[0] << " needs " << what << "\n";
    return InvalidArgumentError("missing " + what);
  }
  auto id = Flags::ParseInt(what, a.positional[index], 1, INT64_MAX);
  if (!id.ok()) {
    err << "hpsweep: " << id.status().message() << "\n";
    return id.status();
  }
  return static_cast<uint64_t>(*id);
}

// The data directory the command names (flag, else $HPSWEEP_DATA_DIR).
std::string DataDir(const Args& a) {
  if (!a.data_dir.empty()) return a.data_dir;
  const char* env = std::getenv("HPSWEEP_DATA_DIR");
  return env ? env : "";
}

std::string ValidStates() {
  std::string out;
  for (auto s : {proto::TrialState::kPending, proto::TrialState::kLeased,
                 proto::TrialState::kRunning, proto::TrialState::kCompleted,
                 proto::TrialState::kFailed, proto::TrialState::kPruned,
                 proto::TrialState::kCancelled}) {
    out += (out.empty() ? "" : ", ") + std::string(proto::TrialStateName(s));
  }
  return out;
}

}  // namespace hpsweep::cli
