// Two-rank tests of MpiCollectives, for both progress engines.
#include "worker/mpi_collectives.h"

#include <mpi.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/mpi_test_main.h"

namespace hpsweep::worker {
namespace {

using Progress = MpiCollectivesOptions::Progress;

// Engines under test: thread + shared memory, thread + MPI (ring for large
// buffers), non-blocking MPI.
enum class Engine { kThreadShm, kThreadMpi, kNonBlocking };

MpiCollectivesOptions OptionsFor(Engine e) {
  MpiCollectivesOptions o;
  o.progress = e == Engine::kNonBlocking ? Progress::kNonBlocking : Progress::kThread;
  o.shared_memory = e == Engine::kThreadShm;
  o.shm_chunk_bytes = 1 << 20;  // several chunks for the large-buffer test
  return o;
}

class MpiCollectivesTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    MpiCollectivesOptions o = OptionsFor(GetParam());
    auto c = MpiCollectives::Create(MPI_COMM_WORLD, o);
    ASSERT_TRUE(c.ok()) << c.status();
    comm_ = std::move(c).value();
  }
  std::unique_ptr<MpiCollectives> comm_;
};

TEST_P(MpiCollectivesTest, AsyncAllreducesAverageInStartOrder) {
  ASSERT_EQ(comm_->size(), 2);
  const float r = static_cast<float>(comm_->rank());
  std::vector<torch::Tensor> ts;
  std::vector<std::unique_ptr<PendingCollective>> hs;
  for (int i = 0; i < 5; ++i) {
    ts.push_back(torch::full({1000 * (i + 1)}, r + i));
    hs.push_back(comm_->AllreduceAsync(ts.back(), ReduceOp::kAverage));
    comm_->Poll();
  }
  for (int i = 4; i >= 0; --i) ASSERT_TRUE(hs[i]->Wait().ok());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(torch::allclose(ts[i], torch::full_like(ts[i], 0.5f + i)));
}

TEST_P(MpiCollectivesTest, LargeBuffersAverageSumAndMaxExactly) {
  // Above the ring threshold, odd length so chunks are uneven.
  const int64_t n = 1000003;
  const double r = comm_->rank();
  torch::Tensor base = torch::arange(n, torch::kFloat).remainder(1000);
  torch::Tensor avg = base + r;
  torch::Tensor sum = (base * (r + 1)).to(torch::kDouble);
  torch::Tensor mx = base * (r == 0 ? 1 : -1);
  auto h1 = comm_->AllreduceAsync(avg, ReduceOp::kAverage);
  auto h2 = comm_->AllreduceAsync(sum, ReduceOp::kSum);
  auto h3 = comm_->AllreduceAsync(mx, ReduceOp::kMax);
  ASSERT_TRUE(h1->Wait().ok());
  ASSERT_TRUE(h2->Wait().ok());
  ASSERT_TRUE(h3->Wait().ok());
  EXPECT_TRUE(torch::equal(avg, base + 0.5f));
  EXPECT_TRUE(torch::equal(sum, (base * 3).to(torch::kDouble)));
  EXPECT_TRUE(torch::equal(mx, base));
}

TEST_P(MpiCollectivesTest, BlockingAllreduceRunsAfterTheOnesInFlight) {
  torch::Tensor a = torch::full({300000}, static_cast<float>(comm_->rank()));
  torch::Tensor b = torch::full({300000}, static_cast<float>(2 * comm_->rank()));
  auto pending = comm_->AllreduceAsync(a, ReduceOp::kSum);
  ASSERT_TRUE(comm_->Allreduce(b, ReduceOp::kAverage).ok());
  ASSERT_TRUE(pending->Wait().ok());
  EXPECT_EQ(a[12345].item<float>(), 1.0f);
  EXPECT_EQ(b[299999].item<float>(), 1.0f);
}

TEST_P(MpiCollectivesTest, SumMaxAndIntegerTypes) {
  torch::Tensor s = torch::full({3}, comm_->rank() + 1, torch::kLong);
  ASSERT_TRUE(comm_->Allreduce(s, ReduceOp::kSum).ok());
  EXPECT_EQ(s[0].item<int64_t>(), 3);
  torch::Tensor m = torch::full({3}, static_cast<double>(comm_->rank()), torch::kDouble);
  ASSERT_TRUE(comm_->Allreduce(m, ReduceOp::kMax).ok());
  EXPECT_EQ(m[2].item<double>(), 1.0);
}

TEST_P(MpiCollectivesTest, BadTensorsAreStatusesNotCrashes) {
  torch::Tensor half = torch::zeros({4}, torch::kHalf);
  EXPECT_EQ(comm_->Allreduce(half, ReduceOp::kSum).code(), StatusCode::kInvalidArgument);
  torch::Tensor strided = torch::zeros({4, 4}).t();
  EXPECT_EQ(comm_->Allreduce(strided, ReduceOp::kSum).code(), StatusCode::kInvalidArgument);
}

TEST_P(MpiCollectivesTest, BroadcastAndControlPlane) {
  torch::Tensor a = torch::full({10}, static_cast<float>(comm_->rank() + 5));
  torch::Tensor b = torch::full({2, 3}, static_cast<double>(comm_->rank()));
  ASSERT_TRUE(comm_->Broadcast({a, b}, 0).ok());
  EXPECT_EQ(a[3].item<float>(), 5.0f);
  EXPECT_EQ(b[1][2].item<double>(), 0.0);

  StatusOr<std::vector<std::string>> all = comm_->AllgatherBytes(std::string(comm_->rank() + 1, 'x'));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{"x", "xx"}));

  std::string msg = comm_->rank() == 1 ? "from one" : "";
  ASSERT_TRUE(comm_->BroadcastBytes(&msg, 1).ok());
  EXPECT_EQ(msg, "from one");
  EXPECT_TRUE(comm_->Barrier().ok());
}

TEST_P(MpiCollectivesTest, AgreeOnStatusReturnsTheFailingRanksError) {
  EXPECT_TRUE(AgreeOnStatus(*comm_, Status::Ok()).ok());
  Status local = comm_->rank() == 1 ? ResourceExhaustedError("oom") : Status::Ok();
  Status agreed = AgreeOnStatus(*comm_, local);
  EXPECT_EQ(agreed.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(agreed.message(), "rank 1: oom");
}

TEST_P(MpiCollectivesTest, SplitIntoOneRankGangs) {
  MpiCollectivesOptions o = OptionsFor(GetParam());
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  o.color = world_rank;
  auto solo = MpiCollectives::Create(MPI_COMM_WORLD, o);
  ASSERT_TRUE(solo.ok());
  EXPECT_EQ((*solo)->size(), 1);
  EXPECT_EQ((*solo)->rank(), 0);
  torch::Tensor t = torch::full({4}, 3.0f);
  ASSERT_TRUE((*solo)->Allreduce(t, ReduceOp::kAverage).ok());
  EXPECT_EQ(t[0].item<float>(), 3.0f);
}

INSTANTIATE_TEST_SUITE_P(Engines, MpiCollectivesTest,
                         ::testing::Values(Engine::kThreadShm, Engine::kThreadMpi,
                                           Engine::kNonBlocking),
                         [](const auto& info) -> std::string {
                           switch (info.param) {
                             case Engine::kThreadShm: return "ThreadShm";
                             case Engine::kThreadMpi: return "ThreadMpi";
                             default: return "NonBlocking";
                           }
                         });

TEST(MpiCollectivesOptionsTest, Validate) {
  MpiCollectivesOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.color = -2;
  EXPECT_EQ(o.Validate().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hpsweep::worker

HPSWEEP_MPI_TEST_MAIN()
