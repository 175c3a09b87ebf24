// FUZZ_CHECK: the property checks of fuzz targets. A failed check prints what
// failed and aborts, which libFuzzer records as a crash with its input (and
// the replay test reports as a failure).
#ifndef HPSWEEP_TESTS_FUZZ_FUZZ_CHECK_H_
#define HPSWEEP_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(condition, detail)                                                  \
  do {                                                                                 \
    if (!(condition)) {                                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, __LINE__,   \
                   #condition, std::string(detail).c_str());                           \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

#endif  // HPSWEEP_TESTS_FUZZ_FUZZ_CHECK_H_
