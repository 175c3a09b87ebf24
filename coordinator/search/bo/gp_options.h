// Options of GpSuggester, kept free of LibTorch so that the coordinator's
// searchers can hold them without compiling torch headers.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_GP_OPTIONS_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_GP_OPTIONS_H_

#include "common/status.h"

namespace hpsweep::coordinator::bo {

struct GpFitOptions {
  // L-BFGS starts for the hyperparameter fit, optimized together as one
  // batch: the prior medians first, then the best (by initial objective) of
  // 8x as many draws from the priors. Default: 2.
  int restarts = 2;
  // L-BFGS iterations (the starts share them). Default: 30.
  int max_iterations = 30;
  // Lower bound on the noise variance (standardized scale); keeps the
  // Cholesky factorization stable for noiseless objectives. Default: 1e-6.
  double min_noise = 1e-6;
  // Above this many points the hyperparameters are fitted on a subset (the
  // best quarter plus a seeded random sample of the rest); the posterior
  // always uses every point. Bounds the O(n^3) cost of fitting. Default: 200.
  int max_fit_points = 200;
  // Adds an additive part to the kernel: f = f_product + f_additive, the
  // second a sum of one-coordinate Matern-5/2 functions with their own
  // lengthscales and variance, both fitted (see gp.h). Default: true.
  bool additive = true;

  Status Validate() const;
};

struct GpOptions {
  // Sobol points before the GP takes over; 0 means max(5, 2 * number of
  // Dimensions). Default: 0.
  int initial_design = 0;
  // Sobol points at which LogEI is evaluated in one batch. Default: 1024.
  int raw_samples = 1024;
  // Points sampled around the best observed points (Gaussian, 2% and 10% of
  // the range), in addition to raw_samples. Default: 128.
  int local_samples = 128;
  // Best raw points refined by gradient ascent. Default: 8.
  int refine_starts = 8;
  // Projected Adam steps per refinement. Default: 40.
  int refine_steps = 40;
  // Warm starts. The hyperparameters are fitted in full (fit.restarts
  // starts, fit.max_iterations) at checkpoints — every 25% more fitted
  // points; in between, each fit starts from the last checkpoint's
  // hyperparameters with one start and `warm_iterations` L-BFGS iterations.
  // The checkpoint fit is a function of the first points alone, so
  // suggestions stay a function of the data (a restarted coordinator
  // recomputes it once). 0: always fit in full. Default: 12.
  int warm_iterations = 12;
  // Exploration schedule (GpSuggester only): one model suggestion in
  // `explore_every` (by trial index, so a restarted coordinator suggests the
  // same points; in a batch that large, one member) maximizes LogEI for an
  // improvement of `explore_margin` standardized outcome units over the
  // incumbent instead of any improvement (EI with a margin, Lizotte 2008; a
  // fixed portfolio in the spirit of GP-Hedge). Plain EI keeps refining a
  // basin once the model is sure of it; a large improvement can only come
  // from where the model is unsure, so that suggestion looks there. 0 turns
  // the schedule off. Default: 4 and 1.0.
  int explore_every = 4;
  double explore_margin = 1.0;
  // Discrete ascent of the acquisition over integer and categorical
  // Dimensions (GpSuggester only): gradient ascent cannot move a snapped
  // coordinate by less than half a level, so the best `discrete_starts`
  // snapped candidates hill-climb over their discrete neighbourhoods (an
  // integer a level up or down, a categorical another choice) for at most
  // `discrete_moves` moves each. 0 starts turns it off. Default: 4 and 16.
  int discrete_starts = 4;
  int discrete_moves = 16;
  // Points screened that equal one of the best observed points except in a
  // few Dimensions, each redrawn over its whole range (each Dimension with
  // probability 1/dims, at least one; GpSuggester only). Gaussian local
  // samples move every coordinate a little; these move a few far, the
  // one-exchange neighbourhood of SMAC's local search and the perturbation
  // masks of TuRBO. They let the acquisition find the incumbent with one
  // parameter at a value untried next to the others (an integer stuck at a
  // poor level, a category tried only with poor companions) where a
  // Gaussian step cannot reach and a global Sobol point changes everything
  // at once. Default: 128.
  int subspace_samples = 128;
  GpFitOptions fit;

  Status Validate() const;
};

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_GP_OPTIONS_H_
