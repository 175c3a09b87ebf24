#include "coordinator/search/bo/tpe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "coordinator/search/bo/outcome_transform.h"
#include "coordinator/search/bo/sobol.h"
#include "coordinator/search/bo/tpe_split.h"

namespace hpsweep::coordinator::bo {
namespace {

constexpr double kSamePoint = 1e-9;
constexpr double kLogInvSqrt2Pi = -0.91893853320467274178;
// Optuna's SIGMA0_MAGNITUDE, its fixed spread for every group: one of the
// two widths a kernel's bandwidth averages (see Parzen), and the spread of
// a group with no active member along a Dimension.
constexpr double kSigma0 = 0.2;

bool IsNew(const std::vector<double>& x, const std::vector<std::vector<double>>& seen) {
  for (const auto& s : seen) {
    if (MaxAbsDistance(x, s) < kSamePoint) return false;
  }
  return true;
}

// A trial as the estimator sees it.
struct Member {
  const std::vector<double>* x;
  const std::vector<bool>* active;  // per Dimension; may be empty
  double weight;
};

bool Active(const Member& s, size_t dim) { return s.active->empty() || (*s.active)[dim]; }

// Integer bins: level positions and the edges between them.
struct IntegerBins {
  std::vector<double> levels;
  std::vector<double> edges;  // levels.size() + 1
};

IntegerBins BinsFor(const Dimension& d) {
  IntegerBins b;
  if (!d.levels.empty()) {
    b.levels = d.levels;
  } else if (d.num_levels <= 1) {
    b.levels = {0.5};
  } else {
    for (int i = 0; i < d.num_levels; ++i) b.levels.push_back(static_cast<double>(i) / (d.num_levels - 1));
  }
  const size_t n = b.levels.size();
  const double half_first = n > 1 ? 0.5 * (b.levels[1] - b.levels[0]) : 0.5;
  const double half_last = n > 1 ? 0.5 * (b.levels[n - 1] - b.levels[n - 2]) : 0.5;
  b.edges.push_back(b.levels[0] - half_first);
  for (size_t i = 1; i < n; ++i) b.edges.push_back(0.5 * (b.levels[i - 1] + b.levels[i]));
  b.edges.push_back(b.levels[n - 1] + half_last);
  return b;
}

// One group's Parzen estimator.
class Parzen {
 public:
  Parzen(const std::vector<Dimension>& dims, const std::vector<IntegerBins>& bins, std::vector<Member> samples,
         double prior_weight)
      : dims_(dims), bins_(bins), samples_(std::move(samples)) {
    double total = prior_weight;
    for (const auto& s : samples_) total += s.weight;
    log_prior_weight_ = std::log(prior_weight / total);
    for (const auto& s : samples_) log_weights_.push_back(std::log(s.weight / total));
    cumulative_.reserve(samples_.size() + 1);
    double acc = 0;
    for (const auto& s : samples_) cumulative_.push_back(acc += s.weight / total);
    cumulative_.push_back(1.0);
    const double n = std::max<double>(1.0, samples_.size());
    const double n_kernels = samples_.size() + 1.0;
    const double shrink = std::pow(n, -1.0 / (dims.size() + 4.0));
    // Optuna's "magic clip": never narrower than 1/min(100, 1 + kernels).
    const double narrowest = 1.0 / std::min(100.0, 1.0 + n_kernels);
    sigma_.assign(dims.size(), 1.0);
    size_t coord = 0;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i].kind == Dimension::Kind::kCategorical) {
        coord += dims[i].num_levels;
        continue;
      }
      // The geometric mean of two widths, both times n^(-1/(d+4)): Scott's
      // rule's (the group's own spread along the Dimension, as BOHB's KDE)
      // and Optuna 3.1's fixed spread of 0.2. Scott's alone narrows the
      // kernels where a handful of early good trials happen to agree, and
      // the search settles too soon; the fixed width alone never narrows
      // where the good trials do agree. The square root is the partial
      // adaptation of Abramson's square-root law for adaptive kernel
      // estimators (Abramson 1982; Silverman 1986, 5.3): a pilot width
      // moved halfway, on a log scale, toward what the data say.
      const double scott = Spread(i, coord, prior_weight);
      sigma_[i] = std::clamp(std::sqrt(scott * kSigma0) * shrink, narrowest, 1.0);
      coord += 1;
    }
    // Optuna's categorical kernel: prior_weight / (n + 1) on every choice
    // plus 1 on the observed one (sharper as the group grows).
    cat_smoothing_ = prior_weight / (samples_.size() + 1.0);
  }

  // Draws one point (in the encoded space).
  std::vector<double> Sample(Rng* rng) const {
    const double u = rng->Uniform();
    const size_t c = std::lower_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin();
    const bool prior = c >= samples_.size();
    std::vector<double> x;
    size_t coord = 0;
    for (size_t i = 0; i < dims_.size(); ++i) {
      const Dimension& d = dims_[i];
      const bool uniform = prior || !Active(samples_[c], i);
      switch (d.kind) {
        case Dimension::Kind::kContinuous: {
          const double mu = uniform ? 0.5 : (*samples_[c].x)[coord];
          x.push_back(TruncatedNormal(rng, mu, uniform ? 1.0 : sigma_[i], 0.0, 1.0));
          coord += 1;
          break;
        }
        case Dimension::Kind::kInteger: {
          const IntegerBins& b = bins_[i];
          const double lo = b.edges.front(), hi = b.edges.back();
          const double mu = uniform ? 0.5 * (lo + hi) : (*samples_[c].x)[coord];
          const double v = TruncatedNormal(rng, mu, (uniform ? 1.0 : sigma_[i]) * (hi - lo), lo, hi);
          size_t k = std::upper_bound(b.edges.begin() + 1, b.edges.end() - 1, v) - (b.edges.begin() + 1);
          x.push_back(b.levels[k]);
          coord += 1;
          break;
        }
        case Dimension::Kind::kCategorical: {
          const int k = d.num_levels;
          std::vector<double> p(k, 1.0 / k);
          if (!uniform) {
            for (int j = 0; j < k; ++j) p[j] = Categorical(samples_[c], coord, j, k);
          }
          double r = rng->Uniform(), acc = 0;
          int choice = k - 1;
          for (int j = 0; j < k; ++j) {
            if (r < (acc += p[j])) {
              choice = j;
              break;
            }
          }
          for (int j = 0; j < k; ++j) x.push_back(j == choice ? 1.0 : 0.0);
          coord += k;
          break;
        }
      }
    }
    return x;
  }

  // log density (mass for discrete coordinates) of x.
  double LogPdf(const std::vector<double>& x) const {
    std::vector<double> terms;
    terms.reserve(samples_.size() + 1);
    terms.push_back(log_prior_weight_ + LogPrior(x));
    for (size_t s = 0; s < samples_.size(); ++s) {
      double lp = log_weights_[s];
      size_t coord = 0;
      for (size_t i = 0; i < dims_.size(); ++i) {
        const Dimension& d = dims_[i];
        const bool active = Active(samples_[s], i);
        switch (d.kind) {
          case Dimension::Kind::kContinuous:
            lp += active ? LogTruncatedNormalPdf(x[coord], (*samples_[s].x)[coord], sigma_[i], 0.0, 1.0) : 0.0;
            coord += 1;
            break;
          case Dimension::Kind::kInteger:
            lp += active ? LogIntegerMass(i, x[coord], (*samples_[s].x)[coord], sigma_[i])
                         : -std::log(static_cast<double>(bins_[i].levels.size()));
            coord += 1;
            break;
          case Dimension::Kind::kCategorical: {
            const int k = d.num_levels;
            const int j = ArgMax(x, coord, k);
            lp += active ? std::log(Categorical(samples_[s], coord, j, k)) : -std::log(static_cast<double>(k));
            coord += k;
            break;
          }
        }
      }
      terms.push_back(lp);
    }
    const double m = *std::max_element(terms.begin(), terms.end());
    double sum = 0;
    for (double t : terms) sum += std::exp(t - m);
    return m + std::log(sum);
  }

 private:
  static int ArgMax(const std::vector<double>& x, size_t coord, int k) {
    int j = 0;
    for (int t = 1; t < k; ++t) {
      if (x[coord + t] > x[coord + j]) j = t;
    }
    return j;
  }

  // Probability of choice j under sample s's smoothed indicator.
  double Categorical(const Member& s, size_t coord, int j, int k) const {
    const int observed = ArgMax(*s.x, coord, k);
    return (cat_smoothing_ + (j == observed ? 1.0 : 0.0)) / (k * cat_smoothing_ + 1.0);
  }

  // Mass of x's integer level under a Gaussian kernel at mu (sd in units of
  // the bins' span), truncated to the span.
  double LogIntegerMass(size_t i, double x, double mu, double sigma) const {
    const IntegerBins& b = bins_[i];
    const size_t k = std::min_element(b.levels.begin(), b.levels.end(),
                                      [&](double a, double c) { return std::abs(a - x) < std::abs(c - x); }) -
                     b.levels.begin();
    const double lo = b.edges.front(), hi = b.edges.back();
    const double sd = sigma * (hi - lo);
    const double mass =
        (NormalCdf((b.edges[k + 1] - mu) / sd) - NormalCdf((b.edges[k] - mu) / sd)) /
        (NormalCdf((hi - mu) / sd) - NormalCdf((lo - mu) / sd));
    return std::log(std::max(mass, 1e-300));
  }

  // The prior component, as Sample draws it: a truncated Gaussian at the
  // middle with the range as its width per numeric Dimension, uniform per
  // categorical one.
  double LogPrior(const std::vector<double>& x) const {
    double lp = 0;
    size_t coord = 0;
    for (size_t i = 0; i < dims_.size(); ++i) {
      switch (dims_[i].kind) {
        case Dimension::Kind::kContinuous:
          lp += LogTruncatedNormalPdf(x[coord], 0.5, 1.0, 0.0, 1.0);
          coord += 1;
          break;
        case Dimension::Kind::kInteger:
          lp += LogIntegerMass(i, x[coord], 0.5 * (bins_[i].edges.front() + bins_[i].edges.back()), 1.0);
          coord += 1;
          break;
        case Dimension::Kind::kCategorical:
          lp -= std::log(static_cast<double>(dims_[i].num_levels));
          coord += dims_[i].num_levels;
          break;
      }
    }
    return lp;
  }

  // Scott's rule's scale for Dimension i: the weighted standard deviation of
  // the members' coordinates (in units of the span), the prior component
  // counted as a uniform member (variance 1/12) with its weight.
  double Spread(size_t i, size_t coord, double prior_weight) const {
    double lo = 0, hi = 1;
    if (dims_[i].kind == Dimension::Kind::kInteger) {
      lo = bins_[i].edges.front();
      hi = bins_[i].edges.back();
    }
    double w = 0, mean = 0;
    for (const auto& s : samples_) {
      if (!Active(s, i)) continue;
      w += s.weight;
      mean += s.weight * ((*s.x)[coord] - lo) / (hi - lo);
    }
    if (w <= 0) return kSigma0;
    mean /= w;
    double var = prior_weight * (1.0 / 12.0 + (0.5 - mean) * (0.5 - mean));
    for (const auto& s : samples_) {
      if (!Active(s, i)) continue;
      const double z = ((*s.x)[coord] - lo) / (hi - lo) - mean;
      var += s.weight * z * z;
    }
    return std::sqrt(var / (w + prior_weight));
  }

  static double TruncatedNormal(Rng* rng, double mu, double sd, double lo, double hi) {
    for (int i = 0; i < 256; ++i) {
      const double v = mu + sd * rng->Normal();
      if (v >= lo && v <= hi) return v;
    }
    return std::clamp(mu, lo, hi);
  }

  static double LogTruncatedNormalPdf(double x, double mu, double sd, double lo, double hi) {
    const double z = (x - mu) / sd;
    const double mass = NormalCdf((hi - mu) / sd) - NormalCdf((lo - mu) / sd);
    return kLogInvSqrt2Pi - 0.5 * z * z - std::log(sd) - std::log(std::max(mass, 1e-300));
  }

  const std::vector<Dimension>& dims_;
  const std::vector<IntegerBins>& bins_;
  std::vector<Member> samples_;
  std::vector<double> log_weights_;
  std::vector<double> cumulative_;
  double log_prior_weight_ = 0;
  std::vector<double> sigma_;  // per Dimension, in units of its span
  double cat_smoothing_ = 1;
};

