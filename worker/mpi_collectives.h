// MpiCollectives: Collectives over an MPI communicator, for CPU tensors.
//
// The communicator is split from a parent (MPI_COMM_WORLD for a worker job)
// with MPI_Comm_split, so one job can hold several gangs; MPI errors on it are
// returned (MPI_ERRORS_RETURN) and turned into a Status here, in this one
// adapter.
//
// Asynchronous allreduces run in start order on one of two progress engines
// (Options::progress): a dedicated communication thread (default; needs
// MPI_THREAD_MULTIPLE or MPI_THREAD_SERIALIZED from MPI_Init_thread, else
// Create falls back to kNonBlocking) that reduces through shared memory when
// the gang is on one node, else with a ring of MPI_Sendrecv for large buffers
// and MPI_Allreduce for small ones; or MPI_Iallreduce, progressed whenever
// this object makes an MPI call (Open MPI progresses non-blocking collectives
// only inside MPI calls). train_bench --progress compares them.
//
// REQUIRES: MPI initialised before Create and finalised after destruction.
// Thread safety: see Collectives. The communication thread is internal.
#ifndef HPSWEEP_WORKER_MPI_COLLECTIVES_H_
#define HPSWEEP_WORKER_MPI_COLLECTIVES_H_

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "worker/collectives.h"

namespace hpsweep::worker {

struct MpiCollectivesOptions {
  enum class Progress {
    // A communication thread runs blocking MPI_Allreduce in start order.
    kThread,
    // MPI_Iallreduce; progressed by later calls on this object and by Wait().
    kNonBlocking,
  };
  // Default: kThread (measured faster for bucketed gradients; see bench).
  Progress progress = Progress::kThread;
  // Ranks passing the same color form one gang; key orders ranks within it.
  // Default: 0 (all ranks of the parent in one gang).
  int color = 0;
  // Default: -1 (use the parent rank as key).
  int key = -1;
  // kThread only: when every rank of the gang is on one node, float/double
  // allreduces go through a shared-memory segment with blocking waits
  // (worker/shm_allreduce.h) instead of MPI. Default: true.
  bool shared_memory = true;
  // Shared-memory chunk per rank; the segment holds (size + 1) chunks.
  // Default: 8 MiB.
  int64_t shm_chunk_bytes = int64_t{8} << 20;

  Status Validate() const;
};

// Converts an MPI return code into a Status naming `what`.
Status MpiStatus(int mpi_code, const char* what);

class MpiCollectives final : public Collectives {
 public:
  // Splits `parent` by options.color and takes ownership of the new
  // communicator (freed on destruction). Collective over `parent`.
  static StatusOr<std::unique_ptr<MpiCollectives>> Create(MPI_Comm parent,
                                                          const MpiCollectivesOptions& options);
  ~MpiCollectives() override;
  MpiCollectives(const MpiCollectives&) = delete;
  MpiCollectives& operator=(const MpiCollectives&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status Broadcast(const std::vector<torch::Tensor>& tensors, int root) override;
  std::unique_ptr<PendingCollective> AllreduceAsync(torch::Tensor tensor, ReduceOp op) override;
  // Waits for the allreduces in flight, then runs on the calling thread.
  Status Allreduce(torch::Tensor tensor, ReduceOp op) override;
  StatusOr<std::vector<std::string>> AllgatherBytes(const std::string& bytes) override;
  Status BroadcastBytes(std::string* bytes, int root) override;
  Status Barrier() override;
  void Poll() override;

  // The gang's communicator (owned by this object), e.g. for NCCL bootstrap.
  MPI_Comm comm() const { return comm_; }

  class Engine;  // progress engine, defined in the .cc

 private:
  MpiCollectives(MPI_Comm comm, int rank, int size, std::unique_ptr<Engine> engine);
  // Completes every allreduce in flight (collectives must not interleave).
  Status Drain();

  MPI_Comm comm_;
  int rank_;
  int size_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_MPI_COLLECTIVES_H_
