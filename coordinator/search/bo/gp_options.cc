#include "coordinator/search/bo/gp_options.h"

namespace hpsweep::coordinator::bo {

Status GpFitOptions::Validate() const {
  if (restarts < 1) return InvalidArgumentError("must be >= 1", "fit.restarts");
  if (max_iterations < 1) return InvalidArgumentError("must be >= 1", "fit.max_iterations");
  if (!(min_noise > 0)) return InvalidArgumentError("must be > 0", "fit.min_noise");
  if (max_fit_points < 2) return InvalidArgumentError("must be >= 2", "fit.max_fit_points");
  return Status::Ok();
}

Status GpOptions::Validate() const {
  if (initial_design < 0) return InvalidArgumentError("must be >= 0", "initial_design");
  if (raw_samples < 1) return InvalidArgumentError("must be >= 1", "raw_samples");
  if (local_samples < 0) return InvalidArgumentError("must be >= 0", "local_samples");
  if (refine_starts < 1) return InvalidArgumentError("must be >= 1", "refine_starts");
  if (refine_steps < 0) return InvalidArgumentError("must be >= 0", "refine_steps");
  if (warm_iterations < 0) return InvalidArgumentError("must be >= 0", "warm_iterations");
  if (explore_every < 0) return InvalidArgumentError("must be >= 0", "explore_every");
  if (!(explore_margin >= 0 && explore_margin <= 100)) {
    return InvalidArgumentError("must be in [0, 100]", "explore_margin");
  }
  if (discrete_starts < 0) return InvalidArgumentError("must be >= 0", "discrete_starts");
  if (discrete_moves < 0) return InvalidArgumentError("must be >= 0", "discrete_moves");
  if (subspace_samples < 0) return InvalidArgumentError("must be >= 0", "subspace_samples");
  return fit.Validate();
}

}  // namespace hpsweep::coordinator::bo
