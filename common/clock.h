// Clock: where hpsweep code gets the time, so tests can control it.
//
// Times are microseconds since the Unix epoch (wall clock), because lease
// deadlines and event timestamps are stored and must survive a restart.
// Durations measured inside one process (benchmarks, timeouts) should use
// MonotonicMicros.
//
// Thread safety: RealClock and FakeClock are thread-safe.
#ifndef HPSWEEP_COMMON_CLOCK_H_
#define HPSWEEP_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace hpsweep {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;
  // Microseconds on a clock that never goes backwards; its origin is arbitrary.
  virtual int64_t MonotonicMicros() const = 0;
};

// The system clock.
class RealClock final : public Clock {
 public:
  int64_t NowMicros() const override;
  int64_t MonotonicMicros() const override;
  // A process-wide instance, for composition roots (main functions) only;
  // everything else receives its Clock through a constructor.
  static Clock* Get();
};

// A clock that moves only when told to. Both readings advance together.
class FakeClock final : public Clock {
 public:
  // Default start: 2026-01-01T00:00:00Z, so timestamps look realistic.
  explicit FakeClock(int64_t start_micros = 1767225600LL * 1000000) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t MonotonicMicros() const override { return now_.load(); }
  void AdvanceMicros(int64_t delta) { now_.fetch_add(delta); }
  void AdvanceSeconds(double seconds) { AdvanceMicros(static_cast<int64_t>(seconds * 1e6)); }
  void SetMicros(int64_t now) { now_.store(now); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace hpsweep

#endif  // HPSWEEP_COMMON_CLOCK_H_
