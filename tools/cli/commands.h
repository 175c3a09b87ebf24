// The hpsweep CLI's commands, as a function of arguments and output streams so
// tests can drive it in process.
#ifndef HPSWEEP_TOOLS_CLI_COMMANDS_H_
#define HPSWEEP_TOOLS_CLI_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "proto/messages.h"

namespace hpsweep::cli {

// Runs one CLI invocation; returns the process exit status (0 ok, 1 failed,
// 2 usage error).
// `argv0` locates the worker binary for `run`.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const std::string& argv0 = "hpsweep");

// Trials as CSV: id, number, state, objective, attempt, then one column per
// parameter and per final value (union over trials, sorted).
std::string TrialsCsv(const std::vector<proto::Trial>& trials);

// One line per trial, aligned: id, state, objective, parameters.
std::string TrialsTable(const std::vector<proto::Trial>& trials);

// "[#####.....] 5/10 done  2 running  0 failed  best loss=0.1234".
std::string ProgressLine(const proto::Sweep& sweep, int width);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_COMMANDS_H_
