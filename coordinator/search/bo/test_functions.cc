#include "coordinator/search/bo/test_functions.h"

#include <cmath>

namespace hpsweep::coordinator::bo {

double BraninUnit(const std::vector<double>& u) {
  const double x1 = -5.0 + 15.0 * u[0];
  const double x2 = 15.0 * u[1];
  const double a = 1.0, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI;
  const double r = 6.0, s = 10.0, t = 1 / (8 * M_PI);
  const double q = x2 - b * x1 * x1 + c * x1 - r;
  return a * q * q + s * (1 - t) * std::cos(x1) + s;
}

double Hartmann6Unit(const std::vector<double>& x) {
  static constexpr double kA[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                      {0.05, 10, 17, 0.1, 8, 14},
                                      {3, 3.5, 1.7, 10, 17, 8},
                                      {17, 8, 0.05, 10, 0.1, 14}};
  static constexpr double kP[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                      {2329, 4135, 8307, 3736, 1004, 9991},
                                      {2348, 1451, 3522, 2883, 3047, 6650},
                                      {4047, 8828, 8732, 5743, 1091, 381}};
  static constexpr double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
  double s = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) {
      const double d = x[j] - kP[i][j] * 1e-4;
      inner += kA[i][j] * d * d;
    }
    s += kAlpha[i] * std::exp(-inner);
  }
  return -s;
}

const std::vector<TestFunction>& TestFunctions() {
  static const std::vector<TestFunction> kFunctions = {
      {"branin", 2, 0.397887, &BraninUnit},
      {"hartmann6", 6, -3.32237, &Hartmann6Unit},
  };
  return kFunctions;
}

}  // namespace hpsweep::coordinator::bo
