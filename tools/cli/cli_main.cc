// hpsweep: the command-line interface.
//
//   hpsweep run SWEEP.json           run a whole sweep on this machine
//   hpsweep submit SWEEP.json        create a sweep from a sweep file
//   hpsweep list                     every sweep, one line each
//   hpsweep status ID                a sweep's state and counters
//   hpsweep trials ID [--state S]    its trials
//   hpsweep best ID                  its best completed trial
//   hpsweep cancel ID                cancel it
//   hpsweep watch ID                 follow it live until it ends
//   hpsweep export ID --format csv|json
//
// Connection: --url, else $HPSWEEP_URL; the token from --token-file, else
// $HPSWEEP_TOKEN; else the files of a coordinator's --data-dir (or
// $HPSWEEP_DATA_DIR). See proto::ResolveConnection.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "common/allocator.h"
#include "models/preflight.h"
#include "models/zoo_validator.h"
#include "tools/cli/commands.h"

int main(int argc, char** argv) {
  // Tensor code below: freed buffers are reused, not faulted in again.
  (void)hpsweep::TuneAllocatorForTensors();
  // Under `bazel run`, paths on the command line are relative to where the
  // user typed it, not to the runfiles tree.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY")) {
    if (chdir(dir) != 0) std::cerr << "hpsweep: cannot enter " << dir << "\n";
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  hpsweep::cli::CliContext context;
  context.argv0 = argv[0];
  context.program_validator = hpsweep::models::ValidateZooProgram;
  context.preflight = hpsweep::models::PreflightZooProgram;
  return hpsweep::cli::RunCli(args, std::cout, std::cerr, context);
}
