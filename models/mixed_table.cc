#include "models/mixed_table.h"

#include <cmath>

#include "models/training.h"

namespace hpsweep::models {
namespace {

// Wasserstein-1 between two equal-size 1-D samples.
torch::Tensor W1(const torch::Tensor& a, const torch::Tensor& b) {
  return (std::get<0>(a.sort()) - std::get<0>(b.sort())).abs().mean();
}

}  // namespace

MixedTable GenerateMixedTable(int64_t n, uint64_t seed, uint64_t stream) {
  torch::Generator gen = DataGenerator(seed, stream);
  torch::Tensor z = torch::randn({n, 2}, gen);
  torch::Tensor z0 = z.select(1, 0), z1 = z.select(1, 1);
  torch::Tensor c0 = z0 + 0.3 * torch::randn({n}, gen);
  torch::Tensor c1 = 0.8 * z0 + 0.6 * z1 + 0.3 * torch::randn({n}, gen);
  torch::Tensor c2 = torch::exp(0.5 * z1) + 0.2 * torch::randn({n}, gen);
  // Quadrant of the hidden factor, with 10% of rows relabelled at random.
  torch::Tensor quadrant =
      ((torch::atan2(z1, z0) + M_PI) / (M_PI / 2.0)).floor().clamp(0, 3).to(torch::kLong);
  torch::Tensor flip = torch::rand({n}, gen).lt(0.1);
  torch::Tensor cat0 = torch::where(flip, torch::randint(4, {n}, gen, torch::kLong), quadrant);
  // Tercile of c2-ish value with noise.
  torch::Tensor s = z1 + 0.5 * torch::randn({n}, gen);
  torch::Tensor cat1 = s.gt(-0.5).to(torch::kLong) + s.gt(0.5).to(torch::kLong);
  return {torch::stack({c0, c1, c2}, 1), torch::stack({cat0, cat1}, 1)};
}

Metrics TabularFidelity(const torch::Tensor& gen_cont, const torch::Tensor& gen_cat,
                        const torch::Tensor& real_cont, const torch::Tensor& real_cat) {
  const int64_t n = real_cont.size(0);
  const int64_t continuous = real_cont.size(1);
  const int64_t categorical = real_cat.size(1);
  double w1 = 0, tv = 0, cond = 0;
  for (int64_t j = 0; j < continuous; ++j) {
    w1 += W1(gen_cont.select(1, j), real_cont.select(1, j)).item<double>();
  }
  torch::Tensor gen_cpu = gen_cont.to(torch::kCPU, torch::kDouble);
  torch::Tensor real_cpu = real_cont.to(torch::kCPU, torch::kDouble);
  for (int64_t j = 0; j < categorical; ++j) {
    torch::Tensor g = gen_cat.select(1, j).cpu(), r = real_cat.select(1, j).cpu();
    const int64_t k = std::max(g.max().item<int64_t>(), r.max().item<int64_t>()) + 1;
    torch::Tensor p = torch::bincount(g, {}, k).to(torch::kDouble) / n;
    torch::Tensor q = torch::bincount(r, {}, k).to(torch::kDouble) / n;
    tv += 0.5 * (p - q).abs().sum().item<double>();
    for (int64_t c = 0; c < k; ++c) {
      torch::Tensor rm = r.eq(c), gm = g.eq(c);
      const double real_freq = q[c].item<double>();
      if (real_freq == 0) continue;
      torch::Tensor real_mean = real_cpu.index({rm}).mean(0);
      torch::Tensor gen_mean = gm.any().item<bool>() ? gen_cpu.index({gm}).mean(0) : gen_cpu.mean(0);
      cond += real_freq * (gen_mean - real_mean).abs().mean().item<double>();
    }
  }
  // A constant column has no correlation (corrcoef gives NaN): counted as 0.
  const double corr = (torch::nan_to_num(torch::corrcoef(gen_cont.t()), 0.0) -
                       torch::nan_to_num(torch::corrcoef(real_cont.t()), 0.0))
                          .abs()
                          .mean()
                          .item<double>();
  const double columns = static_cast<double>(continuous + categorical);
  Metrics m;
  m["val_marginal_w1"] = w1 / static_cast<double>(continuous);
  m["val_marginal_tv"] = tv / static_cast<double>(categorical);
  m["val_corr_diff"] = corr;
  m["val_fidelity_distance"] = (w1 + tv) / columns + corr;
  m["val_cond_mean_diff"] = cond / static_cast<double>(categorical);
  return m;
}

}  // namespace hpsweep::models