// The good group's weights (one objective): each member's improvement over
// the split, the best value of the bad group, scaled to a mean of 1 (the
// "EI" weighting of Watanabe 2023, "Tree-structured Parzen estimator:
// understanding its algorithm components", arXiv:2304.11127). With these
// weights l(x) is the density of the improvement a point brought rather
// than of its membership alone, so the ratio l/g follows expected improvement:
// the best trial pulls more than one that barely made the group. Equal
// weights when there is no bad group or no member improves on the split.
std::vector<double> ImprovementWeights(const Problem& problem, const std::vector<size_t>& good,
                                       const std::vector<size_t>& bad) {
  std::vector<double> w(good.size(), 1.0);
  double split = std::numeric_limits<double>::infinity();
  for (size_t i : bad) split = std::min(split, problem.completed[i].y);
  if (!std::isfinite(split)) return w;
  double sum = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    w[i] = std::max(0.0, split - problem.completed[good[i]].y);
    sum += w[i];
  }
  if (!(sum > 0)) return std::vector<double>(good.size(), 1.0);
  for (double& v : w) v = std::max(v * good.size() / sum, 1e-12);
  return w;
}

// Optuna's default_weights: 1 for the newest 25, a linear ramp before.
std::vector<double> RecencyWeights(size_t n) {
  std::vector<double> w(n, 1.0);
  if (n <= 25) return w;
  const size_t ramp = n - 25;
  for (size_t i = 0; i < ramp; ++i) w[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (ramp - 1);
  return w;
}

}  // namespace

