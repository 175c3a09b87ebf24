#include "coordinator/lifecycle/pbt.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>
#include <vector>

#include "coordinator/search/searcher.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::ParameterSpec;
using proto::ParamKind;

std::string Fmt(double v) {
  std::ostringstream out;
  out.precision(6);
  out << v;
  return out.str();
}

std::string Fmt(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

double Uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

// An index in [0, n).
size_t Pick(std::mt19937_64& rng, size_t n) {
  return std::min(n - 1, static_cast<size_t>(Uniform01(rng) * static_cast<double>(n)));
}

// A value of `p` drawn from its distribution.
Json Resample(const ParameterSpec& p, std::mt19937_64& rng) {
  const double u = Uniform01(rng);
  switch (p.kind) {
    case ParamKind::kUniform:
      return p.min + u * (p.max - p.min);
    case ParamKind::kLogUniform:
      return std::exp(std::log(p.min) + u * (std::log(p.max) - std::log(p.min)));
    case ParamKind::kIntUniform:
      return static_cast<int64_t>(
          std::min(p.max, std::floor(p.min + u * (p.max - p.min + 1))));
    case ParamKind::kIntLogUniform:
      return static_cast<int64_t>(std::clamp(
          std::round(std::exp(std::log(p.min) + u * (std::log(p.max) - std::log(p.min)))), p.min,
          p.max));
    case ParamKind::kCategorical:
      return p.values[Pick(rng, p.values.size())];
    case ParamKind::kConstant:
      break;
  }
  return p.value;
}

}  // namespace

PbtScheduler::PbtScheduler(proto::SweepSpec spec, proto::PbtOptions options)
    : spec_(std::move(spec)),
      options_(std::move(options)),
      maximize_(spec_.metric.goal == proto::Goal::kMaximize) {}

bool PbtScheduler::Record(const proto::Trial& trial, int64_t step, double value) {
  auto [it, added] = members_.try_emplace(trial.id);
  Member& m = it->second;
  if (added) m.last_judged = trial.parent ? trial.parent->start_step : 0;
  if (step < m.step) return false;  // an old step again (a resumed attempt): nothing new
  m.score = Score(value);
  m.step = step;
  if (step - m.last_judged < options_.perturbation_interval) return false;
  m.last_judged = step;
  return true;
}

void PbtScheduler::Observe(const proto::Trial& trial, int64_t step, double value) {
  Record(trial, step, value);
}

void PbtScheduler::Finished(uint64_t trial_id) {
  auto it = members_.find(trial_id);
  if (it != members_.end()) it->second.live = false;
  else members_[trial_id].live = false;
}

std::optional<ExploitPlan> PbtScheduler::Report(const proto::Trial& trial, int64_t step,
                                                double value,
                                                const std::map<uint64_t, proto::Trial>& trials,
                                                uint64_t child_number, bool may_create) {
  if (!Record(trial, step, value) || !may_create) return std::nullopt;
  // The live population, best first.
  std::vector<std::pair<double, uint64_t>> ranked;
  for (const auto& [id, m] : members_) {
    if (m.live && m.step >= 0) ranked.emplace_back(m.score, id);
  }
  std::sort(ranked.begin(), ranked.end());
  const size_t n = ranked.size();
  size_t q = static_cast<size_t>(std::ceil(static_cast<double>(n) * options_.quantile_fraction));
  q = std::min(q, n / 2);
  if (q == 0) return std::nullopt;
  size_t rank = n;
  for (size_t i = 0; i < n; ++i) {
    if (ranked[i].second == trial.id) rank = i;
  }
  if (rank < n - q) return std::nullopt;
  std::vector<const proto::Trial*> donors;
  for (size_t i = 0; i < q; ++i) {
    auto it = trials.find(ranked[i].second);
    if (it == trials.end() || it->second.checkpoint_step < 0 ||
        it->second.checkpoint_report_step < 0) {
      continue;
    }
    donors.push_back(&it->second);
  }
  if (donors.empty()) return std::nullopt;
  std::mt19937_64 rng(TrialSeed(spec_.seed, child_number));
  const proto::Trial& donor = *donors[Pick(rng, donors.size())];
  Explored explored = Explore(donor.params, rng);
  ExploitPlan plan;
  plan.params = std::move(explored.params);
  plan.parent.trial_id = donor.id;
  plan.parent.checkpoint_step = donor.checkpoint_step;
  plan.parent.start_step = donor.checkpoint_report_step;
  plan.parent.replaced_trial_id = trial.id;
  plan.parent.root_number = donor.parent ? donor.parent->root_number : donor.number;
  plan.parent.explore = explored.description;
  const double donor_value = members_.at(donor.id).score;
  std::ostringstream why;
  why << "pbt: " << spec_.metric.name << " " << Fmt(value) << " at step " << step << " ranks "
      << rank + 1 << " of " << n << " live trials (bottom " << q << " exploited); trial "
      << donor.id << " (" << spec_.metric.name << " " << Fmt(Score(donor_value))
      << ") continues from its checkpoint at step " << donor.checkpoint_report_step
      << " as trial number " << child_number << " with " << explored.description;
  plan.reason = why.str();
  return plan;
}

Explored PbtScheduler::Explore(const Json& donor_params, std::mt19937_64& rng) const {
  Explored out;
  out.params = donor_params;
  std::vector<std::string> changes;
  for (const std::string& name : options_.hyperparam_mutations) {
    const ParameterSpec* p = proto::FindParameter(spec_, name);
    if (!p || !out.params.contains(name)) continue;
    const Json before = out.params[name];
    std::string how;
    if (Uniform01(rng) < options_.resample_probability) {
      out.params[name] = Resample(*p, rng);
      how = "resampled";
    } else if (p->kind == ParamKind::kCategorical) {
      size_t at = 0;
      for (size_t i = 0; i < p->values.size(); ++i) {
        if (p->values[i] == before) at = i;
      }
      const bool up = Uniform01(rng) < 0.5;
      const size_t last = p->values.size() - 1;
      const size_t moved = up ? std::min(at + 1, last) : (at == 0 ? 0 : at - 1);
      out.params[name] = p->values[moved];
      how = up ? "next value" : "previous value";
    } else if (before.is_number()) {
      const double factor = options_.perturbation_factors[Pick(rng, options_.perturbation_factors.size())];
      const double v = std::clamp(before.get<double>() * factor, p->min, p->max);
      if (p->IsInteger()) {
        out.params[name] = static_cast<int64_t>(std::clamp(std::round(v), p->min, p->max));
      } else {
        out.params[name] = v;
      }
      how = "x" + Fmt(factor);
    } else {
      continue;
    }
    changes.push_back(name + " " + Fmt(before) + " -> " + Fmt(out.params[name]) + " (" + how + ")");
  }
  for (size_t i = 0; i < changes.size(); ++i) {
    out.description += (i ? "; " : "") + changes[i];
  }
  if (out.description.empty()) out.description = "the donor's parameters";
  return out;
}

}  // namespace hpsweep::coordinator
