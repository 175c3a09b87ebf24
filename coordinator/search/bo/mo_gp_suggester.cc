#include "coordinator/search/bo/mo_gp_suggester.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <string>

#include "coordinator/search/bo/gp.h"
#include "coordinator/search/bo/mo_acquisition.h"
#include "coordinator/search/bo/outcome_transform.h"
#include "coordinator/search/bo/sobol.h"

namespace hpsweep::coordinator::bo {
namespace {

constexpr double kSamePoint = 1e-9;
// ParEGO's augmentation weight (Knowles 2006): keeps weakly dominated points
// from tying with the points that dominate them.
constexpr double kRho = 0.05;
// Softplus temperature of the improvement, in normalized objective units.
constexpr double kTau = 1e-3;
// Monte Carlo samples of the objectives per candidate.
constexpr int kMcSamples = 128;
constexpr int kLocalCenters = 5;
// Local search after the screen: rounds of perturbations with shrinking
// spread (unit-cube units).
constexpr double kLocalSpreads[] = {0.05, 0.02, 0.008, 0.003};
constexpr int kPerturbations = 16;
constexpr int kSnappedRawCandidates = 32;

torch::TensorOptions F64() { return torch::TensorOptions().dtype(torch::kFloat64); }

torch::Tensor ToTensor(const std::vector<std::vector<double>>& rows, int64_t d) {
  auto t = torch::empty({static_cast<int64_t>(rows.size()), d}, F64());
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int64_t j = 0; j < d; ++j) a[i][j] = rows[i][j];
  }
  return t;
}

bool IsNew(const std::vector<double>& x, const std::vector<std::vector<double>>& seen) {
  for (const auto& s : seen) {
    if (MaxAbsDistance(x, s) < kSamePoint) return false;
  }
  return true;
}

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

class Run {
 public:
  Run(const GpOptions& options, const Problem& problem, uint64_t seed, const std::atomic<bool>* cancelled)
      : options_(options), problem_(problem), seed_(seed), d_(CoordinateCount(problem.dims)), cancelled_(cancelled) {
    for (const auto& o : problem.completed) seen_.push_back(o.x);
    for (const auto& p : problem.failed) seen_.push_back(p.x);
    for (const auto& p : problem.pending) seen_.push_back(p.x);
    known_ = seen_.size();
  }

  const std::vector<bool>& from_model() const { return from_model_; }

  StatusOr<std::vector<std::vector<double>>> Suggest(int count) {
    const int n_dims = static_cast<int>(problem_.dims.size());
    const size_t n_init = options_.initial_design > 0 ? options_.initial_design : std::max(5, 2 * n_dims);
    SobolSequence design(n_dims, MixSeed(seed_, 0xD5));
    design.Skip(known_);
    const bool can_model = !problem_.completed.empty() && problem_.completed.size() + problem_.failed.size() >= 2;
    while (static_cast<int>(out_.size()) < count && (known_ + out_.size() < n_init || !can_model)) {
      out_.push_back(NextDesignPoint(&design));
      from_model_.push_back(false);
    }
    if (static_cast<int>(out_.size()) == count) return out_;
    try {
      HPS_RETURN_IF_ERROR(BuildModels());
      while (static_cast<int>(out_.size()) < count) {
        HPS_RETURN_IF_ERROR(CheckCancelled());
        std::vector<std::vector<double>> ranked = Maximize();
        std::vector<double> pick;
        for (auto& c : ranked) {
          if (IsNew(c, seen_) && IsNew(c, out_)) {
            pick = std::move(c);
            break;
          }
        }
        from_model_.push_back(!pick.empty());
        if (pick.empty()) pick = NextDesignPoint(&design);
        out_.push_back(pick);
        if (static_cast<int>(out_.size()) < count) HPS_RETURN_IF_ERROR(Believe({pick}));
      }
    } catch (const c10::Error& e) {
      return InternalError(std::string("MoGpSuggester: ") + e.what_without_backtrace());
    }
    return out_;
  }

 private:
  std::vector<double> NextDesignPoint(SobolSequence* design) {
    std::vector<double> x;
    for (int tries = 0; tries < 64; ++tries) {
      x = PointFromDesign(problem_.dims, design->Next());
      if (IsNew(x, seen_) && IsNew(x, out_)) break;
    }
    return x;
  }

  Status CheckCancelled() const {
    if (cancelled_ != nullptr && cancelled_->load(std::memory_order_relaxed)) {
      return CancelledError("multi-objective GP suggestion no longer wanted");
    }
    return Status::Ok();
  }

  StatusOr<GpModel> Fit(const torch::Tensor& x, const std::vector<double>& y, uint64_t stream) {
    const auto yt = torch::tensor(y, F64());
    HPS_ASSIGN_OR_RETURN(GpHyperparameters hp,
                         FitGpHyperparameters(x, yt, options_.fit, MixSeed(seed_, stream)));
    HPS_RETURN_IF_ERROR(CheckCancelled());
    return GpModel::Create(x, yt, std::move(hp));
  }