Status TpeOptions::Validate() const {
  if (startup_trials < 0) return InvalidArgumentError("must be >= 0", "startup_trials");
  if (ei_candidates < 1) return InvalidArgumentError("must be >= 1", "ei_candidates");
  if (!(prior_weight > 0)) return InvalidArgumentError("must be > 0", "prior_weight");
  if (!(gamma_fraction > 0 && gamma_fraction <= 1)) return InvalidArgumentError("must be in (0,1]", "gamma_fraction");
  if (gamma_max < 1) return InvalidArgumentError("must be >= 1", "gamma_max");
  return Status::Ok();
}

StatusOr<std::vector<std::vector<double>>> TpeSuggester::Suggest(const Problem& problem, int count,
                                                                 uint64_t seed,
                                                                 std::vector<bool>* from_model,
                                                                 const std::atomic<bool>*) const {
  HPS_RETURN_IF_ERROR(options_.Validate());
  HPS_RETURN_IF_ERROR(ValidateProblem(problem));
  if (count < 1) return InvalidArgumentError("count must be >= 1", "count");
  const auto& dims = problem.dims;
  std::vector<std::vector<double>> seen = problem.KnownPoints();
  const size_t known = seen.size();
  std::vector<IntegerBins> bins(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i].kind == Dimension::Kind::kInteger) bins[i] = BinsFor(dims[i]);
  }
  SobolSequence design(static_cast<int>(dims.size()), MixSeed(seed, 0xD5));
  design.Skip(known);
  auto next_design = [&](const std::vector<std::vector<double>>& out) {
    std::vector<double> x;
    for (int tries = 0; tries < 64; ++tries) {
      x = PointFromDesign(dims, design.Next());
      if (IsNew(x, seen) && IsNew(x, out)) break;
    }
    return x;
  };

  // Completed trials, best first (ties by trial order).
  std::vector<size_t> order(problem.completed.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return problem.completed[a].y < problem.completed[b].y; });
  const size_t n = problem.completed.size();
  const size_t n_good =
      std::clamp<size_t>(static_cast<size_t>(std::ceil(options_.gamma_fraction * n)), 1,
                         static_cast<size_t>(options_.gamma_max));

  const bool multi = problem.NumObjectives() > 1 || problem.NumConstraints() > 0;
  std::optional<TpeSplit> split;
  const std::vector<bool> all_active;  // this batch's points: no mask
  std::vector<std::vector<double>> out;
  while (static_cast<int>(out.size()) < count) {
    if (known + out.size() < static_cast<size_t>(options_.startup_trials) || n < 2) {
      out.push_back(next_design(out));
      if (from_model) from_model->push_back(false);
      continue;
    }
    // Good: the best n_good; bad: the rest in trial order, then failed and
    // (constant liar) pending trials and this batch's earlier points.
    // Several objectives or constraints: tpe_split.h's MOTPE split.
    std::vector<size_t> good_idx, bad_idx;
    std::vector<double> wg;
    if (multi) {
      if (!split) split = SplitGoodBad(problem, n_good);  // the same for every point of the batch
      good_idx = split->good;
      bad_idx = split->bad;
      wg = split->good_weights;
    } else {
      good_idx.assign(order.begin(), order.begin() + std::min(n_good, n));
      bad_idx.assign(order.begin() + std::min(n_good, n), order.end());
      std::sort(good_idx.begin(), good_idx.end());
      std::sort(bad_idx.begin(), bad_idx.end());
      wg = ImprovementWeights(problem, good_idx, bad_idx);
    }
    std::vector<Member> good, bad;
    for (size_t i = 0; i < good_idx.size(); ++i) {
      good.push_back({&problem.completed[good_idx[i]].x, &problem.completed[good_idx[i]].active, wg[i]});
    }
    std::vector<Member> extra;
    for (const auto& f : problem.failed) extra.push_back({&f.x, &f.active, 1.0});
    if (options_.constant_liar) {
      for (const auto& p : problem.pending) extra.push_back({&p.x, &p.active, 1.0});
      for (const auto& x : out) extra.push_back({&x, &all_active, 1.0});
    }
    const std::vector<double> wb = RecencyWeights(bad_idx.size() + extra.size());
    for (size_t i = 0; i < bad_idx.size(); ++i) {
      bad.push_back({&problem.completed[bad_idx[i]].x, &problem.completed[bad_idx[i]].active, wb[i]});
    }
    for (size_t i = 0; i < extra.size(); ++i) {
      extra[i].weight = wb[bad_idx.size() + i];
      bad.push_back(extra[i]);
    }
    const Parzen l(dims, bins, std::move(good), options_.prior_weight);
    const Parzen g(dims, bins, std::move(bad), options_.prior_weight);
    Rng rng(MixSeed(seed, 0x7E0000 + known + out.size()));
    std::vector<std::pair<double, std::vector<double>>> scored;
    for (int i = 0; i < options_.ei_candidates; ++i) {
      std::vector<double> x = l.Sample(&rng);
      const double score = l.LogPdf(x) - g.LogPdf(x);
      scored.push_back({score, std::move(x)});
    }
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<double> pick;
    for (auto& [score, x] : scored) {
      if (IsNew(x, seen) && IsNew(x, out)) {
        pick = std::move(x);
        break;
      }
    }
    if (from_model) from_model->push_back(!pick.empty());
    if (pick.empty()) pick = next_design(out);
    out.push_back(std::move(pick));
  }
  return out;
}

}  // namespace hpsweep::coordinator::bo
