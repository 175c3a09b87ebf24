#include "common/logging.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace hpsweep {
namespace {

TEST(LoggingTest, ParsesLevelNames) {
  LogLevel level = LogLevel::kInfo;
  EXPECT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("WARN", &level));
  EXPECT_EQ(level, LogLevel::kWarning);
  EXPECT_FALSE(ParseLogLevel("loud", &level));
  EXPECT_EQ(level, LogLevel::kWarning);
}

TEST(LoggingTest, WritesLinesAtOrAboveMinimumLevel) {
  SetMinLogLevel(LogLevel::kWarning);
  testing::internal::CaptureStderr();
  HPS_LOG(INFO) << "hidden line";
  HPS_LOG(WARNING) << "visible " << 42;
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("hidden line"), std::string::npos);
  EXPECT_NE(out.find("visible 42\n"), std::string::npos);
  EXPECT_EQ(out[0], 'W');
  EXPECT_NE(out.find("logging_test.cc:"), std::string::npos);
  SetMinLogLevel(LogLevel::kInfo);
}

TEST(LoggingTest, PrefixAppearsOnEveryLine) {
  SetLogPrefix("rank 1");
  testing::internal::CaptureStderr();
  HPS_LOG(INFO) << "a";
  const std::string out = testing::internal::GetCapturedStderr();
  SetLogPrefix("");
  EXPECT_NE(out.find(" rank 1 logging_test.cc:"), std::string::npos) << out;
}

TEST(LoggingTest, UnevaluatedWhenBelowLevel) {
  SetMinLogLevel(LogLevel::kError);
  int calls = 0;
  auto count = [&calls] { return ++calls; };
  HPS_LOG(INFO) << count();
  EXPECT_EQ(calls, 0);
  SetMinLogLevel(LogLevel::kInfo);
}

TEST(LogRateLimiterTest, LetsABurstThroughPerPeriodAndCountsTheRest) {
  LogRateLimiter limiter(std::chrono::seconds(10), 2);
  int64_t suppressed = -1;
  EXPECT_TRUE(limiter.AllowAt(0, &suppressed));
  EXPECT_EQ(suppressed, 0);
  EXPECT_TRUE(limiter.AllowAt(1, &suppressed));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.AllowAt(2 + i, &suppressed));
  // The next period: the first line carries the count of those refused.
  EXPECT_TRUE(limiter.AllowAt(10'000'000, &suppressed));
  EXPECT_EQ(suppressed, 1000);
  EXPECT_TRUE(limiter.AllowAt(10'000'001, &suppressed));
  EXPECT_EQ(suppressed, 0);
}

TEST(LogRateLimiterTest, LimitedLinesSayHowManyWereSuppressed) {
  LogRateLimiter limiter(std::chrono::hours(1), 3);
  testing::internal::CaptureStderr();
  for (int i = 0; i < 10000; ++i) HPS_LOG_LIMITED(WARNING, limiter) << "accept failed " << i;
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
  EXPECT_NE(out.find("accept failed 2\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("accept failed 3"), std::string::npos) << out;
}

TEST(LogRateLimiterTest, SuppressedCountEndsTheLine) {
  testing::internal::CaptureStderr();
  { internal::LogMessage(LogLevel::kWarning, "x.cc", 1, 7).stream() << "disk full"; }
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("disk full (7 similar messages suppressed)\n"), std::string::npos) << out;
}

TEST(LoggingDeathTest, CheckFailureAborts) {
  EXPECT_DEATH(HPS_CHECK(1 + 1 == 3) << "math broke", "Check failed: 1 \\+ 1 == 3 math broke");
}

}  // namespace
}  // namespace hpsweep
