#include "common/logging.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

namespace hpsweep {
namespace {

LogLevel LevelFromEnvironment() {
  LogLevel level = LogLevel::kInfo;
  if (const char* env = std::getenv("HPSWEEP_LOG_LEVEL")) ParseLogLevel(env, &level);
  return level;
}

std::atomic<int>& MinLevel() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnvironment())};
  return level;
}

std::mutex& PrefixMutex() {
  static std::mutex mu;
  return mu;
}

std::string& Prefix() {
  static std::string prefix;
  return prefix;
}

constexpr char kLevelLetters[] = {'D', 'I', 'W', 'E', 'F'};

}  // namespace

void SetMinLogLevel(LogLevel level) { MinLevel().store(static_cast<int>(level)); }

LogLevel MinLogLevel() { return static_cast<LogLevel>(MinLevel().load()); }

bool ParseLogLevel(std::string_view name, LogLevel* level) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "DEBUG") *level = LogLevel::kDebug;
  else if (upper == "INFO") *level = LogLevel::kInfo;
  else if (upper == "WARNING" || upper == "WARN") *level = LogLevel::kWarning;
  else if (upper == "ERROR") *level = LogLevel::kError;
  else return false;
  return true;
}

void SetLogPrefix(std::string prefix) {
  std::lock_guard<std::mutex> lock(PrefixMutex());
  Prefix() = std::move(prefix);
}

LogRateLimiter::LogRateLimiter(std::chrono::milliseconds period, int burst)
    : period_us_(std::max<int64_t>(1, period.count() * 1000)), burst_(std::max(1, burst)) {}

bool LogRateLimiter::Allow(int64_t* suppressed) {
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  return AllowAt(now_us, suppressed);
}

bool LogRateLimiter::AllowAt(int64_t now_us, int64_t* suppressed) {
  std::lock_guard<std::mutex> lock(mu_);
  if (window_start_us_ == INT64_MIN || now_us - window_start_us_ >= period_us_) {
    window_start_us_ = now_us;
    in_window_ = 0;
  }
  if (in_window_ >= burst_) {
    ++suppressed_;
    *suppressed = 0;
    return false;
  }
  ++in_window_;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

namespace internal {

LogMessage::LogMessage(LogLevel level, const char* file, int line, int64_t suppressed)
    : level_(level), suppressed_(suppressed) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%c%02d%02d %02d:%02d:%02d.%06lld %ld ",
                kLevelLetters[static_cast<int>(level)], tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<long long>(micros),
                static_cast<long>(syscall(SYS_gettid)));
  const char* base = std::strrchr(file, '/');
  stream_ << stamp;
  {
    std::lock_guard<std::mutex> lock(PrefixMutex());
    if (!Prefix().empty()) stream_ << Prefix() << ' ';
  }
  stream_ << (base ? base + 1 : file) << ':' << line << "] ";
}

LogMessage::~LogMessage() {
  if (suppressed_ > 0) stream_ << " (" << suppressed_ << " similar messages suppressed)";
  std::string text = stream_.str();
  text.push_back('\n');
  // One write per line keeps lines whole across threads and processes.
  ssize_t written = ::write(STDERR_FILENO, text.data(), text.size());
  (void)written;  // Nowhere to report a failed log write.
  if (level_ == LogLevel::kFatal) std::abort();
}

}  // namespace internal
}  // namespace hpsweep
