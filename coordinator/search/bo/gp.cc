#include "coordinator/search/bo/gp.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "coordinator/search/bo/problem.h"

namespace hpsweep::coordinator::bo {
namespace {

constexpr double kLog2Pi = 1.8378770664093453;
constexpr double kSqrt5 = 2.23606797749979;
// Posterior variances are clamped here: round-off can take them below zero.
constexpr double kMinVariance = 1e-12;
constexpr double kNoisePriorLoc = -4.0;
constexpr double kNoisePriorScale = 1.0;
constexpr double kOutputscalePriorLoc = 0.0;
constexpr double kOutputscalePriorScale = 1.0;
// Bounds on log-lengthscales after fitting: far outside anything useful on
// the unit cube, they only stop a runaway optimizer.
constexpr double kMinLogLengthscale = -6.9;  // 0.001
constexpr double kMaxLogLengthscale = 9.2;   // 1e4

torch::TensorOptions F64() { return torch::TensorOptions().dtype(torch::kFloat64); }

double LengthscalePriorLoc(int64_t d) { return std::sqrt(2.0) + 0.5 * std::log(static_cast<double>(d)); }
double LengthscalePriorScale() { return std::sqrt(3.0); }

// Cholesky of a symmetric matrix, adding jitter * outputscale on failure.
StatusOr<torch::Tensor> RobustCholesky(const torch::Tensor& k, double scale) {
  const auto eye = torch::eye(k.size(0), F64());
  for (double jitter : {0.0, 1e-8, 1e-6, 1e-4}) {
    auto [l, info] = torch::linalg_cholesky_ex(jitter == 0 ? k : k + (jitter * scale) * eye);
    if (info.item<int64_t>() == 0) return l;
  }
  return InternalError("GP kernel matrix is not positive definite even with jitter 1e-4");
}

Status TorchError(const c10::Error& e, const char* where) {
  return InternalError(std::string(where) + ": " + e.what_without_backtrace());
}

// The parameters optimized by L-BFGS, unconstrained, for R starts at once
// (one row per start): the starts share every tensor op, so R starts cost
// about as many LibTorch calls as one.
struct RawParams {
  torch::Tensor log_ls;            // [R,d]
  torch::Tensor log_os;            // [R]
  torch::Tensor log_noise_excess;  // [R]
  torch::Tensor mean;              // [R]
  torch::Tensor log_add_ls;        // [R,d]; undefined without the additive part
  torch::Tensor log_add_s;         // [R]; likewise
  // [n,n]: the additive part's mean correlation at fixed lengthscales
  // (log_add_ls), computed once for a fit that does not move them.
  torch::Tensor fixed_add_corr;
  // The tensors L-BFGS moves.
  std::vector<torch::Tensor> Optimized() const {
    std::vector<torch::Tensor> all = {log_ls, log_os, log_noise_excess, mean};
    if (log_add_ls.defined() && !fixed_add_corr.defined()) all.push_back(log_add_ls);
    if (log_add_s.defined()) all.push_back(log_add_s);
    return all;
  }
};

// The Matern-5/2 correlation at scaled distance r: (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r).
torch::Tensor Matern52Correlation(const torch::Tensor& r) {
  const auto sr = kSqrt5 * r;
  return (1.0 + sr + sr.pow(2) / 3.0) * torch::exp(-sr);
}

// The additive part's correlation matrices for x [n,d] at R sets of
// log-lengthscales [R,d]: the mean over coordinates of the Matern-5/2
// correlations, [R,n,n].
torch::Tensor AdditiveCorrelation(const torch::Tensor& x, const torch::Tensor& log_add_ls) {
  const auto diff = (x.unsqueeze(1) - x.unsqueeze(0)).abs();  // [n,n,d]
  const auto r = diff.unsqueeze(0) / log_add_ls.exp().view({-1, 1, 1, x.size(1)});
  return Matern52Correlation(r).mean(-1);
}

// log density of LogNormal(loc, scale) at exp(log_v), summed over the last
// dimension.
torch::Tensor LogNormalLogPdfRows(const torch::Tensor& log_v, double loc, double scale) {
  return (-log_v - (log_v - loc).pow(2) / (2 * scale * scale) - (std::log(scale) + 0.5 * kLog2Pi)).sum(-1);
}

// -(log marginal likelihood + log prior) / n for every start: [R]. Returns an
// undefined tensor when some kernel matrix cannot be factorized.
torch::Tensor NegLogPosterior(const torch::Tensor& x, const torch::Tensor& y, const RawParams& p,
                              double min_noise) {
  const int64_t n = x.size(0);
  const int64_t d = x.size(1);
  const auto os = p.log_os.exp();
  const auto log_noise = (p.log_noise_excess.exp() + min_noise).log();
  const auto xs = x.unsqueeze(0) / p.log_ls.exp().unsqueeze(1);  // [R,n,d]
  const auto sq = xs.pow(2).sum(-1);                               // [R,n]
  const auto r2 = sq.unsqueeze(2) + sq.unsqueeze(1) - 2.0 * xs.bmm(xs.transpose(1, 2));
  auto k = os.view({-1, 1, 1}) * Matern52Correlation(r2.clamp_min(1e-30).sqrt()) +
           log_noise.exp().view({-1, 1, 1}) * torch::eye(n, F64());
  if (p.log_add_ls.defined()) {
    const auto corr = p.fixed_add_corr.defined() ? p.fixed_add_corr.unsqueeze(0)
                                                 : AdditiveCorrelation(x, p.log_add_ls);
    k = k + p.log_add_s.exp().view({-1, 1, 1}) * corr;
  }
  auto [l, info] = torch::linalg_cholesky_ex(k);
  if (info.ne(0).any().item<bool>()) return {};
  const auto r = (y.unsqueeze(0) - p.mean.unsqueeze(1)).unsqueeze(2);  // [R,n,1]
  const auto a = torch::linalg_solve_triangular(l, r, /*upper=*/false);
  const auto mll = -0.5 * a.pow(2).sum({1, 2}) - l.diagonal(0, -2, -1).log().sum(-1) - 0.5 * n * kLog2Pi;
  auto prior =
      LogNormalLogPdfRows(p.log_ls, LengthscalePriorLoc(d), LengthscalePriorScale()) +
      LogNormalLogPdfRows(p.log_os.unsqueeze(1), kOutputscalePriorLoc, kOutputscalePriorScale) +
      LogNormalLogPdfRows(log_noise.unsqueeze(1), kNoisePriorLoc, kNoisePriorScale) -
      0.5 * p.mean.pow(2);
  if (p.log_add_ls.defined()) {
    prior =
        prior + LogNormalLogPdfRows(p.log_add_ls, LengthscalePriorLoc(1), LengthscalePriorScale()) +
        LogNormalLogPdfRows(p.log_add_s.unsqueeze(1), kOutputscalePriorLoc, kOutputscalePriorScale);
  }
  return -(mll + prior) / static_cast<double>(n);
}

struct Start {
  std::vector<double> log_ls;
  double log_os;
  double noise;
  std::vector<double> log_add_ls;  // empty without the additive part
  double log_add_s = 0;
};

RawParams MakeParams(const std::vector<Start>& starts, double min_noise) {
  const int64_t r = starts.size();
  const int64_t d = starts[0].log_ls.size();
  RawParams p;
  p.log_ls = torch::empty({r, d}, F64());
  p.log_os = torch::empty({r}, F64());
  p.log_noise_excess = torch::empty({r}, F64());
  p.mean = torch::zeros({r}, F64());
  for (int64_t i = 0; i < r; ++i) {
    for (int64_t j = 0; j < d; ++j) p.log_ls[i][j] = starts[i].log_ls[j];
    p.log_os[i] = starts[i].log_os;
    p.log_noise_excess[i] = std::log(std::max(starts[i].noise - min_noise, 1e-12));
  }
  if (!starts[0].log_add_ls.empty()) {
    p.log_add_ls = torch::empty({r, d}, F64());
    p.log_add_s = torch::empty({r}, F64());
    for (int64_t i = 0; i < r; ++i) {
      for (int64_t j = 0; j < d; ++j) p.log_add_ls[i][j] = starts[i].log_add_ls[j];
      p.log_add_s[i] = starts[i].log_add_s;
    }
  }
  return p;
}

}  // namespace

torch::Tensor Matern52(const torch::Tensor& a, const torch::Tensor& b,
                       const torch::Tensor& lengthscales, const torch::Tensor& outputscale) {
  const auto as = a / lengthscales;
  const auto bs = b / lengthscales;
  const auto r2 = as.pow(2).sum(1, true) + bs.pow(2).sum(1).unsqueeze(0) - 2.0 * as.matmul(bs.t());
  // r = 0 has an infinite d r / d r2; clamping gives those entries zero
  // gradient, which is the true gradient of k at r = 0.
  return outputscale * Matern52Correlation(r2.clamp_min(1e-30).sqrt());
}

torch::Tensor AdditiveMatern52(const torch::Tensor& a, const torch::Tensor& b,
                               const torch::Tensor& lengthscales, const torch::Tensor& scale) {
  // One [n,m] matrix per coordinate: the [n,m,d] difference tensor would
  // hold d times the memory for the same arithmetic.
  const int64_t d = a.size(1);
  auto sum = torch::zeros({a.size(0), b.size(0)}, a.options());
  for (int64_t c = 0; c < d; ++c) {
    const auto r =
        (a.select(1, c).unsqueeze(1) - b.select(1, c).unsqueeze(0)).abs() / lengthscales[c];
    sum = sum + Matern52Correlation(r);
  }
  return scale * sum / static_cast<double>(d);
}

namespace {

// MAP hyperparameters of the product kernel, with the additive part when
// `additive`: options.restarts L-BFGS starts (the prior medians or
// `warm_start`, then the best of 8x as many prior draws from `rng`) refined
// together as one batch.
StatusOr<GpHyperparameters> FitKernel(const torch::Tensor& x, const torch::Tensor& y,
                                      const GpFitOptions& options, bool additive,
                                      const GpHyperparameters* warm_start, Rng* rng_ptr) {
  Rng& rng = *rng_ptr;
  const int64_t d = x.size(1);
  // Candidate starts: the prior medians, then draws from the priors; the
  // best by initial objective are refined, all in one batched L-BFGS.
  const double ls_loc = LengthscalePriorLoc(d);
  const double add_ls_loc = LengthscalePriorLoc(1);
  std::vector<Start> starts = {
      {std::vector<double>(d, ls_loc), 0.0, std::exp(kNoisePriorLoc), {}, 0}};
  if (additive) {
    starts[0].log_add_ls.assign(d, add_ls_loc);
    starts[0].log_add_s = kOutputscalePriorLoc;
  }
  auto clamp_log_ls = [](double v) {
    return std::clamp(v, kMinLogLengthscale, kMaxLogLengthscale);
  };
  if (warm_start != nullptr && static_cast<int64_t>(warm_start->lengthscales.size()) == d) {
    Start& w = starts[0];
    for (int64_t j = 0; j < d; ++j) {
      w.log_ls[j] = clamp_log_ls(std::log(warm_start->lengthscales[j]));
    }
    w.log_os = std::log(warm_start->outputscale);
    w.noise = std::max(warm_start->noise, options.min_noise * 1.01);
    if (additive && static_cast<int64_t>(warm_start->additive_lengthscales.size()) == d) {
      for (int64_t j = 0; j < d; ++j) {
        w.log_add_ls[j] = clamp_log_ls(std::log(warm_start->additive_lengthscales[j]));
      }
      w.log_add_s = std::log(std::max(warm_start->additive_scale, 1e-12));
    }
  }
  const int draws = options.restarts > 1 ? 8 * options.restarts : 0;
  for (int i = 0; i < draws; ++i) {
    Start s{std::vector<double>(d),
            kOutputscalePriorLoc + kOutputscalePriorScale * rng.Normal(),
            0,
            {},
            0};
    for (double& v : s.log_ls) v = clamp_log_ls(ls_loc + LengthscalePriorScale() * rng.Normal());
    s.noise = options.min_noise + std::exp(kNoisePriorLoc + kNoisePriorScale * rng.Normal());
    if (additive) {
      s.log_add_ls.resize(d);
      for (double& v : s.log_add_ls) {
        v = clamp_log_ls(add_ls_loc + LengthscalePriorScale() * rng.Normal());
      }
      s.log_add_s = kOutputscalePriorLoc + kOutputscalePriorScale * rng.Normal();
    }
    starts.push_back(std::move(s));
  }
  std::vector<Start> chosen = {starts[0]};
  if (starts.size() > 1) {
    const auto loss =
        NegLogPosterior(x, y, MakeParams(starts, options.min_noise), options.min_noise);
    std::vector<std::pair<double, size_t>> scored;
    for (size_t i = 1; i < starts.size(); ++i) {
      const double v = loss.defined() ? loss[i].item<double>() : 0.0;
      scored.push_back({std::isfinite(v) ? v : std::numeric_limits<double>::infinity(), i});
    }
    std::stable_sort(scored.begin(), scored.end());
    for (int r = 1; r < options.restarts; ++r) chosen.push_back(starts[scored[r - 1].second]);
  }

  RawParams best = MakeParams(chosen, options.min_noise);
  // A warm fit with the additive part keeps its lengthscales (a refit after a
  // few more points moves them little) and so computes its correlations
  // once: half the cost of a fit that moves them.
  if (additive && warm_start != nullptr && !warm_start->additive_lengthscales.empty() &&
      best.log_add_ls.size(0) == 1) {
    best.fixed_add_corr = AdditiveCorrelation(x, best.log_add_ls)[0];
  }
  for (auto& t : best.Optimized()) t.set_requires_grad(true);
  torch::optim::LBFGS opt(best.Optimized(), torch::optim::LBFGSOptions(1.0)
                                                .max_iter(options.max_iterations)
                                                .max_eval(options.max_iterations * 5 / 4)
                                                .tolerance_grad(1e-6)
                                                .tolerance_change(1e-9)
                                                .history_size(10)
                                                .line_search_fn("strong_wolfe"));
  auto closure = [&]() -> torch::Tensor {
    torch::AutoGradMode grad(true);
    opt.zero_grad();
    torch::Tensor loss = NegLogPosterior(x, y, best, options.min_noise);
    if (!loss.defined() || !torch::isfinite(loss).all().item<bool>()) {
      // A large flat value makes the line search back off.
      return torch::full({}, 1e10, F64());
    }
    loss = loss.sum();
    loss.backward();
    return loss.detach();
  };
  opt.step(closure);
  const auto final_loss = NegLogPosterior(x, y, best, options.min_noise);
  if (!final_loss.defined()) {
    return InternalError("GP hyperparameter fit ended on a singular kernel");
  }
  const auto finite = torch::isfinite(final_loss);
  if (!finite.any().item<bool>()) {
    return InternalError("GP hyperparameter fit diverged at every start");
  }
  const int64_t b = torch::where(finite, final_loss, torch::full_like(final_loss, INFINITY))
                        .argmin()
                        .item<int64_t>();
  GpHyperparameters hp;
  const auto log_ls =
      best.log_ls[b].detach().clamp(kMinLogLengthscale, kMaxLogLengthscale).exp().contiguous();
  hp.lengthscales.assign(log_ls.data_ptr<double>(), log_ls.data_ptr<double>() + d);
  hp.outputscale = best.log_os[b].detach().exp().item<double>();
  hp.noise = options.min_noise + best.log_noise_excess[b].detach().exp().item<double>();
  hp.mean = best.mean[b].detach().item<double>();
  if (best.log_add_ls.defined()) {
    const auto add_ls = best.log_add_ls[b]
                            .detach()
                            .clamp(kMinLogLengthscale, kMaxLogLengthscale)
                            .exp()
                            .contiguous();
    hp.additive_lengthscales.assign(add_ls.data_ptr<double>(), add_ls.data_ptr<double>() + d);
    hp.additive_scale = best.log_add_s[b].detach().exp().item<double>();
  }
  return hp;
}

// Per point, log p(y_i | y without i) under `hp` (GpModel::LooLogPredictive).
StatusOr<torch::Tensor> LooLogPredictive(const torch::Tensor& x, const torch::Tensor& y,
                                         const GpHyperparameters& hp) {
  HPS_ASSIGN_OR_RETURN(const GpModel model, GpModel::Create(x, y, hp));
  return model.LooLogPredictive();
}

}  // namespace

StatusOr<GpHyperparameters> FitGpHyperparameters(const torch::Tensor& x_all,
                                                 const torch::Tensor& y_all,
                                                 const GpFitOptions& options, uint64_t seed,
                                                 const GpHyperparameters* warm_start) {
  HPS_RETURN_IF_ERROR(options.Validate());
  try {
    torch::NoGradGuard outer_no_grad;  // re-enabled inside the closure
    const int64_t n_all = x_all.size(0);
    if (n_all < 1 || y_all.size(0) != n_all) {
      return InvalidArgumentError("x and y must have n >= 1 rows");
    }
    Rng rng(MixSeed(seed, 0x6F17));
    torch::Tensor x = x_all, y = y_all;
    if (n_all > options.max_fit_points) {
      // Keep the best quarter (where the optimizer works) and a random sample
      // of the rest (the global trend).
      std::vector<int64_t> order(n_all);
      std::iota(order.begin(), order.end(), 0);
      const auto ya = y_all.accessor<double, 1>();
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t i, int64_t j) { return ya[i] < ya[j]; });
      const int64_t best = options.max_fit_points / 4;
      std::vector<int64_t> rest(order.begin() + best, order.end());
      for (size_t i = rest.size() - 1; i > 0; --i) std::swap(rest[i], rest[rng.Below(i + 1)]);
      std::vector<int64_t> keep(order.begin(), order.begin() + best);
      keep.insert(keep.end(), rest.begin(), rest.begin() + (options.max_fit_points - best));
      std::sort(keep.begin(), keep.end());
      const auto idx = torch::tensor(keep, torch::kInt64);
      x = x_all.index_select(0, idx);
      y = y_all.index_select(0, idx);
    }

