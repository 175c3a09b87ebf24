#include "common/clock.h"

#include <chrono>

namespace hpsweep {

int64_t RealClock::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t RealClock::MonotonicMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Clock* RealClock::Get() {
  static RealClock clock;
  return &clock;
}

}  // namespace hpsweep
