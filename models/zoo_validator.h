// The model zoo's check of a sweep's program: the coordinator's
// ProgramValidator (coordinator/lifecycle/sweep_service.h), implemented here so that the
// coordinator library never links LibTorch or the models. Programs wire it in
// their main (hpsweep-coordinator, and the CLI's embedded coordinator).
#ifndef HPSWEEP_MODELS_ZOO_VALIDATOR_H_
#define HPSWEEP_MODELS_ZOO_VALIDATOR_H_

#include "common/status.h"
#include "proto/sweep_spec.h"

namespace hpsweep::models {

// OK when `spec.program.model` is a model of the zoo and every key of
// `program.args` and every searched parameter is one of its hyperparameters.
// Otherwise INVALID_ARGUMENT with the field at fault ("/program/model",
// "/program/args/<name>", "/parameters/<name>") and what the model has.
// A command program (program.command) is always OK: the zoo has no say over
// the user's own script.
// Values are checked too, each against the hyperparameter's type and range:
// every value of program.args, every categorical value
// ("/parameters/<name>/values/<i>"), a constant ("/value"), and both bounds
// of a searched range ("/min", "/max") — e.g. batch_size values [0, 32] is
// refused at ".../values/0". Files named by the program are not opened here
// (the coordinator may not see them); see preflight.h.
// Thread safety: a pure function.
Status ValidateZooProgram(const proto::SweepSpec& spec);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_ZOO_VALIDATOR_H_
