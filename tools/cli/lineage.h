// How the CLI shows a population-based-training trial's lineage
// (proto::TrialParent; coordinator/lifecycle/pbt.h) in `hpsweep trials` and exports.
//
// Thread safety: pure functions.
#ifndef HPSWEEP_TOOLS_CLI_LINEAGE_H_
#define HPSWEEP_TOOLS_CLI_LINEAGE_H_

#include <string>
#include <vector>

#include "proto/messages.h"

namespace hpsweep::cli {

// "pbt child of trial 3 from step 4 (checkpoint 120), replacing trial 6:
// lr 0.01 -> 0.012 (x1.2)". REQUIRES: trial.parent.
std::string LineageLine(const proto::Trial& trial);

// Whether any trial has a lineage: exports add the lineage columns only then.
bool AnyLineage(const std::vector<proto::Trial>& trials);

// The CSV export's lineage columns, and one trial's values for them
// (unquoted; empty strings for a trial without a lineage).
inline constexpr char kLineageCsvHeader[] =
    "parent_trial_id,parent_start_step,parent_checkpoint_step,replaced_trial_id,explore";
std::vector<std::string> LineageCsvFields(const proto::Trial& trial);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_LINEAGE_H_