  Status BuildModels() {
    const size_t n = problem_.completed.size();
    const size_t k_obj = problem_.NumObjectives();
    const size_t k_con = problem_.NumConstraints();
    std::vector<std::vector<double>> xs;
    for (const auto& o : problem_.completed) xs.push_back(NeutralizeInactive(problem_.dims, o.x, o.active));
    for (const auto& f : problem_.failed) xs.push_back(NeutralizeInactive(problem_.dims, f.x, f.active));
    const auto x = ToTensor(xs, d_);
    // Objectives: warped per objective; the scalarization normalizes the
    // warped values of the completed points to [0, 1].
    observed_.assign(n, std::vector<double>(k_obj));
    for (size_t k = 0; k < k_obj; ++k) {
      std::vector<double> y(n);
      for (size_t i = 0; i < n; ++i) y[i] = problem_.ObjectivesOf(i)[k];
      const double worst = *std::max_element(y.begin(), y.end());
      y.resize(xs.size(), worst);  // failed trials
      y = WarpOutcomes(y).values;
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (size_t i = 0; i < n; ++i) {
        lo = std::min(lo, y[i]);
        hi = std::max(hi, y[i]);
      }
      lo_.push_back(lo);
      range_.push_back(hi - lo > 1e-9 ? hi - lo : 1.0);
      for (size_t i = 0; i < n; ++i) observed_[i][k] = (y[i] - lo) / range_.back();
      HPS_ASSIGN_OR_RETURN(GpModel m, Fit(x, y, 0x0B000 + k));
      objectives_.push_back(std::move(m));
    }
    // Constraints: standardized; the threshold 0 moves with them.
    for (size_t c = 0; c < k_con; ++c) {
      std::vector<double> g(n);
      for (size_t i = 0; i < n; ++i) g[i] = problem_.constraints[i][c];
      const double worst = *std::max_element(g.begin(), g.end());
      g.resize(xs.size(), std::max(worst, 0.0) + 1.0);  // failed: infeasible
      const double mean = Mean(g);
      double var = 0;
      for (double v : g) var += (v - mean) * (v - mean);
      const double sd = g.size() > 1 && var > 0 ? std::sqrt(var / (g.size() - 1)) : 1.0;
      for (double& v : g) v = (v - mean) / sd;
      thresholds_.push_back(-mean / sd);
      HPS_ASSIGN_OR_RETURN(GpModel m, Fit(x, g, 0x0C000 + c));
      constraints_.push_back(std::move(m));
    }
    // Incumbents: feasible completed points (their normalized objectives).
    for (size_t i = 0; i < n; ++i) {
      if (problem_.IsFeasible(i)) feasible_.push_back(i);
    }
    std::vector<std::vector<double>> pending;
    for (const auto& p : problem_.pending) pending.push_back(NeutralizeInactive(problem_.dims, p.x, p.active));
    if (!pending.empty()) HPS_RETURN_IF_ERROR(Believe(pending));
    return Status::Ok();
  }

  // Kriging believer: every model takes its posterior mean at `points` as
  // observed.
  Status Believe(const std::vector<std::vector<double>>& points) {
    torch::NoGradGuard no_grad;
    const auto xp = ToTensor(points, d_);
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
    torch::Tensor weights;  // [K]
    torch::Tensor base;     // [S, K]
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
      const auto samples = mu + sd * s.base.unsqueeze(0);   // [m,S,K]
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
    for (size_t i : feasible_) {
      const auto f = torch::tensor(observed_[i], F64());
      const double v = ChebyshevScalarize(f, s.weights, kRho).item<double>();
      s.best = s.best ? std::min(*s.best, v) : v;
    }
    return s;
  }

