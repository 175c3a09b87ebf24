#include "tools/cli/lineage.h"

namespace hpsweep::cli {

std::string LineageLine(const proto::Trial& trial) {
  const proto::TrialParent& p = *trial.parent;
  std::string line = "pbt child of trial " + std::to_string(p.trial_id) + " from step " +
                     std::to_string(p.start_step) + " (checkpoint " +
                     std::to_string(p.checkpoint_step) + ")";
  if (p.replaced_trial_id != 0) line += ", replacing trial " + std::to_string(p.replaced_trial_id);
  return line + ": " + p.explore;
}

bool AnyLineage(const std::vector<proto::Trial>& trials) {
  for (const proto::Trial& t : trials) {
    if (t.parent) return true;
  }
  return false;
}

std::vector<std::string> LineageCsvFields(const proto::Trial& trial) {
  if (!trial.parent) return {"", "", "", "", ""};
  const proto::TrialParent& p = *trial.parent;
  return {std::to_string(p.trial_id), std::to_string(p.start_step),
          std::to_string(p.checkpoint_step), std::to_string(p.replaced_trial_id), p.explore};
}

}  // namespace hpsweep::cli
