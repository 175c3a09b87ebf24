#include "common/allocator.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace hpsweep {
namespace {

// A tensor-sized buffer (1 MiB, above glibc's initial 128 KiB mmap
// threshold) comes from the heap once tuned, so freeing it unmaps nothing.
TEST(AllocatorTest, MegabyteBlocksAreNotMappedOnTheirOwnOnceTuned) {
  ASSERT_TRUE(TuneAllocatorForTensors().ok());
  const size_t mapped_before = mallinfo2().hblks;
  void* block = std::malloc(size_t{1} << 20);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, size_t{1} << 20);
  EXPECT_EQ(mallinfo2().hblks, mapped_before);
  std::free(block);
}

// Freed memory stays in the heap for the next tensor instead of going back
// to the kernel (which would fault it in again, page by page).
TEST(AllocatorTest, FreedBlocksStayInTheProcess) {
  ASSERT_TRUE(TuneAllocatorForTensors().ok());
  constexpr size_t kBlock = size_t{4} << 20;
  void* block = std::malloc(kBlock);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBlock);
  const size_t heap_with_block = mallinfo2().arena;
  std::free(block);
  EXPECT_EQ(mallinfo2().arena, heap_with_block);
  EXPECT_GE(mallinfo2().fordblks, kBlock);
}

}  // namespace
}  // namespace hpsweep
