#include "coordinator/search/bo/mo_gp_suggester.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "coordinator/search/bo/gp.h"
#include "coordinator/search/bo/mo_acquisition.h"
#include "coordinator/search/bo/mo_local_search.h"
#include "coordinator/search/bo/outcome_transform.h"
#include "coordinator/search/bo/pareto.h"
#include "coordinator/search/bo/sobol.h"
#include "coordinator/search/bo/suggest_common.h"

namespace hpsweep::coordinator::bo {
namespace {

// ParEGO's augmentation weight (Knowles 2006): keeps weakly dominated points
// from tying with the points that dominate them.
constexpr double kRho = 0.05;
// Softplus temperature of the improvement, in normalized objective units.
constexpr double kTau = 1e-3;
// Monte Carlo samples of the objectives per candidate.
constexpr int kMcSamples = 128;
constexpr int kLocalCenters = 5;
constexpr int kSnappedRawCandidates = 32;

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

// What one model's GP is fitted to, from the raw values (imputed for failed
// trials): the objectives power-warped, the constraints standardized.
std::vector<double> WarpObjective(const std::vector<double>& raw) {
  return WarpOutcomes(raw).values;
}

// Mean and sample standard deviation (1 when the values do not vary).
std::pair<double, double> MeanAndSd(const std::vector<double>& raw) {
  const double mean = Mean(raw);
  double var = 0;
  for (double v : raw) var += (v - mean) * (v - mean);
  return {mean, raw.size() > 1 && var > 0 ? std::sqrt(var / (raw.size() - 1)) : 1.0};
}

std::vector<double> StandardizeConstraint(const std::vector<double>& raw) {
  const auto [mean, sd] = MeanAndSd(raw);
  std::vector<double> out;
  out.reserve(raw.size());
  for (double v : raw) out.push_back((v - mean) / sd);
  return out;
}

}  // namespace

// One checkpoint per model (objective k at k, constraint c after the
// objectives), created on first use; a deque keeps them in place.
struct MoGpSuggester::Checkpoints {
  std::mutex mu;
  std::deque<FitCheckpoint> slots;

  FitCheckpoint* Slot(size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    while (slots.size() <= i) slots.emplace_back();
    return &slots[i];
  }
};

namespace {

// What errors and cancellations name.
constexpr char kWhat[] = "multi-objective GP suggestion";

class Run {
 public:
  Run(const GpOptions& options, const Problem& problem, uint64_t seed,
      MoGpSuggester::Checkpoints* checkpoints, const std::atomic<bool>* cancelled)
      : options_(options),
        problem_(problem),
        seed_(seed),
        d_(CoordinateCount(problem.dims)),
        checkpoints_(checkpoints),
        cancelled_(cancelled),
        batch_(options, problem, seed) {}

  const std::vector<bool>& from_model() const { return batch_.from_model(); }

  StatusOr<std::vector<std::vector<double>>> Suggest(int count) {
    return batch_.Fill(
        count, kWhat, cancelled_, [this] { return BuildModels(); },
        [this]() -> StatusOr<std::vector<std::vector<double>>> { return Maximize(); },
        [this](const std::vector<double>& pick) { return Believe({pick}); });
  }

 private:
  Status CheckCancelled() const { return bo::CheckCancelled(cancelled_, kWhat); }

  // The GP of model `slot` on points xs (x) with raw values `raw`,
  // warm-started from the slot's checkpoint (suggest_common.h).
  StatusOr<GpModel> Fit(size_t slot, const std::vector<std::vector<double>>& xs,
                        const torch::Tensor& x, const std::vector<double>& raw,
                        std::vector<double> (*transform)(const std::vector<double>&),
                        uint64_t stream) {
    const auto yt = torch::tensor(transform(raw), F64());
    HPS_ASSIGN_OR_RETURN(
        GpHyperparameters hp,
        FitWithCheckpoints(options_, xs, raw, x, yt, transform, MixSeed(seed_, stream),
                           checkpoints_->Slot(slot), cancelled_));
    HPS_RETURN_IF_ERROR(CheckCancelled());
    return GpModel::Create(x, yt, std::move(hp));
  }