  // Candidate points (snapped, in the space), best acquisition first.
  std::vector<std::vector<double>> Maximize() {
    const uint64_t stream = MixSeed(seed_, known_ + out_.size());
    Rng rng(MixSeed(stream, 0x40BE));
    const Scalarization s = Draw(&rng);
    // Local centres: the feasible points best under this scalarization
    // (else the least violating ones).
    std::vector<size_t> order = feasible_;
    std::vector<double> score(problem_.completed.size());
    for (size_t i = 0; i < score.size(); ++i) {
      score[i] = problem_.IsFeasible(i)
                     ? ChebyshevScalarize(torch::tensor(observed_[i], F64()), s.weights, kRho).item<double>()
                     : problem_.Violation(i);
    }
    if (order.empty()) {
      order.resize(score.size());
      std::iota(order.begin(), order.end(), 0);
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
    std::vector<std::vector<double>> centers;
    for (size_t i = 0; i < order.size() && static_cast<int>(i) < kLocalCenters; ++i) {
      centers.push_back(problem_.completed[order[i]].x);
    }
    SobolSequence sobol(static_cast<int>(d_), MixSeed(stream, 0x5A3));
    std::vector<std::vector<double>> raw_rows;
    for (int i = 0; i < options_.raw_samples; ++i) raw_rows.push_back(sobol.Next());
    for (int i = 0; i < options_.local_samples && !centers.empty(); ++i) {
      std::vector<double> p = centers[i % centers.size()];
      const double sd = i % 2 == 0 ? 0.02 : 0.1;
      for (double& v : p) v = std::clamp(v + sd * rng.Normal(), 0.0, 1.0);
      raw_rows.push_back(std::move(p));
    }
    for (auto& row : raw_rows) SnapToSpace(problem_.dims, &row);
    const auto raw = ToTensor(raw_rows, d_);
    const auto raw_acq = Acquisition(raw, s);
    const int64_t starts = std::min<int64_t>(options_.refine_starts, raw.size(0));
    const auto top = std::get<1>(raw_acq.topk(starts));
    // Local search around the best starts: perturb the movable coordinates,
    // keep what improves.
    std::vector<std::vector<double>> best;
    std::vector<double> best_v;
    for (int64_t i = 0; i < starts; ++i) {
      best.push_back(raw_rows[top[i].item<int64_t>()]);
      best_v.push_back(raw_acq[top[i].item<int64_t>()].item<double>());
    }
    const std::vector<bool> movable = Movable();
    for (double spread : kLocalSpreads) {
      std::vector<std::vector<double>> trial;
      for (size_t b = 0; b < best.size(); ++b) {
        for (int j = 0; j < kPerturbations; ++j) {
          std::vector<double> p = best[b];
          for (int64_t c = 0; c < d_; ++c) {
            if (movable[c]) p[c] = std::clamp(p[c] + spread * rng.Normal(), 0.0, 1.0);
          }
          trial.push_back(std::move(p));
        }
      }
      const auto v = Acquisition(ToTensor(trial, d_), s);
      const auto acc = v.accessor<double, 1>();
      for (size_t b = 0; b < best.size(); ++b) {
        for (int j = 0; j < kPerturbations; ++j) {
          const size_t t = b * kPerturbations + j;
          if (acc[t] > best_v[b]) {
            best_v[b] = acc[t];
            best[b] = trial[t];
          }
        }
      }
    }
    std::vector<std::vector<double>> cands = best;
    const auto raw_top = std::get<1>(raw_acq.topk(std::min<int64_t>(kSnappedRawCandidates, raw.size(0))));
    for (int64_t i = 0; i < raw_top.size(0); ++i) cands.push_back(raw_rows[raw_top[i].item<int64_t>()]);
    for (auto& c : cands) SnapToSpace(problem_.dims, &c);
    const auto cand_acq = Acquisition(ToTensor(cands, d_), s);
    std::vector<int64_t> idx(cands.size());
    std::iota(idx.begin(), idx.end(), 0);
    const auto acc = cand_acq.accessor<double, 1>();
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return acc[a] > acc[b]; });
    std::vector<std::vector<double>> ranked;
    for (int64_t i : idx) ranked.push_back(cands[i]);
    return ranked;
  }

  // Per coordinate: false for one-hot (categorical) coordinates.
  std::vector<bool> Movable() const {
    std::vector<bool> m;
    for (const Dimension& dim : problem_.dims) {
      if (dim.kind == Dimension::Kind::kCategorical) {
        m.insert(m.end(), dim.num_levels, false);
      } else {
        m.push_back(true);
      }
    }
    return m;
  }

  const GpOptions& options_;
  const Problem& problem_;
  const uint64_t seed_;
  const int64_t d_;
  const std::atomic<bool>* cancelled_;
  std::vector<std::vector<double>> seen_;
  size_t known_ = 0;
  std::vector<std::vector<double>> out_;
  std::vector<bool> from_model_;
  std::vector<GpModel> objectives_, constraints_;
  std::vector<double> lo_, range_, thresholds_;
  std::vector<std::vector<double>> observed_;  // normalized warped objectives of completed points
  std::vector<size_t> feasible_;
};

}  // namespace

StatusOr<std::vector<std::vector<double>>> MoGpSuggester::Suggest(const Problem& problem, int count,
                                                                  uint64_t seed, std::vector<bool>* from_model,
                                                                  const std::atomic<bool>* cancelled) const {
  HPS_RETURN_IF_ERROR(options_.Validate());
  HPS_RETURN_IF_ERROR(ValidateProblem(problem));
  if (count < 1) return InvalidArgumentError("count must be >= 1", "count");
  Run run(options_, problem, seed, cancelled);
  HPS_ASSIGN_OR_RETURN(std::vector<std::vector<double>> points, run.Suggest(count));
  if (from_model) from_model->insert(from_model->end(), run.from_model().begin(), run.from_model().end());
  return points;
}

}  // namespace hpsweep::coordinator::bo
