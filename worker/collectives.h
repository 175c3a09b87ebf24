// Collectives: the one interface through which a gang of ranks communicates
// while training (after Horovod's collective_operations.h). Implementations:
// MpiCollectives (CPU tensors, worker/mpi_collectives.h) and NcclCollectives
// (CUDA tensors, worker/nccl_collectives.h, only under --config=cuda).
//
// Every collective must be called by every rank of the gang, in the same
// order, with tensors of the same size and dtype; otherwise the gang hangs or
// fails. Errors from the transport come back as a Status, never as an
// exception or an abort.
//
// Thread safety: a Collectives object is driven by one thread (the training
// thread). Handles returned by AllreduceAsync may be waited on from that same
// thread only. Implementations may run collectives on a thread of their own.
#ifndef HPSWEEP_WORKER_COLLECTIVES_H_
#define HPSWEEP_WORKER_COLLECTIVES_H_

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace hpsweep::worker {

enum class ReduceOp {
  kSum,
  // Sum divided by the gang size.
  kAverage,
  kMax,
};

// A collective in flight. Wait() blocks until it completes; afterwards the
// tensor passed to the collective holds the result. Destroying an unwaited
// handle waits for it first (the tensor must outlive the handle).
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  // REQUIRES: called at most once.
  [[nodiscard]] virtual Status Wait() = 0;
};

class Collectives {
 public:
  virtual ~Collectives() = default;

  // This process's rank within the gang, in [0, size()).
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Overwrites every tensor on every rank with the root's values.
  // REQUIRES: tensors contiguous, on this implementation's device, same
  // shapes/dtypes on every rank.
  [[nodiscard]] virtual Status Broadcast(const std::vector<torch::Tensor>& tensors, int root) = 0;

  // Starts an in-place allreduce of one contiguous tensor and returns at once.
  // Collectives started through one object complete in the order they were
  // started. `tensor` must not be touched until the handle's Wait() returns.
  // A failure to start is reported by the handle's Wait().
  virtual std::unique_ptr<PendingCollective> AllreduceAsync(torch::Tensor tensor,
                                                            ReduceOp op) = 0;

  // Blocking form of AllreduceAsync (ordered after the ones in flight). An
  // implementation may run it on the calling thread to save a hand-off.
  [[nodiscard]] virtual Status Allreduce(torch::Tensor tensor, ReduceOp op) {
    return AllreduceAsync(std::move(tensor), op)->Wait();
  }

  // Control plane (small host-side messages, any size per rank): every rank
  // receives every rank's bytes, indexed by rank.
  virtual StatusOr<std::vector<std::string>> AllgatherBytes(const std::string& bytes) = 0;
  // Control plane: every rank's *bytes becomes the root's.
  [[nodiscard]] virtual Status BroadcastBytes(std::string* bytes, int root) = 0;

  [[nodiscard]] virtual Status Barrier() = 0;

  // Lets an engine that progresses only inside library calls advance the
  // collectives in flight. Cheap; the reducer calls it from every gradient
  // hook. Default: nothing.
  virtual void Poll() {}
};

// Makes every rank return the same Status: OK when `local` is OK on every
// rank, otherwise the error of the lowest failing rank, its message prefixed
// with "rank R: ". A transport failure is returned as is.
// Thread safety: as Collectives.
[[nodiscard]] Status AgreeOnStatus(Collectives& comm, const Status& local);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_COLLECTIVES_H_
