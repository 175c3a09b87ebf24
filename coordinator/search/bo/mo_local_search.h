// A derivative-free local search of an acquisition over the unit cube, for
// the multi-objective GP suggester (mo_gp_suggester.h).
//
// Why not move every coordinate at once with small steps (what it replaces):
// fronts often lie on the cube's boundary, e.g. some coordinates at a bound
// while one sweeps its whole range. A step that moves all d coordinates
// pushes the ones at the bound inside (half of the clamped moves do) and
// loses more than the free coordinate gains, so the search stalls near its
// start. Here each round tries, from every point, the compass moves (one
// coordinate up or down by the step: a coordinate search, which moves a
// coordinate while the others keep their bound) and, as TuRBO's and
// BoTorch's perturbation samplers, Gaussian moves of a random subset of the
// coordinates, whose inclusion probability is drawn per candidate (so from
// one coordinate to all of them move together). Step sizes start at a third
// of the range, so a coordinate can cross its range in a few rounds, and
// shrink as a point stops improving.
//
// Thread safety: a pure function of its arguments (and the rng's state).
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_MO_LOCAL_SEARCH_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_MO_LOCAL_SEARCH_H_

#include <functional>
#include <vector>

#include "coordinator/search/bo/problem.h"

namespace hpsweep::coordinator::bo {

// The acquisition of several points (rows in the unit cube): one value per
// row, higher is better, finite.
using BatchAcquisition =
    std::function<std::vector<double>(const std::vector<std::vector<double>>& rows)>;

struct LocalSearchOptions {
  // Random-subset candidates per point and round, besides the 2 * (movable
  // coordinates) compass moves. Default: 16.
  int perturbations = 16;
  // Rounds in all. Each point keeps its step size while a round improves
  // it and takes the next smaller one when a round does not; the step sizes
  // (compass steps and standard deviations of the Gaussian steps, unit-cube
  // units) are 0.3, 0.1, 0.03, 0.01, 0.003, and a point is done after the
  // last. Default: 30.
  int max_rounds = 30;
};

// Improves each of `points` (rows in [0,1]^d, values[i] its acquisition) in
// place: per round, the candidates of every point not yet done are scored
// in one call of `acquisition`, and a point moves to its best candidate
// when that is strictly better. A candidate changes only coordinates with
// movable[c] true (none: nothing moves), clamped to [0, 1].
// REQUIRES: values->size() == points->size(), every row has movable.size()
// values.
void LocalSearch(const BatchAcquisition& acquisition, const std::vector<bool>& movable,
                 const LocalSearchOptions& options, Rng* rng,
                 std::vector<std::vector<double>>* points, std::vector<double>* values);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_MO_LOCAL_SEARCH_H_