  Status BuildModels() {
    const size_t n = problem_.completed.size();
    const size_t k_obj = problem_.NumObjectives();
    const size_t k_con = problem_.NumConstraints();
    std::vector<std::vector<double>> xs;
    for (const auto& o : problem_.completed)
      xs.push_back(NeutralizeInactive(problem_.dims, o.x, o.active));
    for (const auto& f : problem_.failed)
      xs.push_back(NeutralizeInactive(problem_.dims, f.x, f.active));
    const auto x = ToTensor(xs, d_);
    // Objectives: warped per objective; the scalarization normalizes the
    // warped values (NormalizationRanges).
    std::vector<std::vector<double>> raws(k_obj), warped(k_obj);
    for (size_t k = 0; k < k_obj; ++k) {
      std::vector<double>& raw = raws[k];
      raw.resize(n);
      for (size_t i = 0; i < n; ++i) raw[i] = problem_.ObjectivesOf(i)[k];
      const double worst = *std::max_element(raw.begin(), raw.end());
      raw.resize(xs.size(), worst);  // failed trials
      warped[k] = WarpObjective(raw);
    }
    NormalizationRanges(warped);
    observed_.assign(n, std::vector<double>(k_obj));
    for (size_t k = 0; k < k_obj; ++k) {
      for (size_t i = 0; i < n; ++i) observed_[i][k] = (warped[k][i] - lo_[k]) / range_[k];
      HPS_ASSIGN_OR_RETURN(GpModel m, Fit(k, xs, x, raws[k], WarpObjective, 0x0B000 + k));
      objectives_.push_back(std::move(m));
    }
    // Constraints: standardized; the threshold 0 moves with them.
    for (size_t c = 0; c < k_con; ++c) {
      std::vector<double> g(n);
      for (size_t i = 0; i < n; ++i) g[i] = problem_.constraints[i][c];
      const double worst = *std::max_element(g.begin(), g.end());
      g.resize(xs.size(), std::max(worst, 0.0) + 1.0);  // failed: infeasible
      const auto [mean, sd] = MeanAndSd(g);
      thresholds_.push_back(-mean / sd);  // 0 in standardized units
      HPS_ASSIGN_OR_RETURN(GpModel m, Fit(k_obj + c, xs, x, g, StandardizeConstraint, 0x0C000 + c));
      constraints_.push_back(std::move(m));
    }
    // Incumbents: feasible completed points (their normalized objectives).
    for (size_t i = 0; i < n; ++i) {
      if (problem_.IsFeasible(i)) feasible_.push_back(i);
    }
    std::vector<std::vector<double>> pending;
    for (const auto& p : problem_.pending)
      pending.push_back(NeutralizeInactive(problem_.dims, p.x, p.active));
    if (!pending.empty()) HPS_RETURN_IF_ERROR(Believe(pending));
    return Status::Ok();
  }

  // lo_ and range_ per objective, from the warped values of the completed
  // points (warped[k][i], i < completed): the span of the feasible front
  // (its ideal and nadir points) where the front has two or more points that
  // differ in that objective, else the span of all completed points. A
  // front scaled to [0, 1] lets uniform weights reach every part of it in
  // proportion (normalized MOEA/D uses its ideal and nadir points so);
  // scaled by all points, a front beside far-off dominated points would
  // shrink to a sliver that only extreme weights resolve. Points outside the front's span get
  // values below 0 or above 1, which the Chebyshev scalarization takes as
  // they are.
  void NormalizationRanges(const std::vector<std::vector<double>>& warped) {
    const size_t n = problem_.completed.size();
    std::vector<Point> points(n, Point(warped.size()));
    std::vector<bool> feasible(n);
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < warped.size(); ++k) points[i][k] = warped[k][i];
      feasible[i] = problem_.IsFeasible(i);
    }
    const std::vector<size_t> front = NonDominated(points, feasible);
    for (size_t k = 0; k < warped.size(); ++k) {
      auto span = [&](const auto& indices) {
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (size_t i : indices) {
          lo = std::min(lo, warped[k][i]);
          hi = std::max(hi, warped[k][i]);
        }
        return std::make_pair(lo, hi);
      };
      auto [lo, hi] = span(front);
      if (front.size() < 2 || !(hi - lo > 1e-9)) {
        std::vector<size_t> all(n);
        std::iota(all.begin(), all.end(), 0);
        std::tie(lo, hi) = span(all);
      }
      lo_.push_back(lo);
      range_.push_back(hi - lo > 1e-9 ? hi - lo : 1.0);
    }
  }

