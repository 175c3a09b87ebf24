#include "common/logging.h"

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

TEST(LoggingDeathTest, CheckFailureAborts) {
  EXPECT_DEATH(HPS_CHECK(1 + 1 == 3) << "math broke", "Check failed: 1 \\+ 1 == 3 math broke");
}

}  // namespace
}  // namespace hpsweep
