// RunCli: parses an hpsweep command line, checks what can be checked before
// anyone is contacted, and hands the command to its file: `run`
// (run_command.h), the reading commands (read_commands.h), export, checkpoint
// get and logs (export_commands.h), and submit, retry, cancel, watch
// (write_commands.h).
#include "tools/cli/commands.h"

#include <set>
#include <string>
#include <utility>

#include "tools/cli/cli_args.h"
#include "tools/cli/export_commands.h"
#include "tools/cli/read_commands.h"
#include "tools/cli/results.h"
#include "tools/cli/run_command.h"
#include "tools/cli/write_commands.h"

namespace hpsweep::cli {

int RunCli(const std::vector<std::string>& raw, std::ostream& out, std::ostream& err,
           const CliContext& context) {
  Args a;
  bool help = false;
  if (!ParseArgs(raw, &a, &help, err)) return 2;
  if (a.version) {
    out << kVersion << "\n";
    return 0;
  }
  if (help) {
    out << (!a.positional.empty() && a.positional[0] == "run" ? kRunUsage : kUsage);
    return 0;
  }
  if (a.positional.empty() || a.positional[0] == "help") {
    (a.positional.empty() ? err : out) << kUsage;
    return a.positional.empty() ? 2 : 0;
  }
  const std::string& cmd = a.positional[0];
  static const std::set<std::string> kCommands = {
      "submit", "list",   "status",  "trials",     "best", "cancel", "watch",
      "export", "run",    "metrics", "checkpoint", "logs", "retry"};
  if (!kCommands.count(cmd)) {
    err << "hpsweep: unknown command \"" << cmd << "\"\n" << kUsage;
    return 2;
  }
  if (cmd == "run") {
    if (a.positional.size() < 2) {
      err << "hpsweep: run needs a sweep file\n" << kRunUsage;
      return 2;
    }
    if (!a.if_changed.empty() && a.if_changed != "resume" && a.if_changed != "new") {
      err << "hpsweep: --if-changed must be resume or new, found \"" << a.if_changed << "\"\n";
      return 2;
    }
    RunOptions options;
    options.sweep_file = a.positional[1];
    options.data_dir = a.data_dir;
    options.worker_binary = a.worker_binary;
    if (a.workers > 0) options.workers = a.workers;
    options.ranks_per_worker = a.ranks_per_worker;
    options.port = a.port;
    options.if_changed = a.if_changed;
    options.validator = context.program_validator;
    options.preflight = context.preflight;
    return RunSweep(options, context.argv0, out, err);
  }
  // Read and check the sweep file before contacting anyone.
  proto::Json spec;
  if (cmd == "submit" && !(a.slurm.enabled && a.slurm.sweep_id != 0)) {
    if (a.positional.size() < 2) {
      err << "hpsweep: submit needs a sweep file\n";
      return 2;
    }
    auto read = ReadSubmitSpec(a.positional[1], context);
    if (!read.ok()) return Fail(err, read.status());
    spec = std::move(*read);
  }
  // Every other command names a sweep or a trial; check it before contacting anyone.
  StatusOr<uint64_t> id = uint64_t{0};
  if (cmd == "checkpoint") {
    if (a.positional.size() < 2 || a.positional[1] != "get") {
      err << "hpsweep: usage: hpsweep checkpoint get TRIAL -o FILE [--step N]\n";
      return 2;
    }
    id = IdArg(a, 2, "a trial id", err);
  } else if (cmd == "metrics" || cmd == "logs") {
    id = IdArg(a, 1, "a trial id", err);
  } else if (cmd != "submit" && cmd != "list") {
    id = IdArg(a, 1, "a sweep id", err);
  }
  if (!id.ok()) return 2;
  if (!a.state.empty() && !proto::TrialStateFromName(a.state)) {
    err << "hpsweep: --state must be one of " << ValidStates() << "; found \"" << a.state << "\"\n";
    return 2;
  }
  if (cmd == "export" && !a.format.empty() && a.format != "csv" && a.format != "json" &&
      a.format != "metrics") {
    err << "hpsweep: export --format must be csv, json or metrics, found \"" << a.format << "\"\n";
    return 2;
  }
  if (cmd == "metrics" && !a.format.empty() && a.format != "table" && a.format != "csv") {
    err << "hpsweep: metrics --format must be table or csv, found \"" << a.format << "\"\n";
    return 2;
  }
  if (cmd == "logs") return Logs(a, *id, out, err);

  static const std::set<std::string> kReads = {"list",   "status",  "trials",    "best",
                                               "export", "metrics", "checkpoint"};
  if (kReads.count(cmd)) {
    auto source_or = OpenResultSource(a.url, a.token, a.data_dir, a.token_file);
    if (!source_or.ok()) return Fail(err, source_or.status());
    ResultSource& source = **source_or;
    if (cmd == "export") return Export(a, source, *id, out, err);
    if (cmd == "checkpoint") return CheckpointGet(a, source, *id, out, err);
    return RunRead(cmd, a, source, *id, out, err);
  }
  return RunWrite(cmd, a, context, spec, *id, out, err);
}

}  // namespace hpsweep::cli
