#include "coordinator/search/bo/outcome_transform.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

namespace hpsweep::coordinator::bo {
namespace {

// Exponents tried: [-2, 4] in steps of 0.05 (1 = identity). Wider exponents
// only matter for pathological data and make the transform numerically
// fragile (a power of 4 of a 10-sigma value is 1e4).
constexpr double kMinLambda = -2.0;
constexpr double kMaxLambda = 4.0;
constexpr double kLambdaStep = 0.05;
// The positive outcomes' Box-Cox exponent stays in [1/2, 1]: it only ever
// compresses toward the natural floor at zero, and never below a square
// root. A loss near a smooth minimum grows like r^2 at distance r from it;
// y^lambda grows like r^(2 lambda), Lipschitz for lambda >= 1/2 (a cone at
// worst). The log (lambda 0) would turn a minimum at zero into a singular
// funnel that no stationary kernel fits: the search found the funnel and
// then left to explore instead of refining it.
constexpr double kMinPositiveLambda = 0.5;

// The mean of v and the sum of squared deviations from it. REQUIRES: v
// not empty.
std::pair<double, double> MeanAndSquares(const std::vector<double>& v) {
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double squares = 0;
  for (double x : v) squares += (x - mean) * (x - mean);
  return {mean, squares};
}

// How many different values v holds.
size_t CountDistinct(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return static_cast<size_t>(std::unique(v.begin(), v.end()) - v.begin());
}

// Standardizes in place; returns false when the values have no spread.
bool Standardize(std::vector<double>* v) {
  const double n = static_cast<double>(v->size());
  auto [mean, var] = MeanAndSquares(*v);
  var = v->size() > 1 ? var / (n - 1) : 0.0;
  if (!(var > 1e-300) || !std::isfinite(var)) {
    for (double& x : *v) x -= mean;
    return false;
  }
  const double sd = std::sqrt(var);
  for (double& x : *v) x = (x - mean) / sd;
  return true;
}

// Box-Cox transform of x > 0 with exponent `lambda` (Box & Cox 1964).
double BoxCox(double x, double lambda) {
  constexpr double kEps = 1e-8;
  const double log_x = std::log(x);
  if (std::abs(lambda) < kEps) return log_x;
  return std::expm1(lambda * log_x) / lambda;
}

// Profile log-likelihood (up to a constant) of a power-transform model at
// `lambda`: -n/2 log(variance of the transformed values) + (lambda - 1)
// sum log_scale(x), the second term being the log Jacobian. Yeo-Johnson's
// log_scale is sign(x) log(|x| + 1), Box-Cox's log(x).
template <typename Transform, typename LogScale>
double ProfileLogLikelihood(const std::vector<double>& x, double lambda, Transform transform,
                            LogScale log_scale) {
  const double n = static_cast<double>(x.size());
  double mean = 0, jacobian = 0;
  std::vector<double> t(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    t[i] = transform(x[i], lambda);
    if (!std::isfinite(t[i])) return -std::numeric_limits<double>::infinity();
    mean += t[i];
    jacobian += log_scale(x[i]);
  }
  mean /= n;
  double var = 0;
  for (double v : t) var += (v - mean) * (v - mean);
  var /= n;
  if (!(var > 1e-300) || !std::isfinite(var)) return -std::numeric_limits<double>::infinity();
  return -0.5 * n * std::log(var) + (lambda - 1) * jacobian;
}

double YeoJohnsonLogLikelihood(const std::vector<double>& x, double lambda) {
  return ProfileLogLikelihood(x, lambda, YeoJohnson,
                              [](double v) { return std::copysign(std::log1p(std::abs(v)), v); });
}

double BoxCoxLogLikelihood(const std::vector<double>& x, double lambda) {
  return ProfileLogLikelihood(x, lambda, BoxCox, [](double v) { return std::log(v); });
}

// The exponent in [min_lambda, max_lambda] on the grid that maximizes
// `log_likelihood`; 1 (the identity) unless another is strictly better.
template <typename LogLikelihoodFn>
double BestExponent(double min_lambda, double max_lambda, const LogLikelihoodFn& log_likelihood) {
  double best_lambda = 1.0;
  double best = log_likelihood(1.0);
  const int steps = static_cast<int>(std::lround((max_lambda - min_lambda) / kLambdaStep));
  for (int i = 0; i <= steps; ++i) {
    const double lambda = min_lambda + i * kLambdaStep;
    const double ll = log_likelihood(lambda);
    if (ll > best + 1e-12) {
      best = ll;
      best_lambda = lambda;
    }
  }
  return best_lambda;
}

// Positive outcomes (a loss, an error rate, a distance to a target): the
// Box-Cox exponent of values / their spread, on the raw scale where zero is
// the natural floor, so that a power below 1 resolves the low end; the
// values are replaced by their transform. Returns 1 and leaves `v` alone
// when the values are not all positive or have no spread.
double PositiveExponent(std::vector<double>* v) {
  if (v->size() < 3 || *std::min_element(v->begin(), v->end()) <= 0) return 1.0;
  const double sd = std::sqrt(MeanAndSquares(*v).second / static_cast<double>(v->size()));
  if (!(sd > 0) || !std::isfinite(sd)) return 1.0;
  std::vector<double> scaled = *v;
  for (double& x : scaled) x /= sd;
  if (*std::min_element(scaled.begin(), scaled.end()) <= 0) return 1.0;  // underflowed
  const double lambda = BestExponent(kMinPositiveLambda, 1.0,
                                     [&](double l) { return BoxCoxLogLikelihood(scaled, l); });
  for (double& x : scaled) x = BoxCox(x, lambda);
  *v = std::move(scaled);
  return lambda;
}

}  // namespace

double NormalCdf(double x) { return 0.5 * std::erfc(-x * M_SQRT1_2); }

double NormalQuantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

std::vector<double> HalfRankWarp(const std::vector<double>& y) {
  const size_t n = y.size();
  if (n < 3) return y;
  std::vector<double> sorted = y;
  std::sort(sorted.begin(), sorted.end());
  const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  double ss = 0;
  size_t good = 0;
  for (double v : y) {
    if (v <= median) ss += (v - median) * (v - median), ++good;
  }
  const double good_sd = std::sqrt(ss / static_cast<double>(good));
  if (!(good_sd > 0) || !std::isfinite(good_sd)) {
    return y;  // the good half is flat: nothing to scale by
  }
  std::vector<double> out = y;
  for (double& v : out) {
    if (v <= median) continue;
    // Mid-rank among all values (ties share it), as a quantile in (1/2, 1).
    const auto lo = std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin();
    const auto hi = std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin();
    const double q = (0.5 * static_cast<double>(lo + hi)) / static_cast<double>(n);
    v = median + good_sd * NormalQuantile(q);
  }
  return out;
}

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
  out.values = HalfRankWarp(y);
  if (y.empty()) return out;
  if (CountDistinct(out.values) >= 3) out.box_cox_lambda = PositiveExponent(&out.values);
  if (!Standardize(&out.values)) return out;
  if (CountDistinct(out.values) < 3) return out;
  const double best_lambda = BestExponent(
      kMinLambda, kMaxLambda, [&](double l) { return YeoJohnsonLogLikelihood(out.values, l); });
  out.lambda = best_lambda;
  for (double& v : out.values) v = YeoJohnson(v, best_lambda);
  Standardize(&out.values);
  return out;
}

}  // namespace hpsweep::coordinator::bo
