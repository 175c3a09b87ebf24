// The Pareto front of a multi-objective sweep as `hpsweep best` prints it.
#ifndef HPSWEEP_TOOLS_CLI_FRONT_TABLE_H_
#define HPSWEEP_TOOLS_CLI_FRONT_TABLE_H_

#include <string>
#include <vector>

#include "proto/messages.h"

namespace hpsweep::cli {

// A heading naming the objectives (with goals) and constraints, then one
// aligned line per trial: id, each objective's value, each constraint
// metric's value, parameters. Trials ordered by the first objective, best
// first. "no feasible completed trial yet" when `front` is empty.
std::string FrontTable(const proto::SweepSpec& spec, const std::vector<proto::Trial>& front);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_FRONT_TABLE_H_
