// How the CLI prints sweeps and trials: the trials table, CSV export, the
// pruned summary and a sweep's status block. Pure functions of proto types.
#ifndef HPSWEEP_TOOLS_CLI_TRIAL_FORMAT_H_
#define HPSWEEP_TOOLS_CLI_TRIAL_FORMAT_H_

#include <ostream>
#include <string>
#include <vector>

#include "proto/messages.h"

namespace hpsweep::cli {

// Trials as CSV: id, number, state, objective, attempt, then one column per
// parameter and per final value (union over trials, sorted).
std::string TrialsCsv(const std::vector<proto::Trial>& trials);

// One line per trial, aligned: id, state, objective, parameters.
std::string TrialsTable(const std::vector<proto::Trial>& trials);

// How many trials the sweep's early-stopping policy pruned, by rung, and the
// latest one's reason; empty when none was pruned.
std::string PrunedSummary(const std::vector<proto::Trial>& trials);

// "model:gp", "initial_design:tpe", "fallback", "random", "-" (unknown).
std::string OriginLabel(const proto::TrialOrigin& o);

// A number with 6 significant digits.
std::string FormatNumber(double v);

// A sweep's state, counters, best value, reason and last failure, as
// `hpsweep status` prints them.
void PrintStatus(const proto::Sweep& s, std::ostream& out);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_TRIAL_FORMAT_H_