  // Kriging believer: every model takes its posterior mean at `points` as
  // observed. A believed value is an observation, as in GpSuggester: a point
  // whose believed constraints hold joins the incumbents, so that neither it
  // nor its neighbourhood offers the improvement it is believed to bring
  // (else the rest of a batch piles up around the pending trials).
  Status Believe(const std::vector<std::vector<double>>& points) {
    torch::NoGradGuard no_grad;
    const auto xp = ToTensor(points, d_);
    auto feasible = torch::ones({xp.size(0)}, torch::kBool);
    for (size_t c = 0; c < constraints_.size(); ++c) {
      feasible = feasible & (constraints_[c].Posterior(xp).first <= thresholds_[c]);
    }
    std::vector<torch::Tensor> means;
    for (size_t k = 0; k < objectives_.size(); ++k) {
      means.push_back((objectives_[k].Posterior(xp).first - lo_[k]) / range_[k]);
    }
    const auto believed = torch::stack(means, 1);
    for (int64_t i = 0; i < xp.size(0); ++i) {
      if (feasible[i].item<bool>()) believed_.push_back(Row(believed, i));
    }
    for (auto* models : {&objectives_, &constraints_}) {
      for (GpModel& m : *models) {
        const auto mean = m.Posterior(xp).first;
        HPS_ASSIGN_OR_RETURN(GpModel next, m.Condition(xp, mean));
        m = std::move(next);
      }
    }
    return Status::Ok();
  }

  // The acquisition for one scalarization (weights, base samples, best).
  struct Scalarization {
    torch::Tensor weights;       // [K]
    torch::Tensor base;          // [S, K]
    std::optional<double> best;  // none: nothing feasible observed
  };

  torch::Tensor Acquisition(const torch::Tensor& x, const Scalarization& s) const {
    torch::NoGradGuard no_grad;
    torch::Tensor value = torch::zeros({x.size(0)}, F64());
    if (s.best) {
      std::vector<torch::Tensor> means, sds;
      for (size_t k = 0; k < objectives_.size(); ++k) {
        const auto [mean, var] = objectives_[k].Posterior(x);
        means.push_back((mean - lo_[k]) / range_[k]);
        sds.push_back(torch::sqrt(torch::clamp_min(var, 1e-18)) / range_[k]);
      }
      const auto mu = torch::stack(means, 1).unsqueeze(1);  // [m,1,K]
      const auto sd = torch::stack(sds, 1).unsqueeze(1);
      const auto samples = mu + sd * s.base.unsqueeze(0);  // [m,S,K]
      value = LogMeanSoftImprovement(ChebyshevScalarize(samples, s.weights, kRho), *s.best, kTau);
    }
    if (!constraints_.empty()) {
      std::vector<torch::Tensor> means, vars;
      for (const GpModel& m : constraints_) {
        const auto [mean, var] = m.Posterior(x);
        means.push_back(mean);
        vars.push_back(var);
      }
      value = value + LogProbabilityOfFeasibility(torch::stack(means, 1), torch::stack(vars, 1),
                                                  torch::tensor(thresholds_, F64()));
    }
    return value;
  }

  Scalarization Draw(Rng* rng) const {
    const size_t k = objectives_.size();
    std::vector<double> w(k);
    double total = 0;
    for (double& v : w) total += (v = -std::log(1.0 - rng->Uniform()));  // Dirichlet(1, ..., 1)
    for (double& v : w) v /= total;
    Scalarization s;
    s.weights = torch::tensor(w, F64());
    s.base = torch::empty({kMcSamples, static_cast<int64_t>(k)}, F64());
    auto a = s.base.accessor<double, 2>();
    for (int i = 0; i < kMcSamples; ++i) {
      for (size_t j = 0; j < k; ++j) a[i][j] = rng->Normal();
    }
    auto consider = [&](const std::vector<double>& f) {
      const double v = ChebyshevScalarize(torch::tensor(f, F64()), s.weights, kRho).item<double>();
      s.best = s.best ? std::min(*s.best, v) : v;
    };
    for (size_t i : feasible_) consider(observed_[i]);
    // Believed points count only beside an observed feasible one: with none,
    // the acquisition is P(feasible) alone.
    if (s.best) {
      for (const auto& f : believed_) consider(f);
    }
    return s;
  }

  // Per objective, the feasible completed point with the best value (the
  // first of ties); empty when none is feasible.
  std::vector<size_t> Extremes() const {
    std::vector<size_t> out;
    if (feasible_.empty()) return out;
    for (size_t k = 0; k < objectives_.size(); ++k) {
      size_t best = feasible_.front();
      for (size_t i : feasible_) {
        if (observed_[i][k] < observed_[best][k]) best = i;
      }
      out.push_back(best);
    }
    return out;
  }

