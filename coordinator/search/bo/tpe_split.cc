#include "coordinator/search/bo/tpe_split.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "coordinator/search/bo/pareto.h"

namespace hpsweep::coordinator::bo {
namespace {

// Greedily picks `k` of `candidates` (indices into points) that maximize the
// hypervolume of the picked set under `ref`; ties go to the earlier index.
std::vector<size_t> GreedySubset(const std::vector<std::vector<double>>& points,
                                  std::vector<size_t> candidates, size_t k,
                                  const std::vector<double>& ref) {
  std::vector<size_t> picked;
  std::vector<std::vector<double>> picked_points;
  double volume = 0;
  while (picked.size() < k && !candidates.empty()) {
    size_t best = 0;
    double best_gain = -1;
    for (size_t c = 0; c < candidates.size(); ++c) {
      picked_points.push_back(points[candidates[c]]);
      const double gain = Hypervolume(picked_points, ref) - volume;
      picked_points.pop_back();
      if (gain > best_gain) {
        best_gain = gain;
        best = c;
      }
    }
    picked.push_back(candidates[best]);
    picked_points.push_back(points[candidates[best]]);
    volume += std::max(0.0, best_gain);
    candidates.erase(candidates.begin() + best);
  }
  return picked;
}

}  // namespace

std::vector<double> ReferencePoint(const std::vector<std::vector<double>>& points) {
  const size_t d = points.empty() ? 0 : points[0].size();
  std::vector<double> ref(d);
  for (size_t k = 0; k < d; ++k) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& p : points) {
      lo = std::min(lo, p[k]);
      hi = std::max(hi, p[k]);
    }
    const double margin = hi > lo ? 0.1 * (hi - lo) : 1e-12 * std::max(1.0, std::abs(hi));
    ref[k] = hi + margin;
  }
  return ref;
}

TpeSplit SplitGoodBad(const Problem& problem, size_t n_good) {
  const auto& obs = problem.completed;
  const size_t n = obs.size();
  n_good = std::min(n_good, n);
  std::vector<size_t> feasible, infeasible;
  for (size_t i = 0; i < n; ++i) (problem.IsFeasible(i) ? feasible : infeasible).push_back(i);
  std::stable_sort(infeasible.begin(), infeasible.end(),
                   [&](size_t a, size_t b) { return problem.Violation(a) < problem.Violation(b); });
  std::vector<std::vector<double>> points(n);
  for (size_t i = 0; i < n; ++i) points[i] = problem.ObjectivesOf(i);

  std::vector<size_t> good;
  const size_t from_feasible = std::min(n_good, feasible.size());
  if (problem.NumObjectives() == 1) {
    std::stable_sort(feasible.begin(), feasible.end(), [&](size_t a, size_t b) { return obs[a].y < obs[b].y; });
    good.assign(feasible.begin(), feasible.begin() + from_feasible);
  } else if (from_feasible > 0) {
    std::vector<std::vector<double>> fp;
    for (size_t i : feasible) fp.push_back(points[i]);
    const std::vector<int> rank = NondominationRanks(fp);
    for (int r = 0; good.size() < from_feasible; ++r) {
      std::vector<size_t> members;  // indices into obs
      for (size_t j = 0; j < feasible.size(); ++j) {
        if (rank[j] == r) members.push_back(feasible[j]);
      }
      if (good.size() + members.size() <= from_feasible) {
        good.insert(good.end(), members.begin(), members.end());
        continue;
      }
      std::vector<std::vector<double>> mp;
      for (size_t i : members) mp.push_back(points[i]);
      const std::vector<size_t> chosen =
          GreedySubset(points, members, from_feasible - good.size(), ReferencePoint(mp));
      good.insert(good.end(), chosen.begin(), chosen.end());
    }
  }
  for (size_t j = 0; good.size() < n_good && j < infeasible.size(); ++j) good.push_back(infeasible[j]);
  std::sort(good.begin(), good.end());

  TpeSplit split;
  split.good = good;
  std::vector<bool> is_good(n, false);
  for (size_t i : good) is_good[i] = true;
  for (size_t i = 0; i < n; ++i) {
    if (!is_good[i]) split.bad.push_back(i);
  }
  split.good_weights.assign(good.size(), 1.0);
  if (problem.NumObjectives() > 1 && good.size() > 1) {
    std::vector<std::vector<double>> gp;
    for (size_t i : good) gp.push_back(points[i]);
    const std::vector<double> contrib = HypervolumeContributions(gp, ReferencePoint(gp));
    const double top = *std::max_element(contrib.begin(), contrib.end());
    if (top > 0) {
      for (size_t j = 0; j < good.size(); ++j) {
        split.good_weights[j] = std::clamp(contrib[j] / top, kMinGoodWeight, 1.0);
      }
    }
  }
  return split;
}

}  // namespace hpsweep::coordinator::bo
