// Command programs: what a worker runs for a trial whose sweep has
// "program": {"command": [...]} (proto/sweep_schema.md, "Command programs").
// This file holds the pure parts: the trial's argv and environment, and the
// stdout report lines. worker/command_process.h runs the process and
// worker/command_trial.h drives a trial with it.
//
// The script talks to its worker over two pipes whose descriptors are in the
// environment (HPSWEEP_REQUEST_FD: the script writes, HPSWEEP_REPLY_FD: the
// script reads), one JSON object per line:
//
//   script → worker                               worker → script
//   {"op": "report", "step": 3, "values": {...}}   {"stop": false, "reason": ""}
//   {"op": "complete", "values": {...}}            {"ok": true}
//
// Every request gets exactly one reply line, in order. python/hpsweep.py is
// the helper that speaks it. A script without the helper prints report lines
// on stdout instead:
//
//   hpsweep: step=3 val_loss=0.12 val_accuracy=0.9
//
// Thread safety: the functions are pure.
#ifndef HPSWEEP_WORKER_COMMAND_PROGRAM_H_
#define HPSWEEP_WORKER_COMMAND_PROGRAM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/json_reader.h"
#include "proto/messages.h"
#include "proto/sweep_spec.h"

namespace hpsweep::worker {

// A parameter value as one command-line word: strings as they are, integers
// without a decimal point, other numbers in the shortest form that reads back
// exactly, booleans "true"/"false", lists and objects as compact JSON.
std::string ParamValueText(const proto::Json& value);

// The trial's argv: "${args}" becomes one "--name=value" per parameter of
// `params` (the trial's active parameters, in name order), and each "${name}"
// inside an element becomes that parameter's value. An element that is
// exactly "${name}" of a parameter inactive in this trial is left out; inside
// a longer element it becomes "". `params` must be an object.
std::vector<std::string> ExpandCommand(const std::vector<std::string>& command,
                                       const proto::Json& params);

// Where the torch.distributed rendezvous of a trial is, and this rank's place.
struct RankPlacement {
  int rank = 0;        // RANK
  int world_size = 1;  // WORLD_SIZE
  int local_rank = 0;  // LOCAL_RANK: index among the gang's ranks on this host
  std::string master_addr = "127.0.0.1";
  int master_port = 0;
};

// What the command's environment adds to the worker's own (as "K=V").
struct CommandContext {
  proto::Trial trial;
  std::string metric;
  std::string checkpoint_dir;
  int64_t restored_step = -1;  // -1: nothing restored
  int request_fd = -1;
  int reply_fd = -1;
  RankPlacement placement;
};
std::vector<std::string> CommandEnvironment(const proto::ProgramSpec& program,
                                            const CommandContext& context);

// A stdout report line ("hpsweep: step=3 val_loss=0.12"), after the prefix
// "hpsweep:". nullopt when `line` does not start with the prefix; an error
// (INVALID_ARGUMENT naming the word) when it does but is malformed. `step` is
// -1 when the line has none.
struct LineReport {
  int64_t step = -1;
  proto::Values values;
};
StatusOr<std::optional<LineReport>> ParseReportLine(const std::string& line);

// One request of the script on the request pipe.
struct ScriptRequest {
  enum class Op { kReport, kComplete };
  Op op = Op::kReport;
  int64_t step = -1;  // kReport; -1 when absent
  proto::Values values;
};
StatusOr<ScriptRequest> ParseScriptRequest(const std::string& line);

// The last `max_lines` lines of `text`, at most `max_bytes` bytes (cut at the
// front); trailing blank lines dropped.
std::string TailLines(const std::string& text, size_t max_lines, size_t max_bytes);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_COMMAND_PROGRAM_H_
