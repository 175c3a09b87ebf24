#include "coordinator/lifecycle/checkpoint_retention.h"
#include "coordinator/store/memory_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hpsweep::coordinator {
namespace {

TEST(CheckpointRetentionTest, KeepsTheLatestKAndFreesTheRest) {
  struct Case {
    std::vector<int64_t> stored;
    int64_t keep;
    std::set<int64_t> protect;
    std::vector<int64_t> deleted;
  };
  const std::vector<Case> cases = {
      {{}, 1, {}, {}},
      {{32}, 1, {}, {}},
      {{32, 64, 96}, 1, {}, {32, 64}},
      {{96, 32, 64}, 2, {}, {32}},                  // any order in
      {{32, 64, 96}, 3, {}, {}},
      {{32, 64, 96}, 10, {}, {}},
      {{32, 64, 96}, 0, {}, {32, 64}},              // the latest is always kept
      {{32, 64, 96}, -5, {}, {32, 64}},
      {{32, 64, 96, 128}, 1, {64}, {32, 96}},       // protected steps stay
      {{0, 32, 32, 64}, 1, {}, {0, 32}},            // duplicates once
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CheckpointsToDelete(c.stored, c.keep, c.protect), c.deleted)
        << "keep " << c.keep << " of " << testing::PrintToString(c.stored);
  }
}

TEST(CheckpointRetentionTest, ApplyDeletesFromTheStoreAndTheLatestStillReads) {
  std::unique_ptr<Store> store = NewMemoryStore();
  for (int64_t step : {8, 16, 24, 32}) {
    auto writer = store->BeginCheckpoint(7, step);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("model at " + std::to_string(step)).ok());
    ASSERT_TRUE((*writer)->Finish().ok());
  }
  auto other = store->BeginCheckpoint(8, 8);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Finish().ok());

  auto deleted = ApplyRetention(*store, 7, 2);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 2);
  auto left = store->ListCheckpoints(7);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].step, 24);
  EXPECT_EQ((*left)[1].step, 32);
  auto latest = store->OpenCheckpoint(7, -1);
  ASSERT_TRUE(latest.ok());
  std::string chunk;
  ASSERT_TRUE((*latest)->Next(&chunk).ok());
  EXPECT_EQ(chunk, "model at 32");
  EXPECT_EQ(store->OpenCheckpoint(7, 8).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->ListCheckpoints(8)->size(), 1u) << "other trials are untouched";
  EXPECT_TRUE(store->DeleteCheckpoint(7, 8).ok()) << "deleting twice is harmless";
}

}  // namespace
}  // namespace hpsweep::coordinator
