#include "coordinator/search/bo/pareto.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hpsweep::coordinator::bo {
namespace {

bool HasNan(const Point& p) {
  return std::any_of(p.begin(), p.end(), [](double v) { return std::isnan(v); });
}

// Hypervolume of points each strictly better than `ref` in every objective,
// sorted by the first objective ascending. 2-D: a sweep; more: WFG, each
// point's exclusive volume is its box minus the volume of the rest limited
// to that box.
double Wfg(std::vector<Point> ps, const Point& ref);

double Box(const Point& p, const Point& ref) {
  double v = 1;
  for (size_t k = 0; k < p.size(); ++k) v *= ref[k] - p[k];
  return v;
}

double Sweep2d(const std::vector<Point>& ps, const Point& ref) {
  double volume = 0, y_best = ref[1];
  for (const Point& p : ps) {  // sorted by p[0] ascending (then p[1])
    if (p[1] < y_best) {
      volume += (ref[0] - p[0]) * (y_best - p[1]);
      y_best = p[1];
    }
  }
  return volume;
}

// The non-dominated points of `ps`, keeping one copy of duplicates.
std::vector<Point> Filter(std::vector<Point> ps) {
  std::sort(ps.begin(), ps.end());
  ps.erase(std::unique(ps.begin(), ps.end()), ps.end());
  std::vector<Point> out;
  for (size_t i = 0; i < ps.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < ps.size() && !dominated; ++j) dominated = j != i && Dominates(ps[j], ps[i]);
    if (!dominated) out.push_back(ps[i]);
  }
  return out;
}

double Wfg(std::vector<Point> ps, const Point& ref) {
  if (ps.empty()) return 0;
  std::sort(ps.begin(), ps.end());
  if (ref.size() == 1) return ref[0] - ps.front()[0];
  if (ref.size() == 2) return Sweep2d(ps, ref);
  double volume = 0;
  // Process from the last point (worst in the first objective): each point's
  // limit set is the points after it, which are few for the first.
  for (size_t i = 0; i < ps.size(); ++i) {
    std::vector<Point> limited;
    for (size_t j = i + 1; j < ps.size(); ++j) {
      Point q(ref.size());
      for (size_t k = 0; k < ref.size(); ++k) q[k] = std::max(ps[i][k], ps[j][k]);
      limited.push_back(std::move(q));
    }
    volume += Box(ps[i], ref) - Wfg(Filter(std::move(limited)), ref);
  }
  return volume;
}

}  // namespace

bool Dominates(const Point& a, const Point& b) {
  bool better = false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (!(a[k] <= b[k])) return false;
    if (a[k] < b[k]) better = true;
  }
  return better;
}

std::vector<size_t> NonDominated(const std::vector<Point>& points, const std::vector<bool>& feasible) {
  auto eligible = [&](size_t i) { return (feasible.empty() || feasible[i]) && !HasNan(points[i]); };
  std::vector<size_t> out;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!eligible(i)) continue;
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) {
      dominated = j != i && eligible(j) && Dominates(points[j], points[i]);
    }
    if (!dominated) out.push_back(i);
  }
  return out;
}

std::vector<int> NondominationRanks(const std::vector<Point>& points) {
  const size_t n = points.size();
  std::vector<int> rank(n, -1);
  std::vector<int> dominated_by(n, 0);
  std::vector<std::vector<size_t>> dominates(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i != j && Dominates(points[i], points[j])) {
        dominates[i].push_back(j);
        ++dominated_by[j];
      }
    }
  }
  std::vector<size_t> front;
  for (size_t i = 0; i < n; ++i) {
    if (dominated_by[i] == 0) front.push_back(i);
  }
  for (int r = 0; !front.empty(); ++r) {
    std::vector<size_t> next;
    for (size_t i : front) {
      rank[i] = r;
      for (size_t j : dominates[i]) {
        if (--dominated_by[j] == 0) next.push_back(j);
      }
    }
    front = std::move(next);
  }
  // NaN-valued points are in no dominance relation: they rank after the rest.
  const int last = n == 0 ? 0 : *std::max_element(rank.begin(), rank.end());
  for (size_t i = 0; i < n; ++i) {
    if (HasNan(points[i])) rank[i] = last + 1;
  }
  return rank;
}

double Hypervolume(const std::vector<Point>& points, const Point& reference) {
  std::vector<Point> inside;
  for (const Point& p : points) {
    bool better = p.size() == reference.size();
    for (size_t k = 0; k < p.size() && better; ++k) better = p[k] < reference[k];
    if (better) inside.push_back(p);
  }
  if (inside.empty()) return 0;
  return Wfg(Filter(std::move(inside)), reference);
}

std::vector<double> HypervolumeContributions(const std::vector<Point>& points,
                                             const Point& reference) {
  const double total = Hypervolume(points, reference);
  std::vector<double> out(points.size(), 0);
  const std::vector<size_t> front = NonDominated(points);
  for (size_t i : front) {
    std::vector<Point> rest;
    for (size_t j = 0; j < points.size(); ++j) {
      if (j != i) rest.push_back(points[j]);
    }
    out[i] = std::max(0.0, total - Hypervolume(rest, reference));
  }
  return out;
}

}  // namespace hpsweep::coordinator::bo
