// What the CLI prints about results: best trials, failures grouped by
// reason, metric curves — pure functions of the records, shared by `run`,
// `watch`, `best`, `status`, `metrics` and `export`.
#ifndef HPSWEEP_TOOLS_CLI_REPORT_H_
#define HPSWEEP_TOOLS_CLI_REPORT_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "proto/messages.h"

namespace hpsweep::cli {

// The top `n` completed trials, best first under the sweep's goal.
std::vector<proto::Trial> BestTrials(std::vector<proto::Trial> trials,
                                     const proto::SweepSpec& spec, size_t n);

// A failure's error with the numbers in it replaced by "#", so that "loss is
// NaN at step 3" and "... at step 7" fall into one group.
std::string FailureKey(const std::string& error);

// Failed trials grouped by FailureKey, largest group first:
//   failures by reason (3 failed):
//     2 x  cannot open data/train.npy: No such file or directory  (e.g. trial 4)
//     1 x  loss is NaN at step 3 (epoch 0)  (e.g. trial 9)
// Empty when no trial failed. Each example is cut to `width` bytes.
std::string FailureSummary(const std::vector<proto::Trial>& trials, size_t width = 200);

// One line, cut to `width` bytes (UTF-8 safe): newlines and tabs become
// spaces, other control characters and ill-formed bytes \xHH (\u00HH for
// C1), so that no escape sequence in a stored error reaches the terminal.
std::string OneLine(const std::string& text, size_t width);

// A trial's curve, one row per step and one column per value name:
//   STEP  epoch  train_loss  val_loss
std::string MetricsTable(const std::vector<proto::MetricPoint>& points);

// Every metric point of `curves` (trial id -> points) in long form, one row
// per (trial, step, metric): trial_id,step,metric,value,time_us.
std::string MetricsCsvLong(const std::map<uint64_t, std::vector<proto::MetricPoint>>& curves);

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_REPORT_H_
