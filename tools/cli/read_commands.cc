// The reading commands that answer from a ResultSource: list, status,
// trials, best, metrics (read_commands.h).
#include "tools/cli/read_commands.h"

#include <iomanip>
#include <map>

#include "coordinator/search/outcomes.h"
#include "tools/cli/front_table.h"
#include "tools/cli/report.h"
#include "tools/cli/slurm.h"
#include "tools/cli/trial_format.h"

namespace hpsweep::cli {

int RunRead(const std::string& cmd, const Args& a, ResultSource& source, uint64_t id,
            std::ostream& out, std::ostream& err) {
  if (cmd == "list") {
    auto sweeps = source.ListSweeps();
    if (!sweeps.ok()) return Fail(err, sweeps.status());
    out << std::left << std::setw(6) << "ID" << std::setw(11) << "STATE" << std::setw(10)
        << "METHOD" << std::setw(12) << "DONE" << std::setw(10) << "FAILED" << std::setw(14)
        << "BEST" << "NAME\n";
    for (const auto& s : *sweeps) {
      const auto& c = s.counters;
      out << std::left << std::setw(6) << s.id << std::setw(11) << proto::SweepStateName(s.state)
          << std::setw(10) << proto::MethodName(s.spec.method) << std::setw(12)
          << (std::to_string(c.completed) + "/" + std::to_string(s.spec.max_trials))
          << std::setw(10) << c.failed << std::setw(14)
          << (s.best_value ? FormatNumber(*s.best_value) : "-") << s.spec.name << "\n";
    }
    return 0;
  }
  if (cmd == "status") {
    auto sweep = source.GetSweep(id);
    if (!sweep.ok()) return Fail(err, sweep.status());
    PrintStatus(*sweep, out);
    // Which gangs (and Slurm jobs) hold its live trials.
    auto all = source.Trials(id);
    if (all.ok()) {
      std::vector<proto::Trial> live;
      for (const proto::Trial& t : *all) {
        if (t.state == proto::TrialState::kLeased || t.state == proto::TrialState::kRunning) {
          live.push_back(t);
        }
      }
      if (!live.empty()) out << "  workers:\n" << LiveWorkersText(live);
    }
    return 0;
  }
  if (cmd == "trials") {
    auto trials = source.Trials(id, a.state);
    if (!trials.ok()) return Fail(err, trials.status());
    out << TrialsTable(*trials);
    return 0;
  }
  if (cmd == "best") {
    auto sweep = source.GetSweep(id);
    if (!sweep.ok()) return Fail(err, sweep.status());
    auto trials = source.Trials(id, "completed");
    if (!trials.ok()) return Fail(err, trials.status());
    if (proto::IsMultiObjective(sweep->spec)) {
      // A multi-objective sweep: its Pareto front (front_table.h).
      std::vector<const proto::Trial*> completed;
      for (const proto::Trial& t : *trials) completed.push_back(&t);
      out << FrontTable(sweep->spec, coordinator::ParetoFront(sweep->spec, completed));
      return 0;
    }
    const auto best = BestTrials(*trials, sweep->spec, static_cast<size_t>(a.top));
    if (best.empty()) {
      const auto& c = sweep->counters;
      err << "hpsweep: sweep " << id << " has no completed trial";
      if (c.failed > 0) {
        err << ": " << c.failed << " failed"
            << (proto::IsTerminal(sweep->state) ? "" : " so far") << " (see hpsweep status " << id
            << ", hpsweep trials " << id << " --state failed)";
      } else if (!proto::IsTerminal(sweep->state)) {
        err << " yet";
      }
      err << "\n";
      return 1;
    }
    out << TrialsTable(best);
    return 0;
  }
  if (cmd == "metrics") {
    auto points = source.Metrics(id);
    if (!points.ok()) return Fail(err, points.status());
    if (a.format == "csv") {
      out << MetricsCsvLong({{id, *points}});
    } else if (points->empty()) {
      out << "trial " << id << " has reported no metrics\n";
    } else {
      out << MetricsTable(*points);
    }
    return 0;
  }
  return Fail(err, InvalidArgumentError("not a reading command: " + cmd));
}

}  // namespace hpsweep::cli
