// PbtOptions: the `method_options` of a `method: pbt` sweep, validated —
// population-based training's population, perturbation schedule and which
// parameters explore may change (coordinator/lifecycle/pbt.h runs it). Ray Tune's
// PopulationBasedTraining vocabulary; every field and default is documented
// in proto/sweep_schema.md ("Population-based training").
//
// Steps are the `step` values trials report: completed epochs for the zoo's
// workers.
#ifndef HPSWEEP_PROTO_PBT_OPTIONS_H_
#define HPSWEEP_PROTO_PBT_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/sweep_spec.h"

namespace hpsweep::proto {

struct PbtOptions {
  // Trials sampled at random before any exploit; each exploit then replaces
  // one trial with one child, so the population keeps this size. Default: 8
  // (at most the sweep's max_trials, which bounds initial trials plus
  // children).
  int64_t population_size = 8;
  // A trial is judged every this many reported steps since it started (a
  // child: since the step it started from). Default: 4.
  int64_t perturbation_interval = 4;
  // The bottom fraction of the live population is exploited by trials of
  // the top fraction; in (0, 0.5]. Default: 0.25 (Ray Tune's).
  double quantile_fraction = 0.25;
  // Explore resamples a mutable parameter from its distribution with this
  // probability instead of perturbing it. Default: 0.25 (Ray Tune's).
  double resample_probability = 0.25;
  // Numeric parameters are multiplied by one of these, chosen at random,
  // then clamped to their range (integers rounded). Default: [1.2, 0.8]
  // (Ray Tune's).
  std::vector<double> perturbation_factors = {1.2, 0.8};
  // Names of the parameters explore may change. Every other parameter is
  // fixed per lineage (a child takes its parent's value), as it must be for
  // any that shapes the model. Required, non-empty: numeric or categorical
  // parameters that are neither conditional nor a condition's parent.
  std::vector<std::string> hyperparam_mutations;
};

// Validates spec.method_options for `spec` (method pbt). Errors are
// INVALID_ARGUMENT naming the field under /method_options (or /max_trials,
// /program when the sweep as a whole cannot run PBT).
StatusOr<PbtOptions> ParsePbtOptions(const SweepSpec& spec);

}  // namespace hpsweep::proto

#endif  // HPSWEEP_PROTO_PBT_OPTIONS_H_
