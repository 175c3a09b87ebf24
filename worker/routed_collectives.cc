#include "worker/routed_collectives.h"

#include <utility>

namespace hpsweep::worker {

Status RoutedCollectives::Broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  std::vector<torch::Tensor> cuda, cpu;
  for (const torch::Tensor& t : tensors) (t.is_cuda() ? cuda : cpu).push_back(t);
  // Every rank splits the same list the same way, so both calls line up.
  if (!cuda.empty()) HPS_RETURN_IF_ERROR(device_->Broadcast(cuda, root));
  if (!cpu.empty()) HPS_RETURN_IF_ERROR(host_->Broadcast(cpu, root));
  return Status::Ok();
}

std::unique_ptr<PendingCollective> RoutedCollectives::AllreduceAsync(torch::Tensor tensor,
                                                                     ReduceOp op) {
  Collectives* to = For(tensor);
  return to->AllreduceAsync(std::move(tensor), op);
}

Status RoutedCollectives::Allreduce(torch::Tensor tensor, ReduceOp op) {
  Collectives* to = For(tensor);
  return to->Allreduce(std::move(tensor), op);
}

Status RoutedCollectives::Barrier() {
  HPS_RETURN_IF_ERROR(device_->Barrier());
  return host_->Barrier();
}

}  // namespace hpsweep::worker
