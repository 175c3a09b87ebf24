#include "coordinator/search/pruned_estimate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "coordinator/search/bo/outcome_transform.h"

namespace hpsweep::coordinator {
namespace {

// The one-sided 5% critical value of the standard normal.
constexpr double kZ95 = 1.6448536269514722;

// Mid ranks (ties share the mean of their positions), 0-based.
std::vector<double> MidRanks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = 0.5 * static_cast<double>(i + j);
    i = j + 1;
  }
  return rank;
}

// Pearson's correlation of the mid ranks; 0 when either side is constant.
double Spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> ra = MidRanks(a), rb = MidRanks(b);
  const double mean = 0.5 * static_cast<double>(a.size() - 1);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

}  // namespace

FinalValueEstimator::FinalValueEstimator(std::vector<EarlyAndFinal> completed) {
  for (const EarlyAndFinal& c : completed) {
    if (!std::isfinite(c.early) || !std::isfinite(c.final_value)) continue;
    early_.push_back(c.early);
    finals_.push_back(c.final_value);
  }
  const size_t n = early_.size();
  if (n >= 2) rho_ = Spearman(early_, finals_);
  informative_ = n >= static_cast<size_t>(kMinCompleted) &&
                 rho_ * std::sqrt(static_cast<double>(n - 1)) >= kZ95;
  std::sort(early_.begin(), early_.end());
  std::sort(finals_.begin(), finals_.end());
}

double FinalValueEstimator::Estimate(double early) const {
  const size_t n = early_.size();
  const auto lo = std::lower_bound(early_.begin(), early_.end(), early) - early_.begin();
  const auto hi = std::upper_bound(early_.begin(), early_.end(), early) - early_.begin();
  // Mid rank among the completed values, as a plotting position in (0, 1).
  const double q = (0.5 * static_cast<double>(lo + hi) + 0.5) / static_cast<double>(n + 1);
  const double p = bo::NormalCdf(rho_ * bo::NormalQuantile(q));
  // The finals' quantile at p, with final i at position (i + 1/2) / n and
  // linear interpolation between positions (the ends held flat).
  const double h = p * static_cast<double>(n) - 0.5;
  if (h <= 0) return finals_.front();
  if (h >= static_cast<double>(n - 1)) return finals_.back();
  const size_t i = static_cast<size_t>(h);
  const double f = h - static_cast<double>(i);
  return finals_[i] + f * (finals_[i + 1] - finals_[i]);
}

}  // namespace hpsweep::coordinator
