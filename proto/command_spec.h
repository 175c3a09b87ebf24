// Internal to the sweep_spec library: parsing of command programs
// ("program": {"command": [...]}), documented in sweep_schema.md.
#ifndef HPSWEEP_PROTO_COMMAND_SPEC_H_
#define HPSWEEP_PROTO_COMMAND_SPEC_H_

#include "common/status.h"
#include "proto/json_reader.h"
#include "proto/sweep_spec.h"

namespace hpsweep::proto {

// Reads command, workdir, env and stop_grace_seconds from the program block
// `r` (which has "command") into `out`. INVALID_ARGUMENT naming the field.
Status ParseCommand(JsonReader& r, ProgramSpec* out);

// Every "${name}" in spec.program.command names a parameter of the sweep.
Status CheckCommandMacros(const SweepSpec& spec);

}  // namespace hpsweep::proto

#endif  // HPSWEEP_PROTO_COMMAND_SPEC_H_
