// Logging and invariant checks.
//
//   HPS_LOG(INFO) << "leased trial " << id;
//   HPS_CHECK(bucket < buckets_.size()) << "bucket index out of range";
//
// Lines go to stderr as "I1121 06:40:01.123456 tid file:line] message", one
// write(2) per line so that lines from threads and MPI ranks do not interleave.
// The minimum level comes from HPSWEEP_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR;
// default INFO) and can be changed with SetMinLogLevel. A prefix (for example
// "rank 1") can be set per process with SetLogPrefix.
//
// HPS_CHECK is for broken invariants only: it aborts. Bad input and lost peers
// are reported with a Status instead.
//
// An error that can repeat at the rate of its cause (a failing accept(), a
// storage probe) goes through a LogRateLimiter so the log never floods:
//
//   LogRateLimiter accept_errors_;  // one per call site, a member
//   HPS_LOG_LIMITED(WARNING, accept_errors_) << "accept failed: " << ec.message();
//
// writes at most `burst` lines per `period`; the next line written after a
// quiet spell ends with " (N similar messages suppressed)".
//
// Thread safety: all functions here are thread-safe.
#ifndef HPSWEEP_COMMON_LOGGING_H_
#define HPSWEEP_COMMON_LOGGING_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>

namespace hpsweep {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kFatal = 4 };

void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
// Parses "DEBUG", "info", ...; returns false (and leaves *level) on an unknown name.
bool ParseLogLevel(std::string_view name, LogLevel* level);
// Text inserted after the level letter of every line, e.g. "rank 1".
void SetLogPrefix(std::string prefix);

// Lets through at most `burst` log lines per `period` from one call site and
// counts the rest. Thread-safe.
class LogRateLimiter {
 public:
  // Default: 5 lines per 10 s.
  explicit LogRateLimiter(std::chrono::milliseconds period = std::chrono::seconds(10),
                          int burst = 5);
  // True when a line may be written now; then *suppressed is the number of
  // lines refused since the last one let through (0 otherwise).
  bool Allow(int64_t* suppressed);
  // Allow with an explicit monotonic time in microseconds (tests).
  bool AllowAt(int64_t now_us, int64_t* suppressed);

 private:
  const int64_t period_us_;
  const int burst_;
  std::mutex mu_;
  int64_t window_start_us_ = INT64_MIN;
  int in_window_ = 0;
  int64_t suppressed_ = 0;
};

namespace internal {

// Collects one log line and writes it when destroyed; aborts for kFatal.
// `suppressed` > 0 appends " (N similar messages suppressed)".
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line, int64_t suppressed = 0);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  int64_t suppressed_;
  std::ostringstream stream_;
};

// Turns `stream << a << b` into void so it can sit in a conditional expression.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace internal
}  // namespace hpsweep

#define HPS_LOG_LEVEL_DEBUG ::hpsweep::LogLevel::kDebug
#define HPS_LOG_LEVEL_INFO ::hpsweep::LogLevel::kInfo
#define HPS_LOG_LEVEL_WARNING ::hpsweep::LogLevel::kWarning
#define HPS_LOG_LEVEL_ERROR ::hpsweep::LogLevel::kError
#define HPS_LOG_LEVEL_FATAL ::hpsweep::LogLevel::kFatal

#define HPS_LOG(level)                                                      \
  (HPS_LOG_LEVEL_##level < ::hpsweep::MinLogLevel())                        \
      ? (void)0                                                             \
      : ::hpsweep::internal::Voidify() &                                    \
            ::hpsweep::internal::LogMessage(HPS_LOG_LEVEL_##level, __FILE__, \
                                            __LINE__)                       \
                .stream()

// Like HPS_LOG, through `limiter` (a LogRateLimiter). Not for use as the
// body of an unbraced if/else.
#define HPS_LOG_LIMITED(level, limiter)                                              \
  if (int64_t hps_suppressed_ = 0; HPS_LOG_LEVEL_##level < ::hpsweep::MinLogLevel() || \
                                   !(limiter).Allow(&hps_suppressed_)) {              \
  } else                                                                             \
    ::hpsweep::internal::LogMessage(HPS_LOG_LEVEL_##level, __FILE__, __LINE__,        \
                                    hps_suppressed_)                                  \
        .stream()

#define HPS_CHECK(cond)                                                                 \
  (cond) ? (void)0                                                                      \
         : ::hpsweep::internal::Voidify() &                                             \
               ::hpsweep::internal::LogMessage(::hpsweep::LogLevel::kFatal, __FILE__, \
                                               __LINE__)                                \
                       .stream()                                                        \
                   << "Check failed: " #cond " "

#endif  // HPSWEEP_COMMON_LOGGING_H_
