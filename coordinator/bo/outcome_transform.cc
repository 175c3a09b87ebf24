#include "coordinator/bo/outcome_transform.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace hpsweep::coordinator::bo {
namespace {

// Exponents tried: [-2, 4] in steps of 0.05 (1 = identity). Wider exponents
// only matter for pathological data and make the transform numerically
// fragile (a power of 4 of a 10-sigma value is 1e4).
constexpr double kMinLambda = -2.0;
constexpr double kMaxLambda = 4.0;
constexpr double kLambdaStep = 0.05;

// Standardizes in place; returns false when the values have no spread.
bool Standardize(std::vector<double>* v) {
  const double n = static_cast<double>(v->size());
  const double mean = std::accumulate(v->begin(), v->end(), 0.0) / n;
  double var = 0;
  for (double x : *v) var += (x - mean) * (x - mean);
  var = v->size() > 1 ? var / (n - 1) : 0.0;
  if (!(var > 1e-300) || !std::isfinite(var)) {
    for (double& x : *v) x -= mean;
    return false;
  }
  const double sd = std::sqrt(var);
  for (double& x : *v) x = (x - mean) / sd;
  return true;
}

// Profile log-likelihood of the Yeo-Johnson model at `lambda` (up to a
// constant): -n/2 log(variance of the transformed values) + (lambda - 1)
// sum sign(x) log(|x| + 1), the second term being the log Jacobian.
double LogLikelihood(const std::vector<double>& x, double lambda) {
  const double n = static_cast<double>(x.size());
  double mean = 0, jacobian = 0;
  std::vector<double> t(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    t[i] = YeoJohnson(x[i], lambda);
    if (!std::isfinite(t[i])) return -std::numeric_limits<double>::infinity();
    mean += t[i];
    jacobian += std::copysign(std::log1p(std::abs(x[i])), x[i]);
  }
  mean /= n;
  double var = 0;
  for (double v : t) var += (v - mean) * (v - mean);
  var /= n;
  if (!(var > 1e-300) || !std::isfinite(var)) return -std::numeric_limits<double>::infinity();
  return -0.5 * n * std::log(var) + (lambda - 1) * jacobian;
}

}  // namespace

double YeoJohnson(double x, double lambda) {
  constexpr double kEps = 1e-8;
  if (x >= 0) {
    if (std::abs(lambda) < kEps) return std::log1p(x);
    return std::expm1(lambda * std::log1p(x)) / lambda;
  }
  if (std::abs(lambda - 2) < kEps) return -std::log1p(-x);
  return -std::expm1((2 - lambda) * std::log1p(-x)) / (2 - lambda);
}

WarpedOutcomes WarpOutcomes(const std::vector<double>& y) {
  WarpedOutcomes out;
  out.values = y;
  if (y.empty() || !Standardize(&out.values)) return out;
  std::vector<double> sorted = out.values;
  std::sort(sorted.begin(), sorted.end());
  if (std::unique(sorted.begin(), sorted.end()) - sorted.begin() < 3) return out;
  double best_lambda = 1.0;
  double best = LogLikelihood(out.values, 1.0);
  const int steps = static_cast<int>(std::lround((kMaxLambda - kMinLambda) / kLambdaStep));
  for (int i = 0; i <= steps; ++i) {
    const double lambda = kMinLambda + i * kLambdaStep;
    const double ll = LogLikelihood(out.values, lambda);
    if (ll > best + 1e-12) {
      best = ll;
      best_lambda = lambda;
    }
  }
  out.lambda = best_lambda;
  for (double& v : out.values) v = YeoJohnson(v, best_lambda);
  Standardize(&out.values);
  return out;
}

}  // namespace hpsweep::coordinator::bo
