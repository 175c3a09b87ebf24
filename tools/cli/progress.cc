#include "tools/cli/progress.h"

#include "tools/cli/report.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace hpsweep::cli {

int64_t FinishedTrials(const proto::Sweep& sweep) {
  const auto& c = sweep.counters;
  return c.completed + c.failed + c.pruned + c.cancelled;
}

std::string FormatSeconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const int64_t t = static_cast<int64_t>(seconds + 0.5);
  std::ostringstream o;
  if (t >= 3600) {
    o << t / 3600 << ":" << std::setw(2) << std::setfill('0') << (t / 60) % 60;
  } else {
    o << t / 60;
  }
  o << ":" << std::setw(2) << std::setfill('0') << t % 60;
  return o.str();
}

double RawEta(const proto::Sweep& s, const ProgressTiming& t) {
  const int64_t total = std::max<int64_t>(1, s.spec.max_trials);
  const int64_t finished = FinishedTrials(s);
  const int64_t new_finished = finished - t.finished_at_start;
  return new_finished > 0 ? t.elapsed_seconds / new_finished * static_cast<double>(total - finished)
                          : NAN;
}

std::string ProgressLine(const proto::Sweep& s, const ProgressStyle& style) {
  const auto& c = s.counters;
  const int64_t total = std::max<int64_t>(1, s.spec.max_trials);
  const int64_t finished = FinishedTrials(s);
  std::ostringstream line;
  if (style.bar_width > 0) {
    const int width = style.bar_width;
    const int filled = static_cast<int>(std::clamp<int64_t>(finished * width / total, 0, width));
    line << "[" << std::string(filled, '#') << std::string(width - filled, '.') << "] ";
  }
  line << finished << "/" << s.spec.max_trials << " done, " << c.running << " running, "
       << c.failed << " failed, " << c.pruned << " pruned";
  if (s.best_value) {
    line << " | best " << s.spec.metric.name << " " << std::setprecision(5) << *s.best_value;
  }
  if (c.failed > 0 && s.last_failed_trial_id != 0) {
    line << " | last failure: trial " << s.last_failed_trial_id << ": "
         << OneLine(s.last_failure.empty() ? "(no error recorded)" : s.last_failure, 80);
  }
  if (style.timing) {
    const ProgressTiming& t = *style.timing;
    const double eta = t.eta_seconds ? *t.eta_seconds : RawEta(s, t);
    line << " | " << FormatSeconds(t.elapsed_seconds) << " elapsed, ETA " << FormatSeconds(eta);
  } else {
    line << " | " << proto::SweepStateName(s.state);
  }
  return line.str();
}

ProgressDisplay::ProgressDisplay(std::ostream& out, bool tty, int bar_width)
    : out_(out), tty_(tty), bar_width_(bar_width) {}

void ProgressDisplay::Show(const proto::Sweep& sweep, std::optional<ProgressTiming> timing) {
  if (timing && !timing->eta_seconds) {
    const double raw = RawEta(sweep, *timing);
    if (std::isnan(eta_) || std::isnan(raw)) {
      eta_ = raw;
    } else {
      const double counted_down = std::max(0.0, eta_ - (timing->elapsed_seconds - eta_at_));
      eta_ = 0.7 * counted_down + 0.3 * raw;
    }
    if (FinishedTrials(sweep) >= sweep.spec.max_trials) eta_ = 0;
    eta_at_ = timing->elapsed_seconds;
    timing->eta_seconds = eta_;
  }
  if (tty_) {
    out_ << "\r\033[2K" << ProgressLine(sweep, {bar_width_, timing}) << std::flush;
    shown_ = true;
    return;
  }
  const std::string what = ProgressLine(sweep, {});
  if (shown_ && what == last_) return;
  out_ << ProgressLine(sweep, {0, timing}) << "\n" << std::flush;
  last_ = what;
  shown_ = true;
}

void ProgressDisplay::Finish() {
  if (tty_ && shown_) out_ << "\n";
  shown_ = false;
}

}  // namespace hpsweep::cli
