// The device of one MPI rank of hpsweep-worker: "cpu", or the CUDA device its
// local rank picks (worker/device.h), found over MPI.
//
// Local ranks come from an MPI shared-memory split of the job
// (MPI_COMM_TYPE_SHARED: the ranks on this host), further split by the value
// of CUDA_VISIBLE_DEVICES, so that ranks which see the same devices share
// them out by local rank, and a rank that a launcher gave devices of its own
// (a distinct CUDA_VISIBLE_DEVICES per rank, as Slurm's --gpus-per-task does)
// takes its first one. OMPI_COMM_WORLD_LOCAL_RANK, when set, must agree with
// the split (a mismatch is logged, and the split wins).
//
// Thread safety: collective over `world`; call from one thread per rank.
#ifndef HPSWEEP_WORKER_RANK_DEVICE_H_
#define HPSWEEP_WORKER_RANK_DEVICE_H_

#include <mpi.h>
#include <torch/torch.h>

#include <string>

#include "common/status.h"

namespace hpsweep::worker {

struct RankDevice {
  torch::Device device = torch::kCPU;
  int local_rank = 0;    // among the ranks on this host that see the same devices
  int local_ranks = 1;   // how many such ranks
  std::string describe;  // for the log: "cuda:1 (local rank 1 of 2, CUDA_VISIBLE_DEVICES=...)"
};

// `requested`: "cpu", "cuda", or "" (cuda when LibTorch sees a device, else
// cpu). INVALID_ARGUMENT for another value; FAILED_PRECONDITION for "cuda"
// without a device, or more ranks than devices on a host (NCCL refuses two
// ranks on one device). Collective: every rank of `world` calls it; when any
// rank fails, the others get FAILED_PRECONDITION too.
StatusOr<RankDevice> ChooseRankDevice(MPI_Comm world, const std::string& requested);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_RANK_DEVICE_H_
