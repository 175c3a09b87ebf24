// The commands that take a sweep's data out: export (CSV, JSON, metric
// curves), checkpoint get (the trained model as its framework loads it) and
// logs (a trial's worker log lines from `hpsweep run`'s data directory).
#ifndef HPSWEEP_TOOLS_CLI_EXPORT_COMMANDS_H_
#define HPSWEEP_TOOLS_CLI_EXPORT_COMMANDS_H_

#include <cstdint>
#include <ostream>

#include "tools/cli/cli_args.h"
#include "tools/cli/results.h"

namespace hpsweep::cli {

// `hpsweep export SWEEP [--format csv|json|metrics]`; returns the exit status.
// REQUIRES: --format was checked.
int Export(const Args& a, ResultSource& source, uint64_t sweep_id, std::ostream& out,
           std::ostream& err);

// `hpsweep checkpoint get TRIAL -o FILE [--step N] [--format model|raw]`.
int CheckpointGet(const Args& a, ResultSource& source, uint64_t trial_id, std::ostream& out,
                  std::ostream& err);

// `hpsweep logs TRIAL --data-dir DIR`: the lines of DIR/logs/*.log that name
// the trial; 1 when none does, 2 without a data directory.
int Logs(const Args& a, uint64_t trial_id, std::ostream& out, std::ostream& err);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_EXPORT_COMMANDS_H_
