#include "coordinator/search/bo/acquisition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace hpsweep::coordinator::bo {
namespace {

torch::TensorOptions F64() { return torch::TensorOptions().dtype(torch::kFloat64); }

// EI for minimization, straight from the definition.
double Ei(double mean, double sd, double best) {
  const double z = (best - mean) / sd;
  const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
  const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  return sd * (pdf + z * cdf);
}

TEST(LogEiTest, EqualsLogOfEiWhereEiIsRepresentable) {
  for (double sd : {0.01, 1.0, 3.0}) {
    for (double z = -8; z <= 8; z += 0.25) {
      const double mean = 0.3, best = mean + z * sd;
      const auto got = LogExpectedImprovement(torch::tensor({mean}, F64()), torch::tensor({sd * sd}, F64()), best);
      const double want = std::log(Ei(mean, sd, best));
      // The plain formula loses relative accuracy as EI shrinks (cancellation
      // in pdf + z cdf), so the tolerance grows with |z| on the left.
      const double tol = z > -2 ? 1e-10 : 1e-6;
      EXPECT_NEAR(got.item<double>(), want, tol * std::max(1.0, std::abs(want))) << "z=" << z << " sd=" << sd;
    }
  }
}

TEST(LogEiTest, FiniteAndOrderedWhereEiUnderflows) {
  const std::vector<double> zs = {-20, -40, -100, -1000, -1e5, -1e8, -1e12};
  const auto z = torch::tensor(zs, F64()).requires_grad_(true);
  const auto log_h = LogH(z);
  EXPECT_EQ(Ei(0, 1, -40), 0.0);  // plain EI underflows here
  for (size_t i = 0; i < zs.size(); ++i) {
    const double v = log_h[i].item<double>();
    ASSERT_TRUE(std::isfinite(v)) << zs[i];
    if (i > 0) {
      EXPECT_LT(v, log_h[i - 1].item<double>()) << zs[i];
    }
    // Asymptotic expansion: h(z) = phi(z)/z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6 + 945/z^8 ...).
    const double zz = zs[i], w = 1 / (zz * zz);
    const double want = -0.5 * zz * zz - 0.5 * std::log(2 * M_PI) - 2 * std::log(-zz) +
                        std::log1p(w * (-3 + w * (15 + w * (-105 + w * 945))));
    EXPECT_NEAR(v, want, 1e-9 * std::max(1.0, std::abs(want))) << zs[i];
  }
  log_h.sum().backward();
  const auto g = z.grad();
  EXPECT_TRUE(torch::isfinite(g).all().item<bool>());
  // log h is increasing: d/dz log h(z) = Phi(z)/h(z) > 0, about -z far left.
  EXPECT_TRUE((g > 0).all().item<bool>());
  EXPECT_NEAR(g[2].item<double>(), 100.0, 0.1);
}

TEST(LogEiTest, SmoothAcrossBranchBoundaries) {
  for (double b : {-1.0, -1.0 / std::sqrt(std::numeric_limits<double>::epsilon())}) {
    const auto z = torch::tensor({b * (1 + 1e-9), b, b * (1 - 1e-9)}, F64());
    const auto v = LogH(z);
    EXPECT_NEAR(v[0].item<double>(), v[1].item<double>(), 1e-6 * std::max(1.0, std::abs(b * b)));
    EXPECT_NEAR(v[2].item<double>(), v[1].item<double>(), 1e-6 * std::max(1.0, std::abs(b * b)));
  }
}

// The closed-form derivative agrees with autograd through LogH wherever
// autograd is accurate, and stays finite and positive where it is not.
TEST(LogEiTest, LogHDerivativeMatchesAutograd) {
  const std::vector<double> zs = {4, 1, 0, -0.5, -0.999, -1.001, -3, -10, -40, -99, -101, -1000};
  const auto z = torch::tensor(zs, F64()).requires_grad_(true);
  LogH(z).sum().backward();
  const auto want = z.grad();
  const auto got = LogHDerivative(z.detach());
  for (size_t i = 0; i < zs.size(); ++i) {
    const double g = got[i].item<double>();
    ASSERT_TRUE(std::isfinite(g)) << zs[i];
    EXPECT_GT(g, 0) << zs[i];
    EXPECT_NEAR(g, want[i].item<double>(), 1e-6 * std::max(1.0, std::abs(g))) << zs[i];
  }
  // Far left, autograd through the erfcx branch loses digits; the slope is
  // -z to first order.
  EXPECT_NEAR(LogHDerivative(torch::tensor({-1e6}, F64())).item<double>(), 1e6, 1e-3);
}

TEST(LogEiTest, GradientMatchesFiniteDifferences) {
  const auto mean = torch::tensor({0.3, -1.0, 2.0, 8.0, 0.0}, F64());
  const auto var = torch::tensor({0.5, 0.01, 1.0, 0.04, 1e-6}, F64());
  const double best = 0.1;
  const auto g = LogExpectedImprovementWithGradient(mean, var, best);
  EXPECT_TRUE(torch::allclose(g.value, LogExpectedImprovement(mean, var, best)));
  for (int i = 0; i < 5; ++i) {
    const double m = mean[i].item<double>(), v = var[i].item<double>();
    auto f = [&](double mm, double vv) {
      return LogExpectedImprovement(torch::tensor({mm}, F64()), torch::tensor({vv}, F64()), best).item<double>();
    };
    const double hm = 1e-6 * std::max(1.0, std::abs(m)), hv = 1e-4 * v;
    const double dm = (f(m + hm, v) - f(m - hm, v)) / (2 * hm);
    const double dv = (f(m, v + hv) - f(m, v - hv)) / (2 * hv);
    EXPECT_NEAR(g.d_mean[i].item<double>(), dm, 1e-4 * std::max(1.0, std::abs(dm))) << i;
    EXPECT_NEAR(g.d_variance[i].item<double>(), dv, 1e-4 * std::max(1.0, std::abs(dv))) << i;
  }
}

TEST(LogEiTest, Log1mExp) {
  const auto x = torch::tensor({-1e-20, -1e-5, -0.5, -0.7, -5.0, -800.0}, F64());
  const auto got = Log1mExp(x);
  for (int i = 0; i < 6; ++i) {
    const long double xi = x[i].item<double>();
    const double want = static_cast<double>(std::log(-std::expm1(xi)));
    EXPECT_NEAR(got[i].item<double>(), want, 1e-12 * std::max(1.0, std::abs(want)));
  }
}

}  // namespace
}  // namespace hpsweep::coordinator::bo
