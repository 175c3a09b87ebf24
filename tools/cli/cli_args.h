// The hpsweep CLI's command line: every flag of every command in one Args, the
// usage texts, and the small helpers the command files share (error printing,
// id arguments, the data directory). Internal to tools/cli.
#ifndef HPSWEEP_TOOLS_CLI_CLI_ARGS_H_
#define HPSWEEP_TOOLS_CLI_CLI_ARGS_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "tools/cli/slurm.h"

namespace hpsweep::cli {

// `hpsweep --version`.
extern const char kVersion[];
// `hpsweep --help` and the text printed after a usage error.
extern const char kUsage[];
// `hpsweep run --help`.
extern const char kRunUsage[];

// Every flag of every command; a command ignores the ones it has no use for.
struct Args {
  std::vector<std::string> positional;
  std::string url, token, token_file, data_dir, state, format, worker_binary;
  // `checkpoint get`: the output file and the base of relative module paths.
  std::string output, base_dir;
  // `run`: what to do when the file differs from the stored sweep.
  std::string if_changed;
  // Seconds between `watch` updates. Default: 1.
  double interval = 1.0;
  // `run`: 0 means the command's default.
  int workers = 0, ranks_per_worker = 0, port = 0;
  // `submit --slurm`.
  SlurmOptions slurm;
  // `best`: how many trials. Default: 1.
  int top = 1;
  // `checkpoint get`: -1 means the latest.
  int64_t step = -1;
  bool version = false;
};

// Parses `raw` into `args`; false (usage printed to `err`) on a bad command
// line. `help` is set for --help/-h.
bool ParseArgs(const std::vector<std::string>& raw, Args* args, bool* help, std::ostream& err);

// Prints `s` as "hpsweep: MESSAGE (at FIELD)" to `err`; returns exit status 1.
int Fail(std::ostream& err, const Status& s);

// The positional argument at `index` as an id; `what` names it ("a sweep
// id", "a trial id"). On a missing or bad id the error is printed to `err`
// and returned.
StatusOr<uint64_t> IdArg(const Args& a, size_t index, const std::string& what, std::ostream& err);

// The data directory the command names (flag, else $HPSWEEP_DATA_DIR); ""
// when neither.
std::string DataDir(const Args& a);

// The trial state names `--state` accepts, comma-separated.
std::string ValidStates();

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_CLI_ARGS_H_
