// What the two-rank trainer tests (trainer_mpi_test.cc,
// trainer_groups_mpi_test.cc) share: a fixture with the world's collectives
// and each rank's solo ones, and helpers that compare parameters across
// ranks over MPI_COMM_WORLD, outside the trainer.
#ifndef HPSWEEP_WORKER_TRAINER_MPI_TESTING_H_
#define HPSWEEP_WORKER_TRAINER_MPI_TESTING_H_

#include <mpi.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "models/workload.h"
#include "worker/mpi_collectives.h"

namespace hpsweep::worker::testing {

inline int WorldRank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Every parameter of `w`, flattened into one tensor (a copy).
inline torch::Tensor Flat(models::Workload& w) {
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor& p : w.Parameters()) parts.push_back(p.detach().reshape(-1).clone());
  return torch::cat(parts);
}

// Rank 0's float tensor, on every rank.
inline torch::Tensor FromRank0(torch::Tensor t) {
  t = t.contiguous().clone();
  MPI_Bcast(t.data_ptr(), static_cast<int>(t.numel()), MPI_FLOAT, 0, MPI_COMM_WORLD);
  return t;
}

// Rank 0's bytes, on every rank.
inline std::string BytesFromRank0(std::string s) {
  int n = static_cast<int>(s.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
  s.resize(static_cast<size_t>(n));
  MPI_Bcast(s.data(), n, MPI_BYTE, 0, MPI_COMM_WORLD);
  return s;
}

// world_: both ranks as one gang; solo_: each rank a gang of its own (the
// one-rank reference), both over MPI_COMM_WORLD. One intra-op thread.
class TwoRankTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    MpiCollectivesOptions o;
    auto world = MpiCollectives::Create(MPI_COMM_WORLD, o);
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(world).value();
    o.color = WorldRank();
    auto solo = MpiCollectives::Create(MPI_COMM_WORLD, o);
    ASSERT_TRUE(solo.ok()) << solo.status();
    solo_ = std::move(solo).value();
  }

  std::unique_ptr<MpiCollectives> world_;
  std::unique_ptr<MpiCollectives> solo_;
};

}  // namespace hpsweep::worker::testing

#endif  // HPSWEEP_WORKER_TRAINER_MPI_TESTING_H_
