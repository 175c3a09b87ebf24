// The Store contract for checkpoints (chunks, replacement, deletion,
// concurrent writers), run over every implementation (store_conformance.h).
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/store/store.h"
#include "coordinator/store/store_conformance.h"
#include "gtest/gtest.h"
#include "proto/messages.h"

namespace hpsweep::coordinator::store_testing {
namespace {

using proto::Json;
TEST_P(StoreTest, CheckpointMultiChunkRoundTrip) {
  UseChunkBytes(16);
  const std::string bytes = Pattern(16 * 5 + 3, 'a');
  WriteCheckpoint(store_.get(), 4, 10, bytes, /*piece=*/7);
  auto reader = store_->OpenCheckpoint(4, 10);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->info().trial_id, 4u);
  EXPECT_EQ((*reader)->info().step, 10);
  EXPECT_EQ((*reader)->info().size_bytes, bytes.size());
  std::vector<size_t> sizes;
  EXPECT_EQ(ReadAll(reader->get(), &sizes), bytes);
  EXPECT_EQ(sizes, (std::vector<size_t>{16, 16, 16, 16, 16, 3}));
  std::string chunk;
  EXPECT_FALSE(*(*reader)->Next(&chunk));  // stays at the end

  // One large Append is split the same way; an exact multiple has no tail.
  const std::string big = Pattern(64, 'q');
  WriteCheckpoint(store_.get(), 4, 11, big, /*piece=*/64);
  reader = store_->OpenCheckpoint(4, 11);
  sizes.clear();
  EXPECT_EQ(ReadAll(reader->get(), &sizes), big);
  EXPECT_EQ(sizes, (std::vector<size_t>{16, 16, 16, 16}));
}

TEST_P(StoreTest, EmptyCheckpoint) {
  WriteCheckpoint(store_.get(), 1, 0, "");
  auto reader = store_->OpenCheckpoint(1, 0);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->info().size_bytes, 0u);
  std::string chunk;
  EXPECT_FALSE(*(*reader)->Next(&chunk));
}

TEST_P(StoreTest, LatestCheckpointAndListOrder) {
  WriteCheckpoint(store_.get(), 5, 10, "ten");
  WriteCheckpoint(store_.get(), 5, 300, "three hundred");
  WriteCheckpoint(store_.get(), 5, 20, "twenty");
  WriteCheckpoint(store_.get(), 6, 1000, "other trial");
  WriteCheckpoint(store_.get(), 4, 2000, "other trial");

  EXPECT_EQ(ReadCheckpoint(store_.get(), 5, -1), "three hundred");
  EXPECT_EQ(ReadCheckpoint(store_.get(), 5, 20), "twenty");
  auto list = store_->ListCheckpoints(5);
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<int64_t> steps;
  for (const auto& info : *list) {
    steps.push_back(info.step);
    EXPECT_EQ(info.trial_id, 5u);
  }
  EXPECT_EQ(steps, (std::vector<int64_t>{10, 20, 300}));
  EXPECT_EQ((*list)[1].size_bytes, 6u);
  EXPECT_TRUE(store_->ListCheckpoints(7)->empty());
}

