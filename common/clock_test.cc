#include "common/clock.h"

#include "gtest/gtest.h"

namespace hpsweep {
namespace {

TEST(RealClockTest, WallClockIsAfter2020AndMonotonicNeverDecreases) {
  RealClock clock;
  EXPECT_GT(clock.NowMicros(), 1577836800LL * 1000000);  // 2020-01-01
  int64_t last = clock.MonotonicMicros();
  for (int i = 0; i < 1000; ++i) {
    const int64_t now = clock.MonotonicMicros();
    ASSERT_GE(now, last);
    last = now;
  }
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMicros(), 1000);
  EXPECT_EQ(clock.NowMicros(), 1000);
  clock.AdvanceMicros(500);
  EXPECT_EQ(clock.NowMicros(), 1500);
  EXPECT_EQ(clock.MonotonicMicros(), 1500);
  clock.AdvanceSeconds(2.5);
  EXPECT_EQ(clock.NowMicros(), 2501500);
  clock.SetMicros(7);
  EXPECT_EQ(clock.NowMicros(), 7);
}

TEST(FakeClockTest, UsableThroughTheInterface) {
  FakeClock fake;
  Clock* clock = &fake;
  const int64_t before = clock->NowMicros();
  fake.AdvanceSeconds(1);
  EXPECT_EQ(clock->NowMicros() - before, 1000000);
}

}  // namespace
}  // namespace hpsweep
