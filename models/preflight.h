// Pre-flight of a zoo program: what `hpsweep run` and `hpsweep submit` check
// before any trial starts, beyond the coordinator's name and value checks
// (zoo_validator.h), by building the model once on this machine.
//
// PreflightZooProgram builds the workload with `program.args` and, for each
// searched parameter, its first value (a categorical's first value, a
// numeric's min, a constant's value; conditional parameters keep their
// defaults), relative paths resolved against `base_dir` — so the files the
// program names exist and load (a TorchScript module is run on its data) —
// evaluates it once, and checks that the sweep metric is one a trial reports
// (the model's evaluation metrics, plus train_loss and epoch that every
// report carries). Errors are INVALID_ARGUMENT naming the field:
// "/program/args/<name>", "/parameters/<name>" or "/metric/name".
//
// It costs one model build and one evaluation (seconds at most for the zoo's
// default sizes). Thread safety: a pure function (LibTorch's global state
// aside).
#ifndef HPSWEEP_MODELS_PREFLIGHT_H_
#define HPSWEEP_MODELS_PREFLIGHT_H_

#include <string>

#include "common/status.h"
#include "proto/sweep_spec.h"

namespace hpsweep::models {

Status PreflightZooProgram(const proto::SweepSpec& spec, const std::string& base_dir);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_PREFLIGHT_H_
