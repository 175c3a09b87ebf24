// main() for GoogleTest binaries that run as MPI ranks (see mpi_test.bzl).
//
// Initialises MPI with thread support, runs the tests on every rank, and makes
// the exit status agree across ranks: the job fails if any rank failed. Only
// rank 0 prints GoogleTest's progress unless HPSWEEP_TEST_ALL_RANKS is set.
#ifndef HPSWEEP_TESTS_MPI_TEST_MAIN_H_
#define HPSWEEP_TESTS_MPI_TEST_MAIN_H_

#include <mpi.h>

#include <cstdlib>

#include "gtest/gtest.h"

#define HPSWEEP_MPI_TEST_MAIN()                                                         \
  int main(int argc, char** argv) {                                                     \
    int provided = 0;                                                                   \
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);                      \
    ::testing::InitGoogleTest(&argc, argv);                                             \
    int rank = 0;                                                                       \
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);                                               \
    if (rank != 0 && std::getenv("HPSWEEP_TEST_ALL_RANKS") == nullptr) {                \
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();                \
      delete listeners.Release(listeners.default_result_printer());                     \
    }                                                                                   \
    int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;                                          \
    int any_failed = 0;                                                                 \
    MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);           \
    if (failed) fprintf(stderr, "rank %d: tests FAILED\n", rank);                       \
    MPI_Finalize();                                                                     \
    return any_failed;                                                                  \
  }

#endif  // HPSWEEP_TESTS_MPI_TEST_MAIN_H_
