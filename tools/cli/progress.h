// The one-line view of a running sweep, shared by `hpsweep watch` and
// `hpsweep run`, and the display that prints it: rewritten in place on a
// terminal, one line per change in a log.
#ifndef HPSWEEP_TOOLS_CLI_PROGRESS_H_
#define HPSWEEP_TOOLS_CLI_PROGRESS_H_

#include <cmath>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "proto/messages.h"

namespace hpsweep::cli {

// Elapsed time of a run, for its ETA.
struct ProgressTiming {
  // Seconds since the run started.
  double elapsed_seconds = 0;
  // Trials already finished when it started (a resumed sweep): they do not
  // count towards the rate.
  int64_t finished_at_start = 0;
  // When set, the ETA shown instead of the one computed from the rate
  // (ProgressDisplay's smoothed one). Default: unset.
  std::optional<double> eta_seconds;
};

// Seconds left at the rate of the trials finished in this run; NaN before
// the first one.
double RawEta(const proto::Sweep& sweep, const ProgressTiming& timing);

struct ProgressStyle {
  // Width of the "[###.....]" bar; 0: no bar. Default: 0.
  int bar_width = 0;
  // When set, the line ends with the elapsed time and an ETA; otherwise with
  // the sweep's state. Default: unset.
  std::optional<ProgressTiming> timing;
};

// Trials that reached an end state: completed, failed, pruned or cancelled.
int64_t FinishedTrials(const proto::Sweep& sweep);

// "[#####.....] 5/10 done, 2 running, 1 failed, 0 pruned | best loss 0.125 |
// last failure: trial 4: <its error, cut to 80 bytes> | running", or
// "... | 0:25 elapsed, ETA 0:30" with timing.
std::string ProgressLine(const proto::Sweep& sweep, const ProgressStyle& style);

// "1:05", "1:02:03"; "--:--" for a negative or non-finite number of seconds.
std::string FormatSeconds(double seconds);

// Prints progress lines to `out`: on a terminal (`tty`) the line is rewritten
// in place with a bar; otherwise a line is printed only when the counts, the
// best value, the latest failure or the state change, so logs stay short.
// The ETA is smoothed: between updates it counts down with the clock and
// moves only part of the way (30%) towards each new estimate, so a burst of
// trials finishing together does not make it jump. `watch` and `run` both
// show their lines through it.
// Thread safety: one thread at a time.
class ProgressDisplay {
 public:
  ProgressDisplay(std::ostream& out, bool tty, int bar_width);
  void Show(const proto::Sweep& sweep, std::optional<ProgressTiming> timing = std::nullopt);
  // Ends the line being rewritten on a terminal; nothing otherwise.
  void Finish();

 private:
  std::ostream& out_;
  const bool tty_;
  const int bar_width_;
  bool shown_ = false;
  // The ETA last shown and the elapsed time it was shown at (NaN: none yet).
  double eta_ = NAN;
  double eta_at_ = 0;
  // What the last printed line showed, without the bar and timing.
  std::string last_;
};

}  // namespace hpsweep::cli

#endif  // HPSWEEP_TOOLS_CLI_PROGRESS_H_
