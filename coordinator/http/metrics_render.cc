#include "coordinator/http/metrics_render.h"

#include <sstream>

namespace hpsweep::coordinator {

std::string RenderMetricsText(const Metrics& metrics, const ServiceStats& s,
                              const CommitStats& c) {
  std::ostringstream out;
  out << "# HELP hpsweep_sweeps Sweeps known to the coordinator.\n"
      << "# TYPE hpsweep_sweeps gauge\nhpsweep_sweeps " << s.sweeps << "\n"
      << "# HELP hpsweep_trials Trials by state.\n"
      << "# TYPE hpsweep_trials gauge\n";
  for (const auto& [state, n] : s.trials_by_state) {
    out << "hpsweep_trials{state=\"" << proto::TrialStateName(state) << "\"} " << n << "\n";
  }
  out << "# HELP hpsweep_leases_expired_total Leases that ran out before their trial ended.\n"
      << "# TYPE hpsweep_leases_expired_total counter\nhpsweep_leases_expired_total "
      << s.leases_expired << "\n"
      << "# HELP hpsweep_trials_requeued_total Trials put back to pending after a lease expired.\n"
      << "# TYPE hpsweep_trials_requeued_total counter\nhpsweep_trials_requeued_total "
      << s.trials_requeued << "\n"
      << "# HELP hpsweep_clients Workers and ask/tell clients seen.\n"
      << "# TYPE hpsweep_clients gauge\nhpsweep_clients " << s.clients << "\n"
      << "# HELP hpsweep_suggestions_fallback_total Trials given a quasi-random point because no "
         "fresh model suggestion came within the sweep's wait bound (or the fit failed).\n"
      << "# TYPE hpsweep_suggestions_fallback_total counter\nhpsweep_suggestions_fallback_total "
      << s.suggestions_fallback << "\n"
      << "# HELP hpsweep_suggestions_computed_total Suggestions computed by slow searchers in "
         "the background.\n"
      << "# TYPE hpsweep_suggestions_computed_total counter\nhpsweep_suggestions_computed_total "
      << s.suggestions_computed << "\n"
      << "# HELP hpsweep_suggestions_stale_total Computed suggestions dropped because a result "
         "arrived while they were computed.\n"
      << "# TYPE hpsweep_suggestions_stale_total counter\nhpsweep_suggestions_stale_total "
      << s.suggestions_stale << "\n"
      << "# HELP hpsweep_suggestion_fits_cancelled_total Model fits stopped early because a result "
         "arrived while they ran.\n"
      << "# TYPE hpsweep_suggestion_fits_cancelled_total counter\nhpsweep_suggestion_fits_cancelled_total "
      << s.suggestion_fits_cancelled << "\n"
      << "# HELP hpsweep_asks_deferred_total Asks that waited for a model fit.\n"
      << "# TYPE hpsweep_asks_deferred_total counter\nhpsweep_asks_deferred_total "
      << s.asks_deferred << "\n"
      << "# HELP hpsweep_asks_waiting Asks waiting for a model fit now.\n"
      << "# TYPE hpsweep_asks_waiting gauge\nhpsweep_asks_waiting " << s.asks_waiting << "\n"
      << "# HELP hpsweep_suggestion_errors_total Background suggestion computations that failed.\n"
      << "# TYPE hpsweep_suggestion_errors_total counter\nhpsweep_suggestion_errors_total "
      << s.suggestion_errors << "\n"
      << "# HELP hpsweep_suggestion_seconds_total Time spent computing suggestions in the "
         "background.\n"
      << "# TYPE hpsweep_suggestion_seconds_total counter\nhpsweep_suggestion_seconds_total "
      << s.suggestion_seconds << "\n"
      << "# HELP hpsweep_commit_batches_total Group commits (one synced store write each).\n"
      << "# TYPE hpsweep_commit_batches_total counter\nhpsweep_commit_batches_total " << c.batches
      << "\n"
      << "# HELP hpsweep_commit_submissions_total Write sets submitted for commit.\n"
      << "# TYPE hpsweep_commit_submissions_total counter\nhpsweep_commit_submissions_total "
      << c.submissions << "\n"
      << "# HELP hpsweep_commit_seconds_total Time spent in store commits.\n"
      << "# TYPE hpsweep_commit_seconds_total counter\nhpsweep_commit_seconds_total "
      << static_cast<double>(c.commit_micros) * 1e-6 << "\n";
  return metrics.Render(out.str());
}

}  // namespace hpsweep::coordinator
