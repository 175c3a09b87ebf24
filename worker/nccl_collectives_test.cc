// NCCL collectives on a GPU machine (tag "gpu"). Without --config=cuda this
// binary has nothing to test and skips.
#include <mpi.h>
#include <torch/torch.h>

#include "gtest/gtest.h"
#include "tests/mpi_test_main.h"
#include "worker/mpi_collectives.h"
#ifdef HPSWEEP_HAVE_NCCL
#include "worker/nccl_collectives.h"
#endif

namespace hpsweep::worker {
namespace {

TEST(NcclCollectivesTest, AllreduceAverageAndBroadcast) {
#ifndef HPSWEEP_HAVE_NCCL
  GTEST_SKIP() << "built without --config=cuda";
#else
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device or CPU-only LibTorch";
  auto mpi = MpiCollectives::Create(MPI_COMM_WORLD, MpiCollectivesOptions{});
  ASSERT_TRUE(mpi.ok()) << mpi.status();
  const int rank = (*mpi)->rank();
  auto nccl = NcclCollectives::Create(mpi->get(), rank % static_cast<int>(torch::cuda::device_count()));
  ASSERT_TRUE(nccl.ok()) << nccl.status();
  torch::Tensor t = torch::full({1 << 20}, static_cast<float>(rank), torch::kCUDA);
  ASSERT_TRUE((*nccl)->AllreduceAsync(t, ReduceOp::kAverage)->Wait().ok());
  const float want = ((*nccl)->size() - 1) / 2.0f;
  EXPECT_TRUE(torch::allclose(t.cpu(), torch::full({1 << 20}, want)));
  torch::Tensor b = torch::full({7}, static_cast<float>(rank + 3), torch::kCUDA);
  ASSERT_TRUE((*nccl)->Broadcast({b}, 0).ok());
  EXPECT_EQ(b[6].item<float>(), 3.0f);
  torch::Tensor cpu = torch::zeros({4});
  EXPECT_EQ((*nccl)->AllreduceAsync(cpu, ReduceOp::kSum)->Wait().code(), StatusCode::kInvalidArgument);
#endif
}

}  // namespace
}  // namespace hpsweep::worker

HPSWEEP_MPI_TEST_MAIN()
