// Two-rank MPI smoke test: point-to-point, broadcast and allreduce between
// real processes started by mpirun (see mpi_test.bzl).
#include <mpi.h>

#include <numeric>
#include <vector>

#include "gtest/gtest.h"
#include "tests/mpi_test_main.h"

namespace hpsweep {
namespace {

TEST(MpiSmokeTest, WorldHasTwoRanks) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(size, 2);
}

TEST(MpiSmokeTest, AllreduceSumsAcrossRanks) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<float> values(1 << 16, static_cast<float>(rank + 1));
  ASSERT_EQ(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_FLOAT,
                          MPI_SUM, MPI_COMM_WORLD),
            MPI_SUCCESS);
  const float expected = static_cast<float>(size * (size + 1) / 2);
  for (float v : values) ASSERT_EQ(v, expected);
}

TEST(MpiSmokeTest, BroadcastFromRootReachesEveryRank) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::vector<int> data(100, rank == 0 ? 0 : -1);
  if (rank == 0) std::iota(data.begin(), data.end(), 0);
  ASSERT_EQ(MPI_Bcast(data.data(), 100, MPI_INT, 0, MPI_COMM_WORLD), MPI_SUCCESS);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(data[i], i);
}

TEST(MpiSmokeTest, NonBlockingRingExchange) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int next = (rank + 1) % size, prev = (rank + size - 1) % size;
  int send = rank * 10, recv = -1;
  MPI_Request reqs[2];
  MPI_Irecv(&recv, 1, MPI_INT, prev, 0, MPI_COMM_WORLD, &reqs[0]);
  MPI_Isend(&send, 1, MPI_INT, next, 0, MPI_COMM_WORLD, &reqs[1]);
  ASSERT_EQ(MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE), MPI_SUCCESS);
  EXPECT_EQ(recv, prev * 10);
}

}  // namespace
}  // namespace hpsweep

HPSWEEP_MPI_TEST_MAIN()
