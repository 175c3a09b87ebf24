#include "coordinator/lifecycle/checkpoint_retention.h"

#include <algorithm>

namespace hpsweep::coordinator {

std::vector<int64_t> CheckpointsToDelete(const std::vector<int64_t>& stored, int64_t keep,
                                         const std::set<int64_t>& protect) {
  std::vector<int64_t> steps = stored;
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  const size_t kept = static_cast<size_t>(std::max<int64_t>(keep, 1));
  std::vector<int64_t> out;
  if (steps.size() <= kept) return out;
  for (size_t i = 0; i + kept < steps.size(); ++i) {
    if (!protect.count(steps[i])) out.push_back(steps[i]);
  }
  return out;
}

StatusOr<int64_t> ApplyRetention(Store& store, uint64_t trial_id, int64_t keep,
                                 const std::set<int64_t>& protect) {
  HPS_ASSIGN_OR_RETURN(std::vector<CheckpointInfo> stored, store.ListCheckpoints(trial_id));
  std::vector<int64_t> steps;
  steps.reserve(stored.size());
  for (const CheckpointInfo& c : stored) steps.push_back(c.step);
  int64_t deleted = 0;
  for (int64_t step : CheckpointsToDelete(steps, keep, protect)) {
    HPS_RETURN_IF_ERROR(store.DeleteCheckpoint(trial_id, step));
    ++deleted;
  }
  return deleted;
}

}  // namespace hpsweep::coordinator