    // The product kernel alone, and with the additive part: the one whose
    // leave-one-out predictions are better is kept (Rasmussen & Williams
    // 2006, 5.4.2). The joint fit nests the product one, so its marginal
    // likelihood is always at least as high; held-out predictions show
    // whether the additive part generalizes or only fits.
    // A warm start keeps its kernel: a short refit after a few more points
    // refines the choice made by the full fit it starts from.
    Rng joint_rng(MixSeed(seed, 0xADD1));
    if (warm_start != nullptr && options.additive && !warm_start->additive_lengthscales.empty()) {
      return FitKernel(x, y, options, /*additive=*/true, warm_start, &joint_rng);
    }
    HPS_ASSIGN_OR_RETURN(GpHyperparameters product,
                         FitKernel(x, y, options, /*additive=*/false, warm_start, &rng));
    if (!options.additive || warm_start != nullptr) return product;
    HPS_ASSIGN_OR_RETURN(GpHyperparameters joint,
                         FitKernel(x, y, options, /*additive=*/true, warm_start, &joint_rng));
    HPS_ASSIGN_OR_RETURN(const torch::Tensor product_loo, LooLogPredictive(x, y, product));
    HPS_ASSIGN_OR_RETURN(const torch::Tensor joint_loo, LooLogPredictive(x, y, joint));
    return (joint_loo - product_loo).sum().item<double>() > 0 ? joint : product;
  } catch (const c10::Error& e) {
    return TorchError(e, "FitGpHyperparameters");
  }
}

