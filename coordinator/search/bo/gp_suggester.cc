#include "coordinator/search/bo/gp_suggester.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <utility>

#include "coordinator/search/bo/acquisition.h"
#include "coordinator/search/bo/gp.h"
#include "coordinator/search/bo/outcome_transform.h"
#include "coordinator/search/bo/sobol.h"
#include "coordinator/search/bo/suggest_common.h"

namespace hpsweep::coordinator::bo {
namespace {

// Raw points, after snapping, also ranked as final candidates.
constexpr int kSnappedRawCandidates = 32;
// Incumbents that local samples are drawn around.
constexpr int kLocalCenters = 5;
// Projected Adam: step size in unit-cube units, decayed geometrically.
constexpr double kAdamLrStart = 0.05;
constexpr double kAdamLrEnd = 0.001;

// Encoded positions of an integer Dimension's values.
std::vector<double> LevelsOf(const Dimension& d) {
  if (!d.levels.empty()) return d.levels;
  if (d.num_levels <= 1) return {0.5};
  std::vector<double> levels;
  for (int i = 0; i < d.num_levels; ++i) {
    levels.push_back(static_cast<double>(i) / (d.num_levels - 1));
  }
  return levels;
}

// The discrete neighbourhood of x, for local search of the acquisition
// over integer and categorical Dimensions (as BoTorch's
// optimize_acqf_mixed_alternating): gradient ascent on the relaxed space
// moves continuous coordinates, but a relaxed integer or one-hot coordinate
// snaps back unless a step crosses half a level. The points that differ from
// x in one Dimension: an integer a level down or up, a categorical another
// choice; continuous coordinates kept.
std::vector<std::vector<double>> DiscreteNeighbours(const std::vector<Dimension>& dims,
                                                    const std::vector<double>& x) {
  std::vector<std::vector<double>> out;
  size_t c = 0;
  for (const Dimension& d : dims) {
    switch (d.kind) {
      case Dimension::Kind::kContinuous:
        c += 1;
        break;
      case Dimension::Kind::kInteger: {
        const std::vector<double> levels = LevelsOf(d);
        size_t k = 0;
        for (size_t i = 1; i < levels.size(); ++i) {
          if (std::abs(levels[i] - x[c]) < std::abs(levels[k] - x[c])) k = i;
        }
        if (k > 0) {
          out.push_back(x);
          out.back()[c] = levels[k - 1];
        }
        if (k + 1 < levels.size()) {
          out.push_back(x);
          out.back()[c] = levels[k + 1];
        }
        c += 1;
        break;
      }
      case Dimension::Kind::kCategorical: {
        for (int j = 0; j < d.num_levels; ++j) {
          if (x[c + j] == 1.0) continue;
          out.push_back(x);
          for (int t = 0; t < d.num_levels; ++t) out.back()[c + t] = t == j ? 1.0 : 0.0;
        }
        c += d.num_levels;
        break;
      }
    }
  }
  return out;
}

}  // namespace

// The checkpoint cache is suggest_common.h's.
struct GpSuggester::Checkpoint : FitCheckpoint {};

namespace {

// What errors and cancellations name.
constexpr char kWhat[] = "GP suggestion";

class Run {
 public:
  Run(const GpOptions& options, const Problem& problem, uint64_t seed,
      GpSuggester::Checkpoint* checkpoint, const std::atomic<bool>* cancelled)
      : options_(options),
        problem_(problem),
        seed_(seed),
        d_(CoordinateCount(problem.dims)),
        checkpoint_(checkpoint),
        cancelled_(cancelled),
        batch_(options, problem, seed) {}

  const std::vector<bool>& from_model() const { return batch_.from_model(); }

  StatusOr<std::vector<std::vector<double>>> Suggest(int count) {
    return batch_.Fill(
        count, kWhat, cancelled_, [this] { return BuildModel(); },
        [this] { return MaximizeLogEi(); },
        [this](const std::vector<double>& pick) { return Believe(pick); });
  }

