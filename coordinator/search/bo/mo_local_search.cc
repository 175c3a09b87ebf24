#include "coordinator/search/bo/mo_local_search.h"

#include <algorithm>
#include <cstddef>

namespace hpsweep::coordinator::bo {
namespace {

// Step sizes, largest first (unit-cube units).
constexpr double kSteps[] = {0.3, 0.1, 0.03, 0.01, 0.003};

// One candidate from `x`: each movable coordinate joins the move with a
// probability drawn uniformly per candidate (so from one coordinate to all
// of them), at least one does.
std::vector<double> Perturb(const std::vector<double>& x, const std::vector<size_t>& free,
                            double step, Rng* rng) {
  std::vector<double> p = x;
  const double inclusion = rng->Uniform();
  bool moved = false;
  for (size_t c : free) {
    if (rng->Uniform() < inclusion) {
      p[c] = std::clamp(p[c] + step * rng->Normal(), 0.0, 1.0);
      moved = true;
    }
  }
  if (!moved) {
    const size_t c = free[rng->Below(free.size())];
    p[c] = std::clamp(p[c] + step * rng->Normal(), 0.0, 1.0);
  }
  return p;
}

}  // namespace

void LocalSearch(const BatchAcquisition& acquisition, const std::vector<bool>& movable,
                 const LocalSearchOptions& options, Rng* rng,
                 std::vector<std::vector<double>>* points, std::vector<double>* values) {
  std::vector<size_t> free;
  for (size_t c = 0; c < movable.size(); ++c) {
    if (movable[c]) free.push_back(c);
  }
  if (free.empty() || points->empty() || options.perturbations < 1) return;
  const size_t per = static_cast<size_t>(options.perturbations);
  constexpr size_t kNumSteps = sizeof(kSteps) / sizeof(kSteps[0]);
  std::vector<size_t> step(points->size(), 0);  // index into kSteps; kNumSteps: done
  for (int round = 0; round < options.max_rounds; ++round) {
    std::vector<size_t> active;
    std::vector<std::vector<double>> trial;
    for (size_t b = 0; b < points->size(); ++b) {
      if (step[b] == kNumSteps) continue;
      active.push_back(b);
      const double h = kSteps[step[b]];
      for (size_t c : free) {  // compass moves: one coordinate, +-h
        for (double sign : {-1.0, 1.0}) {
          std::vector<double> p = (*points)[b];
          p[c] = std::clamp(p[c] + sign * h, 0.0, 1.0);
          trial.push_back(std::move(p));
        }
      }
      for (size_t j = 0; j < per; ++j) trial.push_back(Perturb((*points)[b], free, h, rng));
    }
    if (active.empty()) break;
    const std::vector<double> v = acquisition(trial);
    const size_t each = 2 * free.size() + per;  // candidates per point
    for (size_t a = 0; a < active.size(); ++a) {
      const size_t b = active[a];
      bool improved = false;
      for (size_t j = 0; j < each; ++j) {
        const size_t t = a * each + j;
        if (v[t] > (*values)[b]) {
          (*values)[b] = v[t];
          (*points)[b] = trial[t];
          improved = true;
        }
      }
      if (!improved) ++step[b];
    }
  }
}

}  // namespace hpsweep::coordinator::bo