StatusOr<GpModel> GpModel::Create(torch::Tensor x, torch::Tensor y, GpHyperparameters hp) {
  try {
    torch::NoGradGuard no_grad;
    if (x.dim() != 2 || y.dim() != 1 || x.size(0) != y.size(0) ||
        static_cast<int64_t>(hp.lengthscales.size()) != x.size(1) ||
        (!hp.additive_lengthscales.empty() &&
         static_cast<int64_t>(hp.additive_lengthscales.size()) != x.size(1))) {
      return InvalidArgumentError("GpModel: x [n,d], y [n] and d lengthscales required");
    }
    GpModel m;
    m.x_ = x.to(torch::kFloat64).contiguous();
    m.y_ = y.to(torch::kFloat64).contiguous();
    m.lengthscales_ = torch::tensor(hp.lengthscales, F64());
    m.outputscale_ = torch::full({}, hp.outputscale, F64());
    if (!hp.additive_lengthscales.empty()) {
      m.additive_lengthscales_ = torch::tensor(hp.additive_lengthscales, F64());
      m.additive_scale_ = torch::full({}, hp.additive_scale, F64());
    }
    m.hp_ = std::move(hp);
    const int64_t n = m.x_.size(0);
    const auto k = m.Kernel(m.x_, m.x_) + m.hp_.noise * torch::eye(n, F64());
    HPS_ASSIGN_OR_RETURN(const torch::Tensor l, RobustCholesky(k, m.PriorVariance()));
    m.chol_ = l;
    m.alpha_ = torch::cholesky_solve((m.y_ - m.hp_.mean).unsqueeze(1), l).squeeze(1);
    return m;
  } catch (const c10::Error& e) {
    return TorchError(e, "GpModel::Create");
  }
}

