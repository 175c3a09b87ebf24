// Outcome transform for the GP: standardize, then a Yeo-Johnson power
// transform whose exponent maximizes the Gaussian likelihood of the result,
// then standardize again (as HEBO does; Vizier's log warping plays the same
// role).
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
// The transform is strictly increasing, so the order of outcomes (what the
// optimizer cares about) is kept; it is scale- and shift-invariant because it
// is applied to standardized values. The exponent is chosen on a fixed grid,
// so the result is deterministic.
//
// Thread safety: pure functions.
#ifndef HPSWEEP_COORDINATOR_BO_OUTCOME_TRANSFORM_H_
#define HPSWEEP_COORDINATOR_BO_OUTCOME_TRANSFORM_H_

#include <vector>

namespace hpsweep::coordinator::bo {

// Yeo-Johnson transform of x with exponent `lambda` (Yeo & Johnson 2000).
double YeoJohnson(double x, double lambda);

struct WarpedOutcomes {
  std::vector<double> values;  // standardized, warped, standardized again
  double lambda = 1.0;         // the chosen Yeo-Johnson exponent
};

// REQUIRES: every y finite. Fewer than 3 distinct values, or all equal: only
// standardized (lambda 1). Values are minimized or maximized alike.
WarpedOutcomes WarpOutcomes(const std::vector<double>& y);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_BO_OUTCOME_TRANSFORM_H_
