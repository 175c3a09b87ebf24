#include "coordinator/search/outcomes.h"

#include <cmath>
#include <limits>

#include "coordinator/search/bo/pareto.h"

namespace hpsweep::coordinator {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

double ValueOf(const proto::Values& values, const std::string& name) {
  auto it = values.find(name);
  return it == values.end() ? kNan : it->second;
}

}  // namespace

bool HasOutcomes(const proto::SweepSpec& spec) {
  return proto::IsMultiObjective(spec) || !spec.constraints.empty();
}

void FillOutcomes(const proto::SweepSpec& spec, const proto::Trial& trial, TrialView* view) {
  view->state = trial.state;
  view->objective = trial.objective;
  view->objectives.clear();
  view->constraint_values.clear();
  if (!HasOutcomes(spec) || trial.state != proto::TrialState::kCompleted) return;
  for (const proto::MetricSpec& m : proto::Objectives(spec)) {
    view->objectives.push_back(ValueOf(trial.final_values, m.name));
  }
  for (const proto::ConstraintSpec& c : spec.constraints) {
    view->constraint_values.push_back(ValueOf(trial.final_values, c.metric));
  }
}

TrialView ViewOf(const proto::SweepSpec& spec, const proto::Trial& trial) {
  TrialView view;
  view.number = trial.number;
  view.params = trial.params;
  FillOutcomes(spec, trial, &view);
  return view;
}

bool IsFeasible(const proto::SweepSpec& spec, const proto::Values& values) {
  for (const proto::ConstraintSpec& c : spec.constraints) {
    if (!proto::Satisfies(c, ValueOf(values, c.metric))) return false;
  }
  return true;
}

std::vector<proto::Trial> ParetoFront(const proto::SweepSpec& spec,
                                      const std::vector<const proto::Trial*>& trials) {
  const std::vector<proto::MetricSpec> objectives = proto::Objectives(spec);
  std::vector<const proto::Trial*> eligible;
  std::vector<bo::Point> points;
  for (const proto::Trial* t : trials) {
    if (t->state != proto::TrialState::kCompleted || !IsFeasible(spec, t->final_values)) continue;
    bo::Point p;
    for (const proto::MetricSpec& m : objectives) {
      const double v = ValueOf(t->final_values, m.name);
      p.push_back(m.goal == proto::Goal::kMaximize ? -v : v);
    }
    bool finite = true;
    for (double v : p) finite = finite && std::isfinite(v);
    if (!finite) continue;
    eligible.push_back(t);
    points.push_back(std::move(p));
  }
  std::vector<proto::Trial> front;
  for (size_t i : bo::NonDominated(points)) front.push_back(*eligible[i]);
  return front;
}

}  // namespace hpsweep::coordinator
