// Reducer: data-parallel gradient synchronisation for one trial, designed
// like PyTorch DDP's Reducer.
//
// Create() checks that every rank of the gang has the same parameters and
// buffers (count, shapes, dtypes; a mismatch is INVALID_ARGUMENT on every rank,
// naming the first difference), broadcasts them from the gang leader (rank 0),
// and groups parameters into buckets in reverse registration order (roughly
// the order backward produces their gradients): a small first bucket so
// communication starts early, then large ones (ReducerOptions).
//
// Each bucket owns one flat fusion tensor; after a step every parameter's
// grad() is a view into it. A post-hook on each parameter's gradient
// accumulator copies the fresh gradient into the fusion tensor; when a
// bucket's last gradient is in, its allreduce (average) starts at once, so
// communication overlaps the rest of backward. Buckets start strictly in index
// order on every rank (a bucket ready early waits for its predecessors), so
// collectives match across ranks. The final bucket carries one extra element,
// the number of ranks that failed this step; it is started by FinishBackward,
// so every rank learns whether any rank failed without an extra collective.
//
// Per step:
//   reducer.PrepareForBackward();          // instead of optimizer.zero_grad()
//   loss.backward();                        // hooks start buckets
//   failed_ranks = reducer.FinishBackward(local_failed);
//   if (failed_ranks == 0) optimizer.step();
//
// Parameters unused in a step's graph get zero gradients. With a gang of one,
// hooks do nothing and gradients stay where autograd put them.
//
// Thread safety: not thread-safe. Hooks run on the thread that executes
// backward for the parameters' device (the calling thread on CPU), while the
// training thread is blocked in backward().
#ifndef HPSWEEP_WORKER_REDUCER_H_
#define HPSWEEP_WORKER_REDUCER_H_

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "worker/collectives.h"

namespace hpsweep::worker {

struct ReducerOptions {
  // Size at which the first bucket (the last parameters registered) closes,
  // in bytes. Small, so the first allreduce starts early in backward.
  // Default: 1 MiB.
  int64_t first_bucket_bytes = int64_t{1} << 20;
  // Size at which every later bucket closes, in bytes. Default: 25 MiB.
  int64_t bucket_bytes = int64_t{25} << 20;

  Status Validate() const;
};

// Groups parameters into buckets: walks them in reverse registration order,
// one open bucket per dtype/device, closing a bucket once it holds at least
// the current limit (first_bucket_bytes for the first bucket closed, then
// bucket_bytes). Buckets are ordered by their first parameter in that walk.
// Returns parameter indices per bucket, each in walk order.
std::vector<std::vector<size_t>> AssignBuckets(const std::vector<torch::Tensor>& params,
                                               const ReducerOptions& options);

struct ReducerStats {
  // Buckets whose allreduce started from a hook during backward, and at
  // FinishBackward, since Create.
  int64_t buckets_started_in_backward = 0;
  int64_t buckets_started_at_finish = 0;
  // Steps finished, and the wall time spent inside FinishBackward (the
  // communication not hidden behind backward), in microseconds.
  int64_t steps = 0;
  int64_t finish_micros = 0;
};

class Reducer {
 public:
  // REQUIRES: `comm` outlives the Reducer; `params` require grad and live on
  // the device `comm` works on. Collective over the gang.
  static StatusOr<std::unique_ptr<Reducer>> Create(Collectives* comm,
                                                   std::vector<torch::Tensor> params,
                                                   const std::vector<torch::Tensor>& buffers,
                                                   const ReducerOptions& options);
  // Removes the hooks.
  ~Reducer();
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;

  // Clears gradients (set to none) and the per-step bucket state.
  void PrepareForBackward();
  // Starts every bucket not yet started (unused parameters count as zero),
  // waits for all, and leaves each parameter's grad() holding the gang's mean
  // gradient. `local_failed`: this rank's step failed (its gradients are not
  // to be used); may be called without a backward in that case. Returns how
  // many ranks failed this step (0: safe to step the optimizer) or the
  // transport's error. Collective over the gang.
  StatusOr<int> FinishBackward(bool local_failed);

  const std::vector<std::vector<size_t>>& buckets() const { return bucket_params_; }
  const ReducerStats& stats() const { return stats_; }

  // Called by the gradient hooks (public for the hook class only).
  void OnGradReady(size_t param_index);

 private:
  struct Bucket {
    torch::Tensor flat;  // fusion buffer (+1 flag element on the last bucket)
    int pending = 0;     // gradients still to arrive this step
    bool started = false;
    std::unique_ptr<PendingCollective> handle;
  };
  Reducer(Collectives* comm, std::vector<torch::Tensor> params);
  void BuildBuckets(const ReducerOptions& options);
  void RegisterHooks();
  void StartReadyBuckets();
  void StartBucket(size_t b);

  Collectives* comm_;
  std::vector<torch::Tensor> params_;
  std::vector<std::vector<size_t>> bucket_params_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;      // per parameter
  std::vector<torch::Tensor> views_;   // per parameter: its slice of the fusion buffer
  std::vector<bool> ready_;            // per parameter, this step
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  std::vector<uintptr_t> hook_keys_;
  size_t next_bucket_ = 0;             // next bucket to start
  bool in_step_ = false;
  ReducerStats stats_;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_REDUCER_H_