torch::Tensor GpModel::Kernel(const torch::Tensor& a, const torch::Tensor& b) const {
  auto k = Matern52(a, b, lengthscales_, outputscale_);
  if (additive_lengthscales_.defined()) {
    k = k + AdditiveMatern52(a, b, additive_lengthscales_, additive_scale_);
  }
  return k;
}

std::pair<torch::Tensor, torch::Tensor> GpModel::Posterior(const torch::Tensor& x) const {
  const auto ks = Kernel(x, x_);  // [m,n]
  const auto mean = ks.matmul(alpha_) + hp_.mean;
  // A triangular solve costs half the multiply by an explicit inverse.
  const auto v = torch::linalg_solve_triangular(chol_, ks.t(), /*upper=*/false);  // [n,m]
  const auto var = (PriorVariance() - v.pow(2).sum(0)).clamp_min(kMinVariance);
  return {mean, var};
}

GpModel::PosteriorGradient GpModel::PosteriorWithGradient(const torch::Tensor& x) const {
  torch::NoGradGuard no_grad;
  // k(r) = s (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r), and
  // dk/dx_j = -g(r) (x_j - X_j) / l_j^2 with g(r) = 5 s / 3 (1 + sqrt5 r) exp(-sqrt5 r).
  const auto inv_l2 = lengthscales_.pow(-2);
  const auto as = x / lengthscales_;
  const auto bs = x_ / lengthscales_;
  const auto r2 = as.pow(2).sum(1, true) + bs.pow(2).sum(1).unsqueeze(0) - 2.0 * as.matmul(bs.t());
  const auto sr = kSqrt5 * r2.clamp_min(0.0).sqrt();
  const auto e = outputscale_ * torch::exp(-sr);
  auto k = (1.0 + sr + sr.pow(2) / 3.0) * e;    // [m,n]
  const auto g = (5.0 / 3.0) * (1.0 + sr) * e;  // [m,n]
  // The additive part: per coordinate c, k_c(r) with r = |x_c - X_c| / l_c,
  // and d k_c / d x_c = -g_c(r) (x_c - X_c) / l_c^2, scaled by s_a / d; as
  // [m,n,d] tensors (m is a handful of points being refined).
  torch::Tensor add_diff, add_g;  // [m,n,d]; undefined without the part
  if (additive_lengthscales_.defined()) {
    add_diff = x.unsqueeze(1) - x_.unsqueeze(0);
    const auto src = kSqrt5 * add_diff.abs() / additive_lengthscales_;
    const auto ec = (hp_.additive_scale / static_cast<double>(x.size(1))) * torch::exp(-src);
    k = k + ((1.0 + src + src.pow(2) / 3.0) * ec).sum(2);
    add_g = (5.0 / 3.0) * (1.0 + src) * ec * additive_lengthscales_.pow(-2);
  }
  // sum_i c_i dk_i/dx = -(x sum_i c_i - c X) / l^2 for weights c [m,n].
  auto weighted = [&](const torch::Tensor& c) {
    const auto gc = g * c;
    auto out = -(x * gc.sum(1, true) - gc.matmul(x_)) * inv_l2;
    if (add_g.defined()) out = out - (add_g * add_diff * c.unsqueeze(2)).sum(1);
    return out;
  };
  PosteriorGradient out;
  out.mean = k.matmul(alpha_) + hp_.mean;
  out.d_mean = weighted(alpha_.unsqueeze(0));
  const auto v = torch::linalg_solve_triangular(chol_, k.t(), /*upper=*/false);  // [n,m]
  const auto raw_var = PriorVariance() - v.pow(2).sum(0);
  out.variance = raw_var.clamp_min(kMinVariance);
  // var = s - k^T K^-1 k: d var = -2 (K^-1 k)^T dk; zero where clamped.
  const auto w = torch::linalg_solve_triangular(chol_.t(), v, /*upper=*/true).t();  // [m,n]
  out.d_variance = (-2.0 * weighted(w)) * (raw_var > kMinVariance).unsqueeze(1);
  return out;
}

torch::Tensor GpModel::LooLogPredictive() const {
  torch::NoGradGuard no_grad;
  // With K^-1 the inverse of the noisy kernel matrix and alpha = K^-1 (y - m):
  // the held-out mean is y_i - alpha_i / [K^-1]_ii, its variance 1 / [K^-1]_ii.
  const auto inv_diag = torch::cholesky_inverse(chol_).diagonal();
  const auto var = 1.0 / inv_diag;
  const auto resid = alpha_ / inv_diag;
  return -0.5 * var.log() - resid.pow(2) / (2.0 * var) - 0.5 * kLog2Pi;
}

StatusOr<GpModel> GpModel::Condition(const torch::Tensor& x_new, const torch::Tensor& y_new) const {
  try {
    return Create(torch::cat({x_, x_new.to(torch::kFloat64)}, 0), torch::cat({y_, y_new.to(torch::kFloat64)}, 0),
                  hp_);
  } catch (const c10::Error& e) {
    return TorchError(e, "GpModel::Condition");
  }
}

}  // namespace hpsweep::coordinator::bo
