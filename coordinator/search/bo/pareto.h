// Pareto utilities for multi-objective sweeps: dominance, non-dominated
// filtering with feasibility, non-dominated sorting, and the exact
// hypervolume (a 2-D sweep; WFG (While et al. 2012) for three or more
// objectives) with per-point contributions.
//
// Every objective is MINIMIZED (a caller that maximizes passes -y). A point is
// a vector of objective values; all points of one call have the same length.
//
// Thread safety: pure functions.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_PARETO_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_PARETO_H_

#include <cstddef>
#include <vector>

namespace hpsweep::coordinator::bo {

using Point = std::vector<double>;

// True when `a` is no worse than `b` in every objective and better in one.
// Equal points do not dominate each other.
bool Dominates(const Point& a, const Point& b);

// Indices (ascending) of the points no other feasible point dominates, among
// the feasible ones. `feasible` has one entry per point, or is empty (all
// feasible). Duplicates of a non-dominated point are all kept. A point with a
// NaN value is never in the front.
std::vector<size_t> NonDominated(const std::vector<Point>& points,
                                 const std::vector<bool>& feasible = {});

// Non-domination rank of each point: 0 for the front, 1 for the front of the
// rest, and so on (Deb et al.'s non-dominated sorting).
std::vector<int> NondominationRanks(const std::vector<Point>& points);

// The volume of the region dominated by `points` and bounded by `reference`
// (a point worse than every point of interest). Parts of points beyond the
// reference are cut off; a point not better than the reference in every
// objective adds nothing. Exact. REQUIRES: every point has reference.size()
// values, all finite.
double Hypervolume(const std::vector<Point>& points, const Point& reference);

// For each point, the hypervolume lost without it: Hypervolume(all) -
// Hypervolume(all but i). Dominated points and duplicates contribute 0.
std::vector<double> HypervolumeContributions(const std::vector<Point>& points,
                                             const Point& reference);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_PARETO_H_
