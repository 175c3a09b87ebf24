// ShmAllreduce: allreduce of float/double buffers among the ranks of a gang
// that share one node, through a shared-memory segment (MPI-3
// MPI_Win_allocate_shared), with waits that block in the kernel (futex) after
// a short spin instead of polling.
//
// Why: Open MPI's shared-memory transport polls while it waits. When ranks
// share cores with each other or with other processes (a 2-core node running
// 2 ranks plus anything else), a polling rank takes CPU time from the rank it
// is waiting for. Gloo (PyTorch DDP) blocks in the kernel instead.
//
// Algorithm per chunk of at most chunk_bytes. Up to kOneShotMaxRanks ranks:
// every rank copies its chunk into its slot; one barrier; every rank reduces
// all slots (in rank order, so results are bit-identical across ranks) into
// its own buffer. Two slot sets alternate between calls so that one barrier
// per chunk suffices: under load every barrier is a chance to be descheduled.
// More ranks: copy in; barrier; rank r reduces slice r of all slots into a
// result area; barrier; everyone copies the result back (work split P ways).
//
// Failure: a peer that dies mid-collective leaves the others waiting (as with
// MPI itself); the job scheduler reaps the gang.
//
// Thread safety: one collective at a time per object, from any one thread at
// a time. Collective calls must be made by every rank in the same order.
#ifndef HPSWEEP_WORKER_SHM_ALLREDUCE_H_
#define HPSWEEP_WORKER_SHM_ALLREDUCE_H_

#include <mpi.h>
#include <torch/torch.h>

#include <cstdint>
#include <memory>

#include "common/status.h"

namespace hpsweep::worker {

class ShmAllreduce {
 public:
  // Collective over `comm`. UNIMPLEMENTED when the ranks of `comm` do not all
  // share one node (the caller then uses MPI), or the MPI library cannot
  // allocate shared windows. `comm` must outlive the object.
  static StatusOr<std::unique_ptr<ShmAllreduce>> Create(MPI_Comm comm, int64_t chunk_bytes);
  ~ShmAllreduce();
  ShmAllreduce(const ShmAllreduce&) = delete;
  ShmAllreduce& operator=(const ShmAllreduce&) = delete;

  // In-place sum (scaled by `scale` when != 1) or max (`max` true) over the
  // gang. REQUIRES: contiguous CPU float or double tensor, same numel and
  // dtype on every rank.
  Status Run(torch::Tensor& tensor, bool max, double scale);

  struct Header;  // in the shared segment
  static constexpr int kOneShotMaxRanks = 4;

 private:
  ShmAllreduce(MPI_Win win, Header* header, char* slots, int rank, int size, int64_t chunk_bytes);
  void Barrier();
  template <typename T>
  void Chunk(T* data, int64_t n, bool max, T scale);

  MPI_Win win_;
  Header* header_;
  char* slots_;  // 2 sets of size_ slots of chunk_bytes_, then the result area
  int parity_ = 0;  // slot set of the next one-shot chunk
  int rank_;
  int size_;
  int64_t chunk_bytes_;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_SHM_ALLREDUCE_H_