  // Candidate points (snapped, in the space), best acquisition first.
  std::vector<std::vector<double>> Maximize() {
    const uint64_t stream = MixSeed(seed_, batch_.known() + batch_.size());
    Rng rng(MixSeed(stream, 0x40BE));
    const Scalarization s = Draw(&rng);
    // Local centres: the feasible points best under this scalarization
    // (else the least violating ones).
    std::vector<size_t> order = feasible_;
    std::vector<double> score(problem_.completed.size());
    for (size_t i = 0; i < score.size(); ++i) {
      score[i] = problem_.IsFeasible(i)
                     ? ChebyshevScalarize(torch::tensor(observed_[i], F64()), s.weights, kRho)
                           .item<double>()
                     : problem_.Violation(i);
    }
    if (order.empty()) {
      order.resize(score.size());
      std::iota(order.begin(), order.end(), 0);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return score[a] < score[b]; });
    std::vector<std::vector<double>> centers;
    auto add_center = [&centers](const std::vector<double>& x) {
      if (IsNew(x, centers)) centers.push_back(x);
    };
    for (size_t i = 0; i < order.size() && static_cast<int>(i) < kLocalCenters; ++i) {
      add_center(problem_.completed[order[i]].x);
    }
    // The front's ends (the best feasible point of each objective): the
    // scalarizations that favour an end start from it, so the search can
    // extend the front outward rather than only fill it in.
    for (size_t i : Extremes()) add_center(problem_.completed[i].x);
    const std::vector<std::vector<double>> raw_rows =
        ScreenPoints(problem_.dims, options_, centers, MixSeed(stream, 0x5A3), &rng);
    const auto raw = ToTensor(raw_rows, d_);
    const auto raw_acq = Acquisition(raw, s);
    const int64_t starts = std::min<int64_t>(options_.refine_starts, raw.size(0));
    const auto top = std::get<1>(raw_acq.topk(starts));
    // Local search (mo_local_search.h) from the best screened points and
    // from the centres themselves.
    std::vector<std::vector<double>> best;
    for (int64_t i = 0; i < starts; ++i) best.push_back(raw_rows[top[i].item<int64_t>()]);
    for (const auto& c : centers) {
      if (IsNew(c, best)) best.push_back(c);
    }
    const BatchAcquisition acquisition = [&s, this](const std::vector<std::vector<double>>& rows) {
      const auto v = Acquisition(ToTensor(rows, d_), s).contiguous();
      return std::vector<double>(v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
    };
    std::vector<double> best_v = acquisition(best);
    LocalSearch(acquisition, MovableCoordinates(problem_.dims), LocalSearchOptions{}, &rng, &best,
                &best_v);
    std::vector<std::vector<double>> cands = best;
    const auto raw_top =
        std::get<1>(raw_acq.topk(std::min<int64_t>(kSnappedRawCandidates, raw.size(0))));
    for (int64_t i = 0; i < raw_top.size(0); ++i)
      cands.push_back(raw_rows[raw_top[i].item<int64_t>()]);
    return RankSnapped(problem_.dims, std::move(cands),
                       [&s, this](const torch::Tensor& t) { return Acquisition(t, s); });
  }

  const GpOptions& options_;
  const Problem& problem_;
  const uint64_t seed_;
  const int64_t d_;
  MoGpSuggester::Checkpoints* checkpoints_;
  const std::atomic<bool>* cancelled_;
  SuggestionBatch batch_;
  std::vector<GpModel> objectives_, constraints_;
  std::vector<double> lo_, range_, thresholds_;
  std::vector<std::vector<double>> observed_;  // normalized warped objectives of completed points
  std::vector<size_t> feasible_;
  // Normalized believed objectives of pending and already chosen points
  // whose believed constraints hold.
  std::vector<std::vector<double>> believed_;
};

}  // namespace

MoGpSuggester::MoGpSuggester(GpOptions options)
    : options_(std::move(options)), checkpoints_(std::make_shared<Checkpoints>()) {}

StatusOr<std::vector<std::vector<double>>> MoGpSuggester::Suggest(
    const Problem& problem, int count, uint64_t seed, std::vector<bool>* from_model,
    const std::atomic<bool>* cancelled) const {
  HPS_RETURN_IF_ERROR(ValidateSuggestRequest(options_, problem, count));
  Run run(options_, problem, seed, checkpoints_.get(), cancelled);
  HPS_ASSIGN_OR_RETURN(std::vector<std::vector<double>> points, run.Suggest(count));
  if (from_model)
    from_model->insert(from_model->end(), run.from_model().begin(), run.from_model().end());
  return points;
}

}  // namespace hpsweep::coordinator::bo
