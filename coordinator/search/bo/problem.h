// The encoded optimisation problem that the suggesters in this package solve.
//
// The coordinator's search space maps a user's parameters onto the unit cube
// and hands a Problem to a suggester; the suggesters never see parameter
// names, scales or the sweep file. Every point is a vector of "coordinates" in
// [0,1]: one per continuous or integer Dimension, `num_levels` (one-hot) per
// categorical Dimension, in the order of Problem::dims.
//
// Objective values are MINIMIZED; a caller that maximizes passes -y.
//
// Thread safety: plain values; the free functions are pure.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_PROBLEM_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_PROBLEM_H_

#include <cstdint>
#include <vector>

#include "common/status.h"

namespace hpsweep::coordinator::bo {

// One group of coordinates of the encoded space.
struct Dimension {
  enum class Kind { kContinuous, kInteger, kCategorical };
  Kind kind = Kind::kContinuous;
  // kInteger: number of values; they sit at i/(num_levels-1), i = 0..n-1
  //   (a single value sits at 0.5), unless `levels` is given.
  // kCategorical: number of choices (>= 1); occupies num_levels coordinates
  //   holding a one-hot vector.
  // kContinuous: unused.
  int num_levels = 0;
  // kInteger only, optional: the encoded positions of the values, strictly
  // increasing in [0,1] (e.g. a log-scaled integer's values). When non-empty
  // it overrides the uniform grid and num_levels must equal levels.size().
  std::vector<double> levels;

  static Dimension Continuous() { return {Kind::kContinuous, 0, {}}; }
  static Dimension Integer(int n) { return {Kind::kInteger, n, {}}; }
  static Dimension Categorical(int n) { return {Kind::kCategorical, n, {}}; }
};

// A point and which of its Dimensions are active. `active` has one entry per
// Dimension (not per coordinate); empty means all active. Coordinates of an
// inactive Dimension (a conditional parameter whose parent has another value)
// carry no information and are ignored by every suggester.
struct EncodedPoint {
  std::vector<double> x;
  std::vector<bool> active;
};

struct Observation {
  std::vector<double> x;
  double y = 0;  // finite; minimized
  std::vector<bool> active;  // as EncodedPoint::active
};

struct Problem {
  std::vector<Dimension> dims;
  // Finished trials with a finite objective, in completion order (TPE weights
  // older observations less once there are many).
  std::vector<Observation> completed;
  // Trials that failed or produced no finite objective. Never fitted as good
  // values: the GP imputes the worst observed value there, TPE counts them as
  // bad, and neither suggests them again.
  std::vector<EncodedPoint> failed;
  // Trials in flight; suggestions avoid them (Kriging believer / constant liar).
  std::vector<EncodedPoint> pending;
  // Points whose value the models are not given (trials stopped early, once
  // the caller fits only full-length ones): never suggested again, never
  // fitted.
  std::vector<EncodedPoint> unfitted;
  // Multi-objective problems: ys[i] holds every objective of completed[i],
  // each minimized (ys[i][0] == completed[i].y), the same number (>= 2) for
  // every observation; empty for a single objective.
  std::vector<std::vector<double>> ys;
  // Constrained problems: constraints[i] holds one value per outcome
  // constraint of completed[i], feasible for it when the value is <= 0 (the
  // caller maps `m <= b` to m - b and `m >= b` to b - m), the same number for
  // every observation; empty without constraints.
  std::vector<std::vector<double>> constraints;

  // Every point the problem holds (completed, failed, pending, unfitted):
  // what a suggestion must differ from.
  std::vector<std::vector<double>> KnownPoints() const;
  size_t NumObjectives() const { return ys.empty() ? 1 : ys[0].size(); }
  size_t NumConstraints() const { return constraints.empty() ? 0 : constraints[0].size(); }
  // Every objective of completed[i] (ys[i], or {y}).
  std::vector<double> ObjectivesOf(size_t i) const;
  // True when every constraint value of completed[i] is <= 0.
  bool IsFeasible(size_t i) const;
  // Sum of the positive constraint values of completed[i] (0 when feasible).
  double Violation(size_t i) const;
};

// Coordinates of one Dimension in an encoded point: its one-hot width for a
// categorical, else 1.
inline int CoordinateWidth(const Dimension& d) {
  return d.kind == Dimension::Kind::kCategorical ? d.num_levels : 1;
}

// Number of coordinates of an encoded point for `dims`.
int CoordinateCount(const std::vector<Dimension>& dims);

// OK when dims are well formed and every point has the right length, values
// in [0,1], finite y and a well-sized mask. Errors name the offending field
// ("/completed/3/x/1").
Status ValidateProblem(const Problem& problem);

// Rounds a relaxed point onto the encoded space: clamps to [0,1], snaps
// integer coordinates to their nearest level and categorical groups to the
// one-hot vector of their largest coordinate (ties: the first).
// REQUIRES: x.size() == CoordinateCount(dims).
void SnapToSpace(const std::vector<Dimension>& dims, std::vector<double>* x);

// The same point with every coordinate of an inactive Dimension replaced by a
// neutral constant (0.5 for continuous/integer, 1/k for a k-way categorical),
// so that models see inactive values as identical. `active` as in
// EncodedPoint (empty: returns x unchanged).
std::vector<double> NeutralizeInactive(const std::vector<Dimension>& dims,
                                       const std::vector<double>& x,
                                       const std::vector<bool>& active);

// Maps a design point u in [0,1)^dims.size() (one coordinate per Dimension,
// e.g. a Sobol point) onto the encoded space with every value equally likely:
// continuous u as is, an integer's level floor(u * num_levels), a
// categorical's choice floor(u * num_levels) as one-hot.
std::vector<double> PointFromDesign(const std::vector<Dimension>& dims, const std::vector<double>& u);

// Max-norm distance between two points of equal length.
double MaxAbsDistance(const std::vector<double>& a, const std::vector<double>& b);

// A small deterministic pseudo-random generator (SplitMix64), so suggestions
// are the same on every platform and standard library (std::*_distribution
// are implementation-defined). Not thread-safe; one per computation.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t NextU64();
  // Uniform in [0,1), 53 random bits.
  double Uniform();
  // Standard normal (Box-Muller).
  double Normal();
  // Uniform integer in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n);

 private:
  uint64_t state_;
};

// Mixes several words into one seed (for deriving independent streams).
uint64_t MixSeed(uint64_t a, uint64_t b);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_PROBLEM_H_
