#include "coordinator/store/storage_health.h"

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

TEST(StorageHealthTest, DegradesOnceWithTheFirstReasonAndRecovers) {
  StorageHealth health;
  EXPECT_TRUE(health.writable());
  EXPECT_EQ(health.reason(), "");
  EXPECT_TRUE(health.Degrade(UnavailableError("commit: No space left on device")));
  EXPECT_FALSE(health.Degrade(UnavailableError("a later failure")));
  EXPECT_FALSE(health.writable());
  EXPECT_EQ(health.reason(), "commit: No space left on device");
  const Status refused = health.Unavailable();
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.message().find("storage unavailable: commit: No space left on device"),
            std::string::npos)
      << refused;
  EXPECT_EQ(HttpStatusFor(refused.code()), 503);
  health.Recovered();
  EXPECT_TRUE(health.writable());
  EXPECT_EQ(health.reason(), "");
  EXPECT_EQ(health.failures(), 1);
  EXPECT_EQ(health.recoveries(), 1);
}

}  // namespace
}  // namespace hpsweep::coordinator
