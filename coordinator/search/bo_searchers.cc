// bayes and tpe searchers: the sweep's history encoded into the unit cube and
// handed to coordinator/bo's GP (LogEI) or TPE suggester. Both are slow
// (model fits), so the coordinator runs them off the lease path.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "common/logging.h"
#include "coordinator/search/bo/gp_suggester.h"
#include "coordinator/search/bo/mo_gp_suggester.h"
#include "coordinator/search/bo/tpe.h"
#include "coordinator/search/bo_history.h"
#include "coordinator/search/pruned_estimate.h"
#include "coordinator/search/searcher.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::TrialState;

// The bo::Dimension of each SearchSpace block.
std::vector<bo::Dimension> Dimensions(const SearchSpace& space) {
  std::vector<bo::Dimension> dims;
  for (const SearchSpace::Block& b : space.blocks()) {
    switch (b.kind) {
      case SearchSpace::Block::Kind::kCategorical:
        dims.push_back(bo::Dimension::Categorical(b.width));
        break;
      case SearchSpace::Block::Kind::kInteger: {
        // SearchSpace puts integer i of n at the centre of its cell.
        bo::Dimension d = bo::Dimension::Integer(b.levels);
        if (b.levels <= 4096) {
          for (int i = 0; i < b.levels; ++i) d.levels.push_back((i + 0.5) / b.levels);
        } else {
          d = bo::Dimension::Continuous();  // too many levels to list: round when decoding
        }
        dims.push_back(std::move(d));
        break;
      }
      default:
        dims.push_back(bo::Dimension::Continuous());
    }
  }
  return dims;
}

// One entry per block from SearchSpace::Encode's per-coordinate mask.
std::vector<bool> BlockActivity(const SearchSpace& space, const std::vector<bool>& coordinates) {
  std::vector<bool> active;
  for (const SearchSpace::Block& b : space.blocks()) active.push_back(coordinates[b.offset]);
  return active;
}

// Options a user may set under method_options (documented in
// proto/sweep_schema.md).
struct BoSettings {
  int64_t n_initial = 0;  // 0: the suggester's default, max(5, 2 * dimensions)
  // How long an ask waits for a fresh suggestion before a fallback. Default:
  // 30 s — far longer than a fit (under a second at 1,000 observations) and
  // far shorter than the trials of minutes to hours that bayes is for, and
  // under the 60 s that HTTP clients commonly wait for a reply.
  double max_wait_seconds = 30;
};

StatusOr<BoSettings> ParseSettings(const SearchSpace& space) {
  BoSettings settings;
  proto::JsonReader r(space.spec().method_options, "/method_options");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.OptionalInt("n_initial", &settings.n_initial));
  if (settings.n_initial < 0 || settings.n_initial > 10000) {
    return r.Error("n_initial", "expected an integer in [0, 10000], found " +
                                    std::to_string(settings.n_initial));
  }
  HPS_RETURN_IF_ERROR(r.OptionalDouble("max_wait_seconds", &settings.max_wait_seconds));
  if (!(settings.max_wait_seconds >= 0 && settings.max_wait_seconds <= 3600)) {
    return r.Error("max_wait_seconds", "expected a number of seconds in [0, 3600], found " +
                                           std::to_string(settings.max_wait_seconds));
  }
  HPS_RETURN_IF_ERROR(r.NoOtherKeys());
  return settings;
}

// bayes: the GP with LogEI for one unconstrained objective, qParEGO with
// P(feasible) (bo/mo_gp_suggester.h) for several objectives or constraints.
// Several objectives or any outcome constraint: the multi-objective path of
// either searcher.
bool NeedsOutcomeModel(const bo::Problem& problem) {
  return problem.NumObjectives() > 1 || problem.NumConstraints() > 0;
}

// Each adapter's Model() names, for TrialOrigin::model, the model that
// Suggest() runs for a sweep with several objectives or constraints
// (`outcomes`) or without (documented in proto/messages.h). The sweep decides,
// not the history: the first trials, before any result, are named the same.
class BayesSuggester {
 public:
  explicit BayesSuggester(const bo::GpOptions& options) : single_(options), multi_(options) {}
  StatusOr<std::vector<std::vector<double>>> Suggest(const bo::Problem& problem, int count,
                                                     uint64_t seed, std::vector<bool>* from_model,
                                                     const std::atomic<bool>* cancelled) const {
    if (NeedsOutcomeModel(problem)) return multi_.Suggest(problem, count, seed, from_model, cancelled);
    return single_.Suggest(problem, count, seed, from_model, cancelled);
  }
  static const char* Model(bool outcomes) { return outcomes ? "qparego" : "gp"; }
  // The GP models the value at the end of training (bo_history.h).
  static constexpr PrunedTrials kPrunedTrials = PrunedTrials::kUntilFullFidelity;

