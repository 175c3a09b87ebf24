#include "coordinator/lifecycle/stopping.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <utility>

namespace hpsweep::coordinator {
namespace {

using proto::EarlyTerminateSpec;
using proto::StopPolicy;
using proto::TrialState;

// A step lies at or past a milestone (milestones may be fractional in
// Hyperband's max_iter/s form).
bool Reached(int64_t step, double milestone) {
  return static_cast<double>(step) >= milestone * (1 - 1e-12);
}

std::string Fmt(double v) {
  std::ostringstream out;
  out.precision(6);
  out << v;
  return out.str();
}

// Orients values so that lower is better.
class Orientation {
 public:
  explicit Orientation(const proto::SweepSpec& spec)
      : maximize_(spec.metric.goal == proto::Goal::kMaximize), metric_(spec.metric.name) {}
  double Score(double value) const { return maximize_ ? -value : value; }
  const std::string& metric() const { return metric_; }

 private:
  bool maximize_;
  std::string metric_;
};

// ASHA (one bracket) and Hyperband (several).
class SuccessiveHalving final : public StoppingPolicy {
 public:
  SuccessiveHalving(const proto::SweepSpec& spec, const EarlyTerminateSpec& et)
      : orient_(spec), et_(et), hyperband_(et.type == StopPolicy::kHyperband) {
    const int64_t b_count = std::max<int64_t>(1, et.brackets);
    for (int64_t b = 0; b < b_count; ++b) {
      Bracket bracket;
      for (double m = et.min_iter * std::pow(et.eta, static_cast<double>(b));
           (et.max_iter <= 0 || m < et.max_iter * (1 - 1e-12)) && m < 1e15; m *= et.eta) {
        bracket.milestones.push_back(m);
      }
      bracket.records.resize(bracket.milestones.size());
      brackets_.push_back(std::move(bracket));
    }
    BuildSchedule(b_count);
  }

  StopDecision Report(uint64_t number, int64_t step, double value) override {
    StopDecision d;
    // Every milestone the report reaches, in every bracket: what searchers
    // learn from (Levels). Milestones a report passes at once get its value.
    std::map<int64_t, double>& seen_at = observed_[number];
    const std::vector<double>& all = brackets_.front().milestones;
    for (size_t j = 0; j < all.size() && Reached(step, all[j]); ++j) {
      seen_at.emplace(static_cast<int64_t>(j), value);
    }
    const int64_t b = BracketOf(number);
    Bracket& bracket = brackets_[b];
    int64_t k = -1;
    for (size_t i = 0; i < bracket.milestones.size(); ++i) {
      if (Reached(step, bracket.milestones[i])) k = static_cast<int64_t>(i);
    }
    auto seen = highest_.find(number);
    if (k < 0 || (seen != highest_.end() && seen->second >= k)) return d;
    highest_[number] = k;
    const double score = orient_.Score(value);
    auto& at_rung = bracket.records[k];
    at_rung[number] = score;
    const int64_t n = static_cast<int64_t>(at_rung.size());
    int64_t better = 0;
    for (const auto& [other, s] : at_rung) {
      if (other != number && s < score) ++better;
    }
    const int64_t rank = better + 1;
    const int64_t keep = std::max<int64_t>(1, static_cast<int64_t>(std::floor(n / et_.eta)));
    d.rung = k;
    if (rank <= keep) return d;
    d.stop = true;
    std::ostringstream why;
    why << (hyperband_ ? "hyperband bracket " + std::to_string(b) + ", " : "asha: ") << "rung "
        << k << " (step " << Fmt(bracket.milestones[k]) << "): " << orient_.metric() << " "
        << Fmt(value) << " at step " << step << " ranks " << rank << " of " << n
        << " trials that reached it; only the top " << keep << " continue (eta " << Fmt(et_.eta)
        << ")";
    d.reason = why.str();
    return d;
  }

  void Finished(uint64_t, TrialState) override {}

  std::vector<RungValue> Levels(uint64_t number) const override {
    std::vector<RungValue> out;
    auto it = observed_.find(number);
    if (it == observed_.end()) return out;
    for (const auto& [level, value] : it->second) {
      out.push_back(RungValue{level, brackets_.front().milestones[level], value});
    }
    return out;
  }

  int64_t BracketOf(uint64_t number) const override {
    return schedule_.empty() ? 0 : schedule_[number % schedule_.size()];
  }

 private:
  struct Bracket {
    std::vector<double> milestones;
    // records[k]: trial number -> score at rung k.
    std::vector<std::map<uint64_t, double>> records;
  };

