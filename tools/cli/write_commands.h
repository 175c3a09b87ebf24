// The commands that talk to a coordinator and change or follow a sweep:
// submit (with --slurm), retry, cancel, watch.
#ifndef HPSWEEP_TOOLS_CLI_WRITE_COMMANDS_H_
#define HPSWEEP_TOOLS_CLI_WRITE_COMMANDS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "common/status.h"
#include "proto/messages.h"
#include "tools/cli/cli_args.h"
#include "tools/cli/commands.h"

namespace hpsweep::cli {

// `submit FILE`: reads the sweep file (JSON, or YAML for .yaml/.yml) and runs
// the context's program check and pre-flight on it before anyone is
// contacted. Returns the sweep as JSON to send; the error names the file.
StatusOr<proto::Json> ReadSubmitSpec(const std::string& path, const CliContext& context);

// Runs `cmd` ("submit", "retry", "cancel" or "watch") against the coordinator
// the command line names (for `retry` on a data directory no coordinator
// holds, one started for the call). `spec` is ReadSubmitSpec's result for a
// plain submit; `id` the sweep for the others. Returns the exit status.
// REQUIRES: the command line was checked (cli_args.h).
int RunWrite(const std::string& cmd, const Args& a, const CliContext& context,
             const proto::Json& spec, uint64_t id, std::ostream& out, std::ostream& err);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_WRITE_COMMANDS_H_
