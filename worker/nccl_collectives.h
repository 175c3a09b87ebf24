// NcclCollectives: Collectives for CUDA tensors over NCCL (built only under
// --config=cuda).
//
// The NCCL communicator is bootstrapped over the gang's MPI communicator (the
// leader's ncclUniqueId is broadcast with MPI). Allreduces run on a CUDA
// stream of this object's own, ordered after the work already queued on the
// device's current (legacy default) stream through an event, so a bucket may
// be started from the backward pass without a host sync; Wait() makes the
// current stream wait for the allreduce. Averages use ncclAvg. Control-plane
// calls (bytes, barrier) go over MPI. On any NCCL error the communicator is
// aborted (ncclCommAbort) and every later call fails with UNAVAILABLE: the
// gang must be rebuilt.
//
// Thread safety: see Collectives. Uses the CUDA device current at Create.
#ifndef HPSWEEP_WORKER_NCCL_COLLECTIVES_H_
#define HPSWEEP_WORKER_NCCL_COLLECTIVES_H_

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "worker/collectives.h"
#include "worker/mpi_collectives.h"

namespace hpsweep::worker {

// Converts NCCL / CUDA return codes into a Status naming `what`.
Status NcclStatus(ncclResult_t result, const char* what);
Status CudaStatus(cudaError_t error, const char* what);

class NcclCollectives final : public Collectives {
 public:
  // Collective over `mpi`'s gang; `mpi` carries the control plane and must
  // outlive this object. `device`: the CUDA device index this rank uses.
  static StatusOr<std::unique_ptr<NcclCollectives>> Create(MpiCollectives* mpi, int device);
  ~NcclCollectives() override;
  NcclCollectives(const NcclCollectives&) = delete;
  NcclCollectives& operator=(const NcclCollectives&) = delete;

  int rank() const override { return mpi_->rank(); }
  int size() const override { return mpi_->size(); }
  Status Broadcast(const std::vector<torch::Tensor>& tensors, int root) override;
  std::unique_ptr<PendingCollective> AllreduceAsync(torch::Tensor tensor, ReduceOp op) override;
  StatusOr<std::vector<std::string>> AllgatherBytes(const std::string& bytes) override;
  Status BroadcastBytes(std::string* bytes, int root) override;
  Status Barrier() override;

 private:
  NcclCollectives(MpiCollectives* mpi, int device, ncclComm_t comm, cudaStream_t stream);
  // Records the current stream's work so that our stream waits for it.
  Status OrderAfterCurrentStream();
  // Aborts the communicator after an error; returns `error`.
  Status Fail(Status error);

  MpiCollectives* mpi_;
  int device_;
  ncclComm_t comm_;
  cudaStream_t stream_;
  cudaEvent_t ready_;  // recorded on the current stream before each collective
  bool aborted_ = false;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_NCCL_COLLECTIVES_H_
