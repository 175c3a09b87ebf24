// `hpsweep run SWEEP.json`: one command runs a whole sweep on this machine —
// an embedded coordinator (RocksDB in the data directory, a free loopback
// port), N local `mpirun` worker jobs of K ranks, live progress, and a table
// of the best trials at the end. Running it again on the same data directory
// resumes the sweep instead of starting over.
#ifndef HPSWEEP_TOOLS_CLI_RUN_COMMAND_H_
#define HPSWEEP_TOOLS_CLI_RUN_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>

#include "common/status.h"
#include "proto/sweep_spec.h"

namespace hpsweep::cli {

struct RunOptions {
  std::string sweep_file;
  // Default: ./<sweep name> (the name made filesystem-safe).
  std::string data_dir;
  // Worker jobs started. Default: 2.
  int workers = 2;
  // MPI ranks per worker job. Default: the sweep's resources.ranks_per_trial.
  int ranks_per_worker = 0;
  // Worker binary; default: found next to this program (Bazel runfiles or
  // bazel-bin layout), then $HPSWEEP_WORKER.
  std::string worker_binary;
  // The embedded coordinator's port on 127.0.0.1; 0: a free one. Default: 0.
  int port = 0;
  // When the sweep file differs from the sweep stored under its name:
  // "resume" the stored sweep unchanged, "new": create a new sweep in the
  // same data directory; empty: stop with exit status 1 and say so.
  // Default: empty.
  std::string if_changed;
  // Seconds between progress updates. Default: 0.5.
  double refresh_seconds = 0.5;
  // Checks the sweep's model program in the embedded coordinator (the
  // coordinator's ProgramValidator; main wires the model zoo's). Default:
  // none, every program is accepted.
  std::function<Status(const proto::SweepSpec&)> validator;
  // Pre-flight before any trial starts (CliContext::preflight). Default: none.
  std::function<Status(const proto::SweepSpec&, const std::string& base_dir)> preflight;
};

// The worker binary: `flag` if set, $HPSWEEP_WORKER, Bazel runfiles of the
// program `argv0`, or the bazel-bin layout next to it; else "hpsweep-worker"
// (found on PATH when started).
std::string FindWorkerBinary(const std::string& flag, const std::string& argv0);

// How to call this program again in the commands `run` suggests: "hpsweep"
// when `argv0` has no slash, or when `path` (a PATH value) finds an
// `hpsweep` that is `self`; otherwise `argv0` as it was given (e.g.
// "bazel-bin/tools/cli/hpsweep"), single-quoted when the shell would split
// it. A newcomer copies the suggested commands; "hpsweep" that is not on
// PATH is "command not found".
std::string CommandToRerun(const std::string& argv0, const std::string& path,
                           const std::string& self);

// Runs the sweep; returns the exit status: 0 the sweep completed with at least
// one completed trial; 1 an error (bad file, failed pre-flight, cannot start,
// or the file changed and options.if_changed is empty); 3 the sweep ended
// with no completed trial or was stopped by fail-fast; 130 interrupted.
int RunSweep(const RunOptions& options, const std::string& argv0, std::ostream& out,
             std::ostream& err);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_RUN_COMMAND_H_