 private:
  bo::GpSuggester single_;
  bo::MoGpSuggester multi_;
};

// tpe: MOTPE's split (bo/tpe_split.h) for several objectives or constraints.
class TpeAdapter {
 public:
  explicit TpeAdapter(const bo::TpeOptions& options) : tpe_(options) {}
  StatusOr<std::vector<std::vector<double>>> Suggest(const bo::Problem& problem, int count,
                                                     uint64_t seed, std::vector<bool>* from_model,
                                                     const std::atomic<bool>* cancelled) const {
    return tpe_.Suggest(problem, count, seed, from_model, cancelled);
  }
  static const char* Model(bool outcomes) { return outcomes ? "motpe" : "tpe"; }
  static constexpr PrunedTrials kPrunedTrials = PrunedTrials::kAsObservations;

 private:
  bo::TpeSuggester tpe_;
};

// The user's direction to minimized: -v for a maximized metric.
double Minimized(proto::Goal goal, double v) { return goal == proto::Goal::kMaximize ? -v : v; }

// A constraint's value, <= 0 when it holds.
double ConstraintValue(const proto::ConstraintSpec& c, double v) {
  return c.op == proto::ConstraintSpec::Op::kAtMost ? v - c.bound : c.bound - v;
}

bool AllFinite(const std::vector<double>& v) {
  for (double x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

template <typename Suggester>
class BoSearcher final : public Searcher {
 public:
  BoSearcher(const SearchSpace& space, Suggester suggester, BoSettings settings)
      : space_(space), dims_(Dimensions(space)), suggester_(std::move(suggester)), settings_(settings) {}

  bool IsSlow() const override { return true; }
  double MaxWaitSeconds() const override { return settings_.max_wait_seconds; }

  StatusOr<std::optional<Json>> Suggest(const std::vector<TrialView>& history,
                                        uint64_t number) override {
    HPS_ASSIGN_OR_RETURN(std::vector<Suggestion> batch, SuggestBatch(history, number, 1, nullptr));
    if (batch.empty()) return std::optional<Json>();
    return std::optional<Json>(std::move(batch[0].params));
  }

  StatusOr<std::vector<Suggestion>> SuggestBatch(const std::vector<TrialView>& history, uint64_t,
                                                 int count, const std::atomic<bool>* cancelled) override {
    proto::TrialOrigin origin;
    const proto::SweepSpec& spec = space_.spec();
    origin.model = Suggester::Model(proto::Objectives(spec).size() > 1 || !spec.constraints.empty());
    if (space_.dimensions() == 0) {  // only constants: every trial is the same
      origin.source = "initial_design";
      return std::vector<Suggestion>(count, Suggestion{space_.Decode({}), origin});
    }
    bo::Problem problem = EncodeHistory(space_, history, Suggester::kPrunedTrials);
    problem.dims = dims_;
    // The sweep's fixed seed: the suggesters' initial designs continue from
    // the number of points they already know, so a rebuilt searcher proposes
    // the same points for the same history.
    std::vector<bool> from_model;
    HPS_ASSIGN_OR_RETURN(std::vector<std::vector<double>> points,
                         suggester_.Suggest(problem, count, space_.spec().seed, &from_model, cancelled));
    origin.observations = static_cast<int64_t>(problem.completed.size() + problem.failed.size() +
                                               problem.unfitted.size());
    origin.pending = static_cast<int64_t>(problem.pending.size());
    std::vector<Suggestion> out;
    for (size_t i = 0; i < points.size(); ++i) {
      origin.source = i < from_model.size() && from_model[i] ? "model" : "initial_design";
      out.push_back(Suggestion{space_.Decode(points[i]), origin});
    }
    return out;
  }

 private:
  const SearchSpace& space_;
  std::vector<bo::Dimension> dims_;
  Suggester suggester_;
  const BoSettings settings_;
};

}  // namespace

bo::Problem EncodeHistory(const SearchSpace& space, const std::vector<TrialView>& history,
                          PrunedTrials pruned) {
  bo::Problem problem;
  const bool maximize = space.spec().metric.goal == proto::Goal::kMaximize;
  auto minimized = [maximize](double v) { return maximize ? -v : v; };
  // The worst completed objective caps what a pruned trial may count as.
  std::optional<double> worst;
  int64_t finished = 0;  // completed with a finite objective
  for (const TrialView& t : history) {
    if (t.state == TrialState::kCompleted && t.objective && std::isfinite(*t.objective)) {
      worst = std::max(worst.value_or(-HUGE_VAL), minimized(*t.objective));
      ++finished;
    }
  }
  // BOHB's d + 1, d the number of parameters (blocks), not coordinates.
  const bool fit_pruned = pruned == PrunedTrials::kAsObservations ||
                          finished < static_cast<int64_t>(space.blocks().size()) + 1;
  // Past that, a pruned trial is fitted at the final value its early one
  // predicts, where completed trials' curves show early values predict
  // (pruned_estimate.h): one estimator per level, from the completed trials
  // that recorded a value there.
  std::map<int64_t, std::vector<EarlyAndFinal>> completed_at;
  if (!fit_pruned) {
    for (const TrialView& t : history) {
      if (t.state != TrialState::kCompleted || !t.objective || !std::isfinite(*t.objective)) {
        continue;
      }
      for (const TrialView::LevelValue& l : t.levels) {
        completed_at[l.level].push_back({minimized(l.value), minimized(*t.objective)});
      }
    }
  }
  std::map<int64_t, FinalValueEstimator> estimators;
  auto estimate = [&](const TrialView& t) -> std::optional<double> {
    if (t.levels.empty()) return std::nullopt;
    const TrialView::LevelValue& last = t.levels.back();
    auto it = estimators.find(last.level);
    if (it == estimators.end()) {
      it = estimators.emplace(last.level, FinalValueEstimator(completed_at[last.level])).first;
    }
    if (!it->second.informative() || !std::isfinite(last.value)) return std::nullopt;
    return it->second.Estimate(minimized(last.value));
  };
  const std::vector<proto::MetricSpec> objectives = proto::Objectives(space.spec());
  const auto& constraints = space.spec().constraints;
  const bool outcomes = objectives.size() > 1 || !constraints.empty();
  for (const TrialView& t : history) {
    std::vector<double> x;
    std::vector<bool> coordinates;
    if (!space.Encode(t.params, &x, &coordinates).ok()) continue;  // not from this space
    const std::vector<bool> active = BlockActivity(space, coordinates);
    switch (t.state) {
      case TrialState::kCompleted:
        if (outcomes) {
          // Several objectives / constraints (outcomes.h): a trial missing
          // one counts as failed.
          if (t.objectives.size() != objectives.size() || !AllFinite(t.objectives) ||
              t.constraint_values.size() != constraints.size() || !AllFinite(t.constraint_values)) {
            problem.failed.push_back({x, active});
            break;
          }
          std::vector<double> ys, gs;
          for (size_t k = 0; k < objectives.size(); ++k) ys.push_back(Minimized(objectives[k].goal, t.objectives[k]));
          for (size_t c = 0; c < constraints.size(); ++c) gs.push_back(ConstraintValue(constraints[c], t.constraint_values[c]));
          problem.completed.push_back({x, ys[0], active});
          if (objectives.size() > 1) problem.ys.push_back(std::move(ys));
          if (!constraints.empty()) problem.constraints.push_back(std::move(gs));
        } else if (t.objective && std::isfinite(*t.objective)) {
          problem.completed.push_back({x, minimized(*t.objective), active});
        }
        break;
      case TrialState::kPruned:
        // Multi-objective and constrained sweeps: a pruned trial lacks the
        // other outcomes, so it counts as failed there.
        if (outcomes || !t.pruned_value || !std::isfinite(*t.pruned_value)) {
          problem.failed.push_back({x, active});
        } else if (!fit_pruned) {
          if (std::optional<double> y = estimate(t)) {
            problem.completed.push_back({x, *y, active});
          } else {
            problem.unfitted.push_back({x, active});
          }
        } else {
          const double y = minimized(*t.pruned_value);
          problem.completed.push_back({x, worst ? std::max(y, *worst) : y, active});
        }
        break;
      case TrialState::kFailed:
        problem.failed.push_back({x, active});
        break;
      case TrialState::kPending:
      case TrialState::kLeased:
      case TrialState::kRunning:
        problem.pending.push_back({x, active});
        break;
      case TrialState::kCancelled:
        break;
    }
  }
  return problem;
}

std::optional<double> PrunedValue(const proto::Trial& trial, const std::string& metric) {
  if (!trial.prune) return std::nullopt;
  auto v = trial.final_values.find(metric);
  if (v == trial.final_values.end()) return std::nullopt;
  return v->second;
}

StatusOr<std::unique_ptr<Searcher>> NewBayesSearcher(const SearchSpace& space) {
  HPS_ASSIGN_OR_RETURN(BoSettings settings, ParseSettings(space));
  bo::GpOptions options;
  options.initial_design = static_cast<int>(settings.n_initial);
  HPS_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<Searcher>(
      new BoSearcher<BayesSuggester>(space, BayesSuggester(options), settings));
}

StatusOr<std::unique_ptr<Searcher>> NewTpeSearcher(const SearchSpace& space) {
  HPS_ASSIGN_OR_RETURN(BoSettings settings, ParseSettings(space));
  bo::TpeOptions options;
  if (settings.n_initial > 0) options.startup_trials = static_cast<int>(settings.n_initial);
  return std::unique_ptr<Searcher>(
      new BoSearcher<TpeAdapter>(space, TpeAdapter(options), settings));
}

}  // namespace hpsweep::coordinator
