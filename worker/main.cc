// hpsweep-worker: an MPI job whose ranks train trials data-parallel.
// (Foundation stage: proves the binary links LibTorch and MPI and starts.)
#include <mpi.h>
#include <torch/torch.h>

#include "common/logging.h"

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  torch::Tensor probe = torch::ones({4}) * (rank + 1);
  float local = probe.sum().item<float>(), total = 0;
  MPI_Allreduce(&local, &total, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  HPS_LOG(INFO) << "hpsweep-worker rank " << rank << "/" << size << " up; allreduce probe "
                << total;
  MPI_Finalize();
  return 0;
}