TEST_P(StoreTest, DeletedCheckpointIsGoneAndAnOpenReaderKeepsItsBytes) {
  WriteCheckpoint(store_.get(), 5, 10, "ten");
  WriteCheckpoint(store_.get(), 5, 20, "twenty");
  auto open = store_->OpenCheckpoint(5, 10);
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_TRUE(store_->DeleteCheckpoint(5, 10).ok());
  EXPECT_EQ(store_->OpenCheckpoint(5, 10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListCheckpoints(5)->size(), 1u);
  EXPECT_EQ(ReadCheckpoint(store_.get(), 5, -1), "twenty");
  EXPECT_EQ(ReadAll(open->get()), "ten");
  EXPECT_TRUE(store_->DeleteCheckpoint(5, 10).ok()) << "deleting twice is harmless";
  EXPECT_TRUE(store_->DeleteCheckpoint(99, 1).ok());
}

TEST_P(StoreTest, MissingCheckpointIsNotFound) {
  WriteCheckpoint(store_.get(), 5, 10, "ten");
  EXPECT_EQ(store_->OpenCheckpoint(5, 11).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenCheckpoint(4, -1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenCheckpoint(6, -1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenCheckpoint(UINT64_MAX, -1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->BeginCheckpoint(5, -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, CheckpointInvisibleUntilFinish) {
  UseChunkBytes(8);
  auto writer = store_->BeginCheckpoint(3, 1);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Append(Pattern(40, 'x')).ok());  // several chunks written
  EXPECT_EQ(store_->OpenCheckpoint(3, 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->OpenCheckpoint(3, -1).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListCheckpoints(3)->empty());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(ReadCheckpoint(store_.get(), 3, -1), Pattern(40, 'x'));

  // A finished writer takes nothing more.
  EXPECT_EQ((*writer)->Append("more").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Finish().status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(StoreTest, CheckpointDiscardedWhenWriterDestroyed) {
  UseChunkBytes(8);
  WriteCheckpoint(store_.get(), 3, 1, "kept");
  {
    auto writer = store_->BeginCheckpoint(3, 2);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(Pattern(50, 'd')).ok());
  }
  {  // A discarded replacement leaves the finished checkpoint alone.
    auto writer = store_->BeginCheckpoint(3, 1);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(Pattern(50, 'e')).ok());
  }
  EXPECT_EQ(store_->OpenCheckpoint(3, 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadCheckpoint(store_.get(), 3, -1), "kept");
  EXPECT_EQ(store_->ListCheckpoints(3)->size(), 1u);

  // The step can be written afresh afterwards.
  WriteCheckpoint(store_.get(), 3, 2, "fresh");
  EXPECT_EQ(ReadCheckpoint(store_.get(), 3, 2), "fresh");
}

TEST_P(StoreTest, CheckpointReplacedAtSameStep) {
  UseChunkBytes(8);
  const std::string old_bytes = Pattern(8 * 6, 'o');
  WriteCheckpoint(store_.get(), 9, 5, old_bytes);
  auto old_reader = store_->OpenCheckpoint(9, 5);
  ASSERT_TRUE(old_reader.ok());

  const std::string new_bytes = "short and new";  // fewer chunks than before
  WriteCheckpoint(store_.get(), 9, 5, new_bytes);
  std::vector<size_t> sizes;
  auto reader = store_->OpenCheckpoint(9, 5);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->info().size_bytes, new_bytes.size());
  EXPECT_EQ(ReadAll(reader->get(), &sizes), new_bytes);
  EXPECT_EQ(sizes.size(), 2u);  // no stale chunk from the old, longer version
  auto list = store_->ListCheckpoints(9);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].size_bytes, new_bytes.size());

  // A reader opened before the replacement keeps reading the old version.
  EXPECT_EQ((*old_reader)->info().size_bytes, old_bytes.size());
  EXPECT_EQ(ReadAll(old_reader->get()), old_bytes);
}

TEST_P(StoreTest, ConcurrentCheckpointWriters) {
  UseChunkBytes(32);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int step = 0; step < 5; ++step) {
        WriteCheckpoint(store_.get(), static_cast<uint64_t>(th % 2), step,
                        Pattern(100 + static_cast<size_t>(th), static_cast<char>('a' + th)));
      }
    });
  }
  for (auto& t : threads) t.join();
  for (uint64_t trial : {0, 1}) {
    auto list = store_->ListCheckpoints(trial);
    ASSERT_EQ(list->size(), 5u);
    for (const auto& info : *list) {
      std::string bytes = ReadCheckpoint(store_.get(), trial, info.step);
      EXPECT_EQ(bytes.size(), info.size_bytes);
      // Whole versions only: the bytes are exactly one writer's.
      EXPECT_TRUE(bytes == Pattern(bytes.size(), bytes[0])) << "trial " << trial;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::ValuesIn(AllStores()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace hpsweep::coordinator::store_testing
