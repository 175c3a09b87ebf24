// Which device a rank trains on: the rank's local rank (its index among the
// ranks on its host) picks one of the CUDA devices this process can see.
//
// CUDA_VISIBLE_DEVICES is honoured by construction: CUDA numbers only the
// visible devices, so `visible_devices` is their count and the index chosen
// is among them. When a launcher already gives each rank its own device
// (Slurm `--gpus-per-task=1`, or a wrapper that sets CUDA_VISIBLE_DEVICES per
// rank) every rank sees one device and uses index 0.
//
// Thread safety: functions only; LocalRankFromEnvironment reads the
// environment.
#ifndef HPSWEEP_WORKER_DEVICE_H_
#define HPSWEEP_WORKER_DEVICE_H_

#include <functional>
#include <optional>
#include <string>

#include "common/status.h"

namespace hpsweep::worker {

// The local rank as the launcher states it: OMPI_COMM_WORLD_LOCAL_RANK
// (mpirun, and srun --mpi=pmix with Open MPI), else MPI_LOCALRANKID (MPICH),
// else SLURM_LOCALID (srun). nullopt when none is set. A variable that is set
// but is not a non-negative integer is INVALID_ARGUMENT naming it.
// `getenv` is injectable for tests. Default: ::getenv.
StatusOr<std::optional<int>> LocalRankFromEnvironment(
    const std::function<const char*(const char*)>& getenv = nullptr);

// The CUDA device index for `local_rank` among `visible_devices` devices:
// local_rank % visible_devices. FAILED_PRECONDITION when no device is
// visible. When `local_ranks_on_host` (the number of ranks sharing the host,
// 0 if unknown) exceeds `visible_devices`, two ranks would share a device,
// which NCCL refuses: FAILED_PRECONDITION saying so (run fewer ranks per host
// or give each rank its own device), unless `allow_sharing`.
StatusOr<int> PickCudaDevice(int local_rank, int local_ranks_on_host, int visible_devices,
                             bool allow_sharing = false);

// "CUDA_VISIBLE_DEVICES=<value>" or "CUDA_VISIBLE_DEVICES unset", for logs.
std::string DescribeVisibleDevices();

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_DEVICE_H_
