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
// Thread safety: all functions here are thread-safe.
#ifndef HPSWEEP_COMMON_LOGGING_H_
#define HPSWEEP_COMMON_LOGGING_H_

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

namespace internal {

// Collects one log line and writes it when destroyed; aborts for kFatal.
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
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

#define HPS_CHECK(cond)                                                                 \
  (cond) ? (void)0                                                                      \
         : ::hpsweep::internal::Voidify() &                                             \
               ::hpsweep::internal::LogMessage(::hpsweep::LogLevel::kFatal, __FILE__, \
                                               __LINE__)                                \
                       .stream()                                                        \
                   << "Check failed: " #cond " "

#endif  // HPSWEEP_COMMON_LOGGING_H_
