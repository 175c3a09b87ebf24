#include "coordinator/search/bo/acquisition.h"

#include <cmath>
#include <limits>

namespace hpsweep::coordinator::bo {
namespace {

constexpr double kC1 = 0.91893853320467274178;   // log(2 pi) / 2
constexpr double kC2 = 0.22579135264472743236;   // log(pi / 2) / 2
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kLn2 = 0.69314718055994530942;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
// Below this z, d log h / dz uses its asymptotic expansion.
constexpr double kAsymptoticZ = -100.0;

}  // namespace

torch::Tensor Log1mExp(const torch::Tensor& x) {
  // Each branch gets inputs inside its own domain so that the unused branch
  // produces no NaN (which torch::where would pass on to the gradient).
  const auto near = x.clamp(-kLn2, -1e-300);
  const auto far = x.clamp_max(-kLn2);
  return torch::where(x > -kLn2, torch::log(-torch::expm1(near)), torch::log1p(-torch::exp(far)));
}

torch::Tensor LogH(const torch::Tensor& z) {
  const double bound = -1.0 / std::sqrt(std::numeric_limits<double>::epsilon());
  // z > -1.
  const auto zu = z.clamp_min(-1.0);
  const auto upper = torch::log(kInvSqrt2Pi * torch::exp(-0.5 * zu * zu) +
                                zu * 0.5 * torch::erfc(-zu * kInvSqrt2));
  // bound < z <= -1.
  const auto zm = z.clamp(bound, -1.0);
  const auto mid = -0.5 * zm * zm - kC1 +
                   Log1mExp(torch::log(torch::special_erfcx(-zm * kInvSqrt2) * zm.abs()) + kC2);
  // z <= bound.
  const auto zl = z.clamp_max(bound);
  const auto low = -0.5 * zl * zl - kC1 - 2.0 * torch::log(zl.abs());
  return torch::where(z > -1.0, upper, torch::where(z > bound, mid, low));
}

torch::Tensor LogExpectedImprovement(const torch::Tensor& mean, const torch::Tensor& variance,
                                     double best_f) {
  const auto sigma = variance.sqrt();
  const auto z = (best_f - mean) / sigma;
  return LogH(z) + sigma.log();
}

torch::Tensor LogHDerivative(const torch::Tensor& z) {
  const auto zu = z.clamp_min(-1.0);
  const auto phi_u = 0.5 * torch::erfc(-zu * kInvSqrt2);
  const auto upper = phi_u / (kInvSqrt2Pi * torch::exp(-0.5 * zu * zu) + zu * phi_u);
  const auto zm = z.clamp(kAsymptoticZ, -1.0);
  const auto mid = 1.0 / (zm + kSqrt2OverPi / torch::special_erfcx(-zm * kInvSqrt2));
  const auto zl = z.clamp_max(kAsymptoticZ);
  const auto low = -zl - 2.0 / zl;
  return torch::where(z > -1.0, upper, torch::where(z > kAsymptoticZ, mid, low));
}

LogEiWithGradient LogExpectedImprovementWithGradient(const torch::Tensor& mean, const torch::Tensor& variance,
                                                     double best_f) {
  const auto sigma = variance.sqrt();
  const auto z = (best_f - mean) / sigma;
  const auto dz = LogHDerivative(z);
  LogEiWithGradient out;
  out.value = LogH(z) + sigma.log();
  out.d_mean = -dz / sigma;
  // d/d sigma = (1 - z dz) / sigma, and d sigma / d variance = 1 / (2 sigma).
  out.d_variance = (1.0 - z * dz) / (2.0 * variance);
  return out;
}

}  // namespace hpsweep::coordinator::bo