  // Smooth weighted round-robin over Hyperband's bracket sizes: each cycle
  // holds every bracket in proportion to n_s, interleaved, so that a sweep of
  // any length fills the brackets in about those shares.
  void BuildSchedule(int64_t b_count) {
    if (b_count == 1) return;
    std::vector<double> weight(b_count);
    double total = 0;
    for (int64_t b = 0; b < b_count; ++b) {
      const double s = static_cast<double>(b_count - 1 - b);
      weight[b] = std::ceil(static_cast<double>(b_count) / (s + 1) * std::pow(et_.eta, s));
      total += weight[b];
    }
    constexpr double kMaxCycle = 4096;
    std::vector<int64_t> w(b_count);
    int64_t cycle = 0;
    for (int64_t b = 0; b < b_count; ++b) {
      const double scaled = total > kMaxCycle ? weight[b] * kMaxCycle / total : weight[b];
      w[b] = std::max<int64_t>(1, std::llround(scaled));
      cycle += w[b];
    }
    std::vector<int64_t> current(b_count, 0);
    for (int64_t i = 0; i < cycle; ++i) {
      int64_t pick = 0;
      for (int64_t b = 0; b < b_count; ++b) {
        current[b] += w[b];
        if (current[b] > current[pick]) pick = b;
      }
      current[pick] -= cycle;
      schedule_.push_back(pick);
    }
  }

  Orientation orient_;
  EarlyTerminateSpec et_;
  bool hyperband_;
  std::vector<Bracket> brackets_;
  std::vector<int64_t> schedule_;                  // trial number % size -> bracket
  std::unordered_map<uint64_t, int64_t> highest_;  // trial number -> highest rung recorded
  // trial number -> milestone index (bracket 0's milestones: all of them) ->
  // value (user's direction) of the first report at or past it.
  std::unordered_map<uint64_t, std::map<int64_t, double>> observed_;
};

class MedianStopping final : public StoppingPolicy {
 public:
  MedianStopping(const proto::SweepSpec& spec, const EarlyTerminateSpec& et)
      : orient_(spec), et_(et) {}

  StopDecision Report(uint64_t number, int64_t step, double value) override {
    curves_[number][step] = orient_.Score(value);
    return Judge(number, step);
  }

  StopDecision Rejudge(uint64_t number) override {
    auto curve = curves_.find(number);
    if (curve == curves_.end() || curve->second.empty() || completed_.count(number)) {
      return StopDecision();
    }
    return Judge(number, curve->second.rbegin()->first);
  }

  // The rule at `step`, over the trial's curve up to it.
  StopDecision Judge(uint64_t number, int64_t step) const {
    StopDecision d;
    const auto& curve = curves_.at(number);
    const double score = curve.at(step);
    if (step <= et_.warmup_steps) return d;
    auto at = completed_at_.find(step);
    if (at == completed_at_.end() || static_cast<int64_t>(at->second.size()) < et_.min_trials) {
      return d;
    }
    double best = score;
    for (auto it = curve.begin(); it != curve.end() && it->first <= step; ++it) {
      best = std::min(best, it->second);
    }
    std::vector<double> values = at->second;
    const size_t n = values.size();
    std::sort(values.begin(), values.end());
    const double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    if (!(best > median)) return d;
    d.stop = true;
    d.reason = "median: best " + orient_.metric() + " so far " + Fmt(orient_.Score(best)) +
               " at step " + std::to_string(step) + " is worse than the median " +
               Fmt(orient_.Score(median)) + " of the " + std::to_string(n) +
               " completed trials at that step";
    return d;
  }

  void Finished(uint64_t number, TrialState state) override {
    if (state != TrialState::kCompleted || !completed_.insert(number).second) return;
    auto curve = curves_.find(number);
    if (curve == curves_.end()) return;
    for (const auto& [step, score] : curve->second) completed_at_[step].push_back(score);
  }

  std::vector<RungValue> Levels(uint64_t number) const override {
    std::vector<RungValue> out;
    auto curve = curves_.find(number);
    if (curve == curves_.end()) return out;
    for (const auto& [step, score] : curve->second) {
      out.push_back(RungValue{step, static_cast<double>(step), orient_.Score(score)});
    }
    return out;
  }

 private:
  Orientation orient_;
  EarlyTerminateSpec et_;
  std::unordered_map<uint64_t, std::map<int64_t, double>> curves_;  // number -> step -> score
  std::set<uint64_t> completed_;
  std::map<int64_t, std::vector<double>> completed_at_;  // step -> completed trials' scores
};

}  // namespace

StatusOr<std::unique_ptr<StoppingPolicy>> CreateStoppingPolicy(const proto::SweepSpec& spec) {
  HPS_ASSIGN_OR_RETURN(EarlyTerminateSpec et, proto::ParseEarlyTerminate(spec.early_terminate));
  switch (et.type) {
    case StopPolicy::kAsha:
    case StopPolicy::kHyperband:
      return std::unique_ptr<StoppingPolicy>(new SuccessiveHalving(spec, et));
    case StopPolicy::kMedian:
      return std::unique_ptr<StoppingPolicy>(new MedianStopping(spec, et));
    case StopPolicy::kNone:
      break;
  }
  return std::unique_ptr<StoppingPolicy>();
}

}  // namespace hpsweep::coordinator
