// Benchmark objectives with known minima, re-implemented from
// shared/anchors/functions.py, taking points on the unit cube.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_TEST_FUNCTIONS_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_TEST_FUNCTIONS_H_

#include <string>
#include <vector>

namespace hpsweep::coordinator::bo {

struct TestFunction {
  std::string name;
  int dims;
  double minimum;
  // u in [0,1]^dims, mapped linearly onto the function's box.
  double (*eval)(const std::vector<double>& u);
};

// Branin on [-5,10] x [0,15]; minimum 0.397887.
double BraninUnit(const std::vector<double>& u);
// Hartmann6 on [0,1]^6; minimum -3.32237.
double Hartmann6Unit(const std::vector<double>& u);

// {"branin", ...}, {"hartmann6", ...}.
const std::vector<TestFunction>& TestFunctions();

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_TEST_FUNCTIONS_H_
