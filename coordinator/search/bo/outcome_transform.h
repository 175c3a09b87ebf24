// Outcome transform for the GP (lower is better): half-rank warping of the
// worse half (Vizier's default); for all-positive values, a Box-Cox power in
// [1/2, 1] of the values over their spread (HEBO's Box-Cox for positive
// outcomes, with the exponent bounded, see outcome_transform.cc); standardize,
// then a Yeo-Johnson power transform whose exponent maximizes the Gaussian
// likelihood of the result, then standardize again (as HEBO does; Vizier's
// log warping plays the same role).
//
// Why: a GP with a stationary kernel models standardized outcomes well only
// when they are roughly Gaussian. A heavy-tailed objective — a valley with
// steep walls, a loss that explodes for bad learning rates — puts a few huge
// values next to many small ones; standardized, every good point then looks
// the same, and the model cannot tell where the valley floor is. The power
// transform compresses the tail (exponent < 1) or stretches it (> 1) until
// the values look Gaussian; for outcomes that already do, the exponent stays
// near 1 and the transform is nearly the identity.
//
// Half-rank warping first: values above the median are replaced by
// median + sd_good * Phi^-1(rank quantile), sd_good being the spread of the
// better half around the median. The better half, where the optimum is, keeps
// its values; the worse half keeps only its order, so a few values 1e6 times
// the rest (a diverged training run, a model that predicts nothing) sit a few
// deviations above the median instead of flattening everything else.
//
// The Box-Cox step: a loss is bounded below by zero, and near a good
// configuration it is often spread over decades (an MSE of 1e-3 beside ones
// of 10 in the better half). Standardized, those small values look alike; a
// power below 1 on the raw scale, where zero is the floor, stretches them
// apart. Its exponent maximizes the Box-Cox likelihood, so values that are
// not skewed that way keep exponent 1 (skipped: not all positive).
//
// The transform is strictly increasing, so the order of outcomes (what the
// optimizer cares about) is kept; it is scale-invariant, and shift-invariant
// except across zero (the Box-Cox step applies only to all-positive values). The exponent is chosen on a fixed grid,
// so the result is deterministic.
//
// Thread safety: pure functions.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_OUTCOME_TRANSFORM_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_OUTCOME_TRANSFORM_H_

#include <vector>

namespace hpsweep::coordinator::bo {

// Yeo-Johnson transform of x with exponent `lambda` (Yeo & Johnson 2000).
double YeoJohnson(double x, double lambda);

struct WarpedOutcomes {
  std::vector<double> values;  // standardized, warped, standardized again
  double lambda = 1.0;         // the chosen Yeo-Johnson exponent
  double box_cox_lambda = 1.0;  // the positive outcomes' Box-Cox exponent (1: not applied)
};

// The standard normal distribution function Phi(x).
double NormalCdf(double x);

// The standard normal quantile Phi^-1(p): Acklam's rational approximation
// refined by one Halley step on erfc, accurate to double precision.
// REQUIRES: 0 < p < 1.
double NormalQuantile(double p);

// The half-rank step alone (lower is better): values at or below the median
// unchanged, the rest replaced as described above. Fewer than 3 values, or a
// better half with no spread: unchanged.
std::vector<double> HalfRankWarp(const std::vector<double>& y);

// REQUIRES: every y finite; lower is better. Fewer than 3 distinct values,
// or all equal: only half-rank warped and standardized (lambda 1).
WarpedOutcomes WarpOutcomes(const std::vector<double>& y);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_OUTCOME_TRANSFORM_H_
