// The hpsweep CLI's commands, as a function of arguments and output streams so
// tests can drive it in process.
#ifndef HPSWEEP_TOOLS_CLI_COMMANDS_H_
#define HPSWEEP_TOOLS_CLI_COMMANDS_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/messages.h"
#include "proto/sweep_spec.h"
#include "tools/cli/trial_format.h"

namespace hpsweep::cli {

// What main hands the commands besides the arguments.
struct CliContext {
  // The program's argv[0]; locates the worker binary for `run`. Default:
  // "hpsweep".
  std::string argv0 = "hpsweep";
  // `run`: checks model programs in the embedded coordinator (main wires the
  // model zoo's check). Default: none.
  std::function<Status(const proto::SweepSpec&)> program_validator;
  // `run` and `submit`: builds the model once before anything starts (files
  // exist and load, the metric is reported), relative paths against the
  // sweep file's folder (main wires models::PreflightZooProgram). Default:
  // none.
  std::function<Status(const proto::SweepSpec&, const std::string& base_dir)> preflight;
};

// Runs one CLI invocation; returns the process exit status (0 ok, 1 failed,
// 2 usage error).
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const CliContext& context = {});

// TrialsCsv, TrialsTable and PrunedSummary live in trial_format.h (included
// above for the callers that reach them through this header).

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_COMMANDS_H_
