// SoloCollectives: the Collectives of a gang of one rank, where every
// collective is the identity. The host control plane of single-process GPU
// runs (tools/gpu, which has no MPI) and of one-rank tests.
//
// Thread safety: stateless; any thread.
#ifndef HPSWEEP_WORKER_SOLO_COLLECTIVES_H_
#define HPSWEEP_WORKER_SOLO_COLLECTIVES_H_

#include <memory>
#include <string>
#include <vector>

#include "worker/collectives.h"

namespace hpsweep::worker {

class SoloCollectives final : public Collectives {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Status Broadcast(const std::vector<torch::Tensor>&, int) override { return Status::Ok(); }
  std::unique_ptr<PendingCollective> AllreduceAsync(torch::Tensor, ReduceOp) override {
    return std::make_unique<Done>();
  }
  StatusOr<std::vector<std::string>> AllgatherBytes(const std::string& bytes) override {
    return std::vector<std::string>{bytes};
  }
  Status BroadcastBytes(std::string*, int) override { return Status::Ok(); }
  Status Barrier() override { return Status::Ok(); }

 private:
  struct Done final : PendingCollective {
    Status Wait() override { return Status::Ok(); }
  };
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_SOLO_COLLECTIVES_H_
