// NcclCollectives: Collectives for CUDA tensors over NCCL (built only under
// --config=cuda).
//
// The NCCL communicator is bootstrapped over a control-plane Collectives (the
// leader's ncclUniqueId is broadcast with it): the gang's MpiCollectives in the
// worker, any host-side Collectives elsewhere (tools/gpu has no MPI). Allreduces run on a CUDA
// stream of this object's own, ordered after the work already queued on the
// device's current (legacy default) stream through an event, so a bucket may
// be started from the backward pass without a host sync; Wait() makes the
// current stream wait for the allreduce. Averages use ncclAvg. Control-plane
// calls (bytes, barrier) go over the control plane. On any NCCL error the communicator is
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

namespace hpsweep::worker {

// Converts NCCL / CUDA return codes into a Status naming `what`.
Status NcclStatus(ncclResult_t result, const char* what);
Status CudaStatus(cudaError_t error, const char* what);

class NcclCollectives final : public Collectives {
 public:
  // Collective over `control`'s gang; `control` carries the control plane
  // (host bytes, barrier) and must outlive this object. `device`: the CUDA
  // device index this rank uses (see worker/device.h).
  static StatusOr<std::unique_ptr<NcclCollectives>> Create(Collectives* control, int device);
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
  NcclCollectives(Collectives* mpi, int device, ncclComm_t comm, cudaStream_t stream);
  // Records the current stream's work so that our stream waits for it.
  Status OrderAfterCurrentStream();
  // Aborts the communicator after an error; returns `error`.
  Status Fail(Status error);

  Collectives* mpi_;  // the control plane
  int device_;
  ncclComm_t comm_;
  cudaStream_t stream_;
  cudaEvent_t ready_;  // recorded on the current stream before each collective
  bool aborted_ = false;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_NCCL_COLLECTIVES_H_
