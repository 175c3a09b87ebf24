// Checkpoint retention: which stored checkpoints of a trial to free.
//
// Policy (documented in proto/sweep_schema.md, `keep_checkpoints`): each
// trial keeps its latest `keep` checkpoints (keep >= 1), so a requeued trial
// always resumes from its newest one and every completed trial keeps its
// final model — the best trial's final included; older checkpoints are
// deleted as new ones arrive. A step named in `protect` is never deleted
// (e.g. a checkpoint another trial is being started from).
//
// Thread safety: pure functions; ApplyRetention blocks on the store and runs
// off the network strand, like every store call.
#ifndef HPSWEEP_COORDINATOR_LIFECYCLE_CHECKPOINT_RETENTION_H_
#define HPSWEEP_COORDINATOR_LIFECYCLE_CHECKPOINT_RETENTION_H_

#include <cstdint>
#include <set>
#include <vector>

#include "common/status.h"
#include "coordinator/store/store.h"

namespace hpsweep::coordinator {

// The steps of `stored` (any order) to delete under the policy above, in
// ascending order. keep < 1 is treated as 1.
std::vector<int64_t> CheckpointsToDelete(const std::vector<int64_t>& stored, int64_t keep,
                                         const std::set<int64_t>& protect = {});

// Lists the trial's checkpoints in `store` and deletes those the policy
// frees. Returns how many were deleted, or the first store error.
StatusOr<int64_t> ApplyRetention(Store& store, uint64_t trial_id, int64_t keep,
                                 const std::set<int64_t>& protect = {});

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_LIFECYCLE_CHECKPOINT_RETENTION_H_
