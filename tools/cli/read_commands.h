// The reading commands that answer from a ResultSource (a coordinator or a
// store opened read-only): list, status, trials, best, metrics.
#ifndef HPSWEEP_TOOLS_CLI_READ_COMMANDS_H_
#define HPSWEEP_TOOLS_CLI_READ_COMMANDS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "tools/cli/cli_args.h"
#include "tools/cli/results.h"

namespace hpsweep::cli {

// Runs reading command `cmd` ("list", "status", "trials", "best" or
// "metrics") for sweep or trial `id` (unused by "list"); returns the exit
// status. REQUIRES: the command line was checked (cli_args.h).
int RunRead(const std::string& cmd, const Args& a, ResultSource& source, uint64_t id,
            std::ostream& out, std::ostream& err);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_READ_COMMANDS_H_