 private:
  Status BuildModel() {
    std::vector<std::vector<double>> xs;
    std::vector<double> ys;
    double worst = -std::numeric_limits<double>::infinity();
    for (const auto& o : problem_.completed) {
      xs.push_back(NeutralizeInactive(problem_.dims, o.x, o.active));
      ys.push_back(o.y);
      worst = std::max(worst, o.y);
    }
    const size_t n_completed = ys.size();
    for (const auto& f : problem_.failed) {
      xs.push_back(NeutralizeInactive(problem_.dims, f.x, f.active));
      ys.push_back(worst);
    }
    const std::vector<double> raw = ys;
    // Standardized and power-warped (outcome_transform.h): heavy tails do
    // not swamp the model; the order of the values is kept.
    ys = WarpOutcomes(ys).values;
    best_f_ = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < n_completed; ++i) best_f_ = std::min(best_f_, ys[i]);
    // Incumbents for local sampling: the best completed points.
    std::vector<size_t> order(n_completed);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ys[a] < ys[b]; });
    for (size_t i = 0; i < order.size() && i < kLocalCenters; ++i) centers_.push_back(xs[order[i]]);

    const auto x = ToTensor(xs, d_);
    const auto y = torch::tensor(ys, F64());
    HPS_ASSIGN_OR_RETURN(GpHyperparameters hp, FitHyperparameters(xs, raw, x, y));
    HPS_RETURN_IF_ERROR(CheckCancelled());
    HPS_ASSIGN_OR_RETURN(GpModel model, GpModel::Create(x, y, std::move(hp)));
    model_ = std::move(model);
    if (!problem_.pending.empty()) {
      std::vector<std::vector<double>> ps;
      for (const auto& p : problem_.pending) {
        ps.push_back(NeutralizeInactive(problem_.dims, p.x, p.active));
      }
      torch::NoGradGuard no_grad;
      const auto xp = ToTensor(ps, d_);
      const auto believed = model_->Posterior(xp).first;
      best_f_ = std::min(best_f_, believed.min().item<double>());
      HPS_ASSIGN_OR_RETURN(GpModel conditioned, model_->Condition(xp, believed));
      model_ = std::move(conditioned);
    }
    return Status::Ok();
  }

  // Kriging believer: the chosen point becomes a pseudo-observation at its
  // posterior mean. A believed value is an observation: it can become the
  // incumbent, so the chosen point itself offers no further improvement.
  Status Believe(const std::vector<double>& pick) {
    torch::NoGradGuard no_grad;
    const auto xp = ToTensor({pick}, d_);
    const auto mean = model_->Posterior(xp).first;
    best_f_ = std::min(best_f_, mean.item<double>());
    HPS_ASSIGN_OR_RETURN(GpModel next, model_->Condition(xp, mean));
    model_ = std::move(next);
    return Status::Ok();
  }

  // Full fit at a checkpoint; between checkpoints, a short fit started from
  // the checkpoint's hyperparameters (the full fit of the first points, a
  // function of those points alone: cached, or recomputed once).
  StatusOr<GpHyperparameters> FitHyperparameters(const std::vector<std::vector<double>>& xs,
                                                 const std::vector<double>& raw,
                                                 const torch::Tensor& x, const torch::Tensor& y) {
    auto warp = [](const std::vector<double>& v) { return WarpOutcomes(v).values; };
    return FitWithCheckpoints(options_, xs, raw, x, y, warp, seed_, checkpoint_, cancelled_);
  }

  torch::Tensor Acquisition(const torch::Tensor& x) const {
    const auto [mean, var] = model_->Posterior(x);
    return LogExpectedImprovement(mean, var, best_f_ - margin_);
  }

  Status CheckCancelled() const { return bo::CheckCancelled(cancelled_, kWhat); }

  // [d]: 1 for continuous and integer coordinates, 0 for one-hot ones.
  torch::Tensor MovableCoordinates() const {
    const std::vector<bool> movable = bo::MovableCoordinates(problem_.dims);
    auto mask = torch::zeros({d_}, F64());
    for (int64_t c = 0; c < d_; ++c) mask[c] = movable[c] ? 1.0 : 0.0;
    return mask;
  }

  // Candidate points (snapped, in the space), best LogEI first.
  StatusOr<std::vector<std::vector<double>>> MaximizeLogEi() {
    const uint64_t stream = MixSeed(seed_, batch_.known() + batch_.size());
    // The exploration schedule (GpOptions::explore_every): a function of
    // the trial's index, so a restarted coordinator suggests the same points.
    const int every = options_.explore_every;
    margin_ = every > 0 && static_cast<int>((batch_.known() + batch_.size()) % every) == every - 1
                  ? options_.explore_margin
                  : 0.0;
    Rng rng(MixSeed(stream, 0x10CA1));
    std::vector<std::vector<double>> raw_rows =
        ScreenPoints(problem_.dims, options_, centers_, MixSeed(stream, 0x5A3), &rng);
    Rng subspace_rng(MixSeed(stream, 0x5B5));
    for (auto& x :
         SubspacePoints(problem_.dims, centers_, options_.subspace_samples, &subspace_rng)) {
      raw_rows.push_back(std::move(x));
    }
    const auto raw = ToTensor(raw_rows, d_);
    torch::Tensor raw_acq;
    {
      torch::NoGradGuard no_grad;
      raw_acq = Acquisition(raw);
    }
    const int64_t starts = std::min<int64_t>(options_.refine_starts, raw.size(0));
    const auto top = std::get<1>(raw_acq.topk(starts));
    auto x = raw.index_select(0, top).clone();
    auto best_x = x.clone();
    auto best_v = raw_acq.index_select(0, top).clone();
    if (options_.refine_steps > 0) {
      torch::NoGradGuard no_grad;
      // Projected Adam (Kingma & Ba's defaults) on closed-form gradients:
      // autograd would cost more than the arithmetic at these sizes.
      constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
      auto m1 = torch::zeros_like(x), m2 = torch::zeros_like(x);
      const auto movable = MovableCoordinates();
      const double decay = std::pow(kAdamLrEnd / kAdamLrStart, 1.0 / options_.refine_steps);
      double lr = kAdamLrStart, beta1_t = 1, beta2_t = 1;
      for (int step = 0; step < options_.refine_steps; ++step) {
        const auto post = model_->PosteriorWithGradient(x);
        const auto ei =
            LogExpectedImprovementWithGradient(post.mean, post.variance, best_f_ - margin_);
        const auto better = ei.value > best_v;
        best_v = torch::where(better, ei.value, best_v);
        best_x = torch::where(better.unsqueeze(1), x, best_x);
        // Categorical coordinates keep their start's category: ascent moves
        // the continuous and integer coordinates within it.
        const auto grad =
            (ei.d_mean.unsqueeze(1) * post.d_mean + ei.d_variance.unsqueeze(1) * post.d_variance) *
            movable;
        m1.mul_(kBeta1).add_(grad, 1 - kBeta1);
        m2.mul_(kBeta2).addcmul_(grad, grad, 1 - kBeta2);
        beta1_t *= kBeta1;
        beta2_t *= kBeta2;
        const auto step_dir = (m1 / (1 - beta1_t)) / ((m2 / (1 - beta2_t)).sqrt() + kEps);
        x.add_(step_dir, lr).clamp_(0.0, 1.0);  // ascent
        lr *= decay;
      }
      const auto v = Acquisition(x);
      const auto better = v > best_v;
      best_x = torch::where(better.unsqueeze(1), x, best_x);
    }
    // Snap refined points and the best raw points; rank by LogEI after
    // snapping (a relaxed optimum may round onto a poor point), adding the
    // ends of a discrete ascent from the best of them.
    std::vector<std::vector<double>> cands;
    for (int64_t i = 0; i < best_x.size(0); ++i) cands.push_back(Row(best_x, i));
    const auto raw_top =
        std::get<1>(raw_acq.topk(std::min<int64_t>(kSnappedRawCandidates, raw.size(0))));
    for (int64_t i = 0; i < raw_top.size(0); ++i) {
      cands.push_back(Row(raw, raw_top[i].item<int64_t>()));
    }
    for (auto& c : cands) SnapToSpace(problem_.dims, &c);
    torch::Tensor cand_acq;
    {
      torch::NoGradGuard no_grad;
      cand_acq = Acquisition(ToTensor(cands, d_));
    }
    std::vector<double> acc(cand_acq.data_ptr<double>(),
                            cand_acq.data_ptr<double>() + cand_acq.numel());
    AscendDiscrete(&cands, &acc);
    std::vector<int64_t> order(cands.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return acc[a] > acc[b]; });
    std::vector<std::vector<double>> ranked;
    for (int64_t i : order) ranked.push_back(cands[i]);
    return ranked;
  }

  // Hill-climbs LogEI over the discrete neighbourhoods of the best
  // GpOptions::discrete_starts candidates (all starts' neighbours scored in
  // one batch per move); each start that moved adds its end point and value.
  void AscendDiscrete(std::vector<std::vector<double>>* cands, std::vector<double>* acq) const {
    std::vector<size_t> by_value(cands->size());
    std::iota(by_value.begin(), by_value.end(), 0);
    std::stable_sort(by_value.begin(), by_value.end(),
                     [&](size_t a, size_t b) { return (*acq)[a] > (*acq)[b]; });
    struct Climber {
      std::vector<double> x;
      double value;
      bool moved = false, done = false;
    };
    std::vector<Climber> climbers;
    const size_t starts = static_cast<size_t>(options_.discrete_starts);
    for (size_t i = 0; i < by_value.size() && climbers.size() < starts; ++i) {
      climbers.push_back({(*cands)[by_value[i]], (*acq)[by_value[i]]});
    }
    torch::NoGradGuard no_grad;
    for (int move = 0; move < options_.discrete_moves; ++move) {
      std::vector<std::vector<double>> batch;
      std::vector<std::pair<size_t, size_t>> span;  // per climber: [begin, end) in batch
      for (const Climber& c : climbers) {
        const size_t begin = batch.size();
        if (!c.done) {
          for (auto& n : DiscreteNeighbours(problem_.dims, c.x)) batch.push_back(std::move(n));
        }
        span.push_back({begin, batch.size()});
      }
      if (batch.empty()) break;
      const auto values = Acquisition(ToTensor(batch, d_));
      const auto v = values.accessor<double, 1>();
      for (size_t c = 0; c < climbers.size(); ++c) {
        size_t best = span[c].first;
        for (size_t i = span[c].first; i < span[c].second; ++i) {
          if (v[i] > v[best]) best = i;
        }
        if (span[c].first == span[c].second || !(v[best] > climbers[c].value)) {
          climbers[c].done = true;
          continue;
        }
        climbers[c].x = batch[best];
        climbers[c].value = v[best];
        climbers[c].moved = true;
      }
    }
    for (Climber& c : climbers) {
      if (!c.moved) continue;
      cands->push_back(std::move(c.x));
      acq->push_back(c.value);
    }
  }

  const GpOptions& options_;
  const Problem& problem_;
  const uint64_t seed_;
  const int64_t d_;
  GpSuggester::Checkpoint* checkpoint_;
  const std::atomic<bool>* cancelled_;  // may be null
  SuggestionBatch batch_;
  std::optional<GpModel> model_;
  double best_f_ = 0;
  double margin_ = 0;  // improvement over best_f_ that LogEI targets
  std::vector<std::vector<double>> centers_;
};

}  // namespace

GpSuggester::GpSuggester(GpOptions options)
    : options_(std::move(options)), checkpoint_(std::make_shared<Checkpoint>()) {}

StatusOr<std::vector<std::vector<double>>> GpSuggester::Suggest(
    const Problem& problem, int count, uint64_t seed, std::vector<bool>* from_model,
    const std::atomic<bool>* cancelled) const {
  HPS_RETURN_IF_ERROR(ValidateSuggestRequest(options_, problem, count));
  Run run(options_, problem, seed, checkpoint_.get(), cancelled);
  HPS_ASSIGN_OR_RETURN(std::vector<std::vector<double>> points, run.Suggest(count));
  if (from_model) {
    from_model->insert(from_model->end(), run.from_model().begin(), run.from_model().end());
  }
  return points;
}

}  // namespace hpsweep::coordinator::bo
