// RoutedCollectives: one Collectives over two transports, chosen per tensor by
// its device: CUDA tensors go to the device transport (NcclCollectives), CPU
// tensors and the control plane (bytes, barrier) to the host transport
// (MpiCollectives). This is what a GPU gang trains with: the reducer's
// gradient buckets live on the GPU and go over NCCL, while the trainer's
// small host-side sums and status agreements go over MPI.
//
// Ordering: collectives on one transport complete in the order they were
// started; a CPU and a CUDA collective started back to back may complete in
// either order (every rank starts the same sequence, so no rank waits on a
// peer that is blocked in the other transport).
//
// Thread safety: as Collectives. Both transports must span the same gang
// (same rank and size) and outlive this object.
#ifndef HPSWEEP_WORKER_ROUTED_COLLECTIVES_H_
#define HPSWEEP_WORKER_ROUTED_COLLECTIVES_H_

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "worker/collectives.h"

namespace hpsweep::worker {

class RoutedCollectives final : public Collectives {
 public:
  // REQUIRES: host->rank() == device->rank(), host->size() == device->size().
  RoutedCollectives(Collectives* host, Collectives* device) : host_(host), device_(device) {}

  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  // All tensors must be on one kind of device (all CUDA or all CPU).
  Status Broadcast(const std::vector<torch::Tensor>& tensors, int root) override;
  std::unique_ptr<PendingCollective> AllreduceAsync(torch::Tensor tensor, ReduceOp op) override;
  Status Allreduce(torch::Tensor tensor, ReduceOp op) override;
  StatusOr<std::vector<std::string>> AllgatherBytes(const std::string& bytes) override {
    return host_->AllgatherBytes(bytes);
  }
  Status BroadcastBytes(std::string* bytes, int root) override {
    return host_->BroadcastBytes(bytes, root);
  }
  // Waits for the device transport's work, then the host barrier.
  Status Barrier() override;
  void Poll() override {
    host_->Poll();
    device_->Poll();
  }

 private:
  Collectives* For(const torch::Tensor& t) const { return t.is_cuda() ? device_ : host_; }

  Collectives* host_;
  Collectives* device_;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_ROUTED_COLLECTIVES_H_
