#include "models/ctgan_transform.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace hpsweep::models {
namespace {

// Log density of every value under every mode plus the mode's log weight,
// double [n, modes].
torch::Tensor WeightedLogDensity(const torch::Tensor& x, const GaussianMixture1d& g) {
  torch::Tensor d = (x.unsqueeze(1) - g.means.unsqueeze(0)) / g.stds.unsqueeze(0);
  return g.weights.log().unsqueeze(0) - g.stds.log().unsqueeze(0) - 0.5 * d * d -
         0.5 * std::log(2.0 * M_PI);
}

// Index of the first entry of the cumulative `cdf` above u (the last entry
// when rounding leaves u above them all).
int64_t Pick(const std::vector<double>& cdf, double u) {
  auto it = std::upper_bound(cdf.begin(), cdf.end(), u * cdf.back());
  return std::min<int64_t>(it - cdf.begin(), static_cast<int64_t>(cdf.size()) - 1);
}

}  // namespace

GaussianMixture1d FitGaussianMixture(const torch::Tensor& values, int64_t max_modes,
                                     double min_weight, int iterations) {
  torch::NoGradGuard no_grad;
  torch::Tensor x = values.to(torch::kCPU, torch::kDouble).reshape(-1);
  const int64_t n = x.size(0);
  const int64_t k = std::max<int64_t>(1, std::min(max_modes, n));
  const double spread = std::max(x.std().item<double>(), 1e-6);
  const double floor_var = 1e-6 * spread * spread;
  GaussianMixture1d g;
  torch::Tensor q = (torch::arange(k, torch::kDouble) + 0.5) / static_cast<double>(k);
  g.means = torch::quantile(x, q);
  g.stds = torch::full({k}, spread / static_cast<double>(k), torch::kDouble);
  g.weights = torch::full({k}, 1.0 / static_cast<double>(k), torch::kDouble);
  for (int it = 0; it < iterations; ++it) {
    torch::Tensor resp = torch::softmax(WeightedLogDensity(x, g), 1);  // [n, k]
    torch::Tensor nk = resp.sum(0) + 1e-10;
    g.weights = nk / static_cast<double>(n);
    g.means = (resp * x.unsqueeze(1)).sum(0) / nk;
    torch::Tensor diff = x.unsqueeze(1) - g.means.unsqueeze(0);
    g.stds = ((resp * diff * diff).sum(0) / nk + floor_var).sqrt();
  }
  torch::Tensor keep = g.weights.ge(min_weight);
  if (!keep.any().item<bool>()) keep = g.weights.eq(g.weights.max());
  g.weights = g.weights.index({keep});
  g.weights = g.weights / g.weights.sum();
  g.means = g.means.index({keep});
  g.stds = g.stds.index({keep});
  return g;
}

TableTransform::TableTransform(const torch::Tensor& continuous, std::vector<int64_t> categories,
                               int64_t max_modes)
    : categories_(std::move(categories)) {
  for (int64_t j = 0; j < continuous.size(1); ++j) {
    mixtures_.push_back(FitGaussianMixture(continuous.select(1, j), max_modes));
    continuous_span_.push_back(spans_.size());
    spans_.push_back({width_, 1, false});
    width_ += 1;
    const int64_t modes = mixtures_.back().weights.size(0);
    spans_.push_back({width_, modes, true});
    width_ += modes;
  }
  for (int64_t c : categories_) {
    categorical_span_.push_back(spans_.size());
    spans_.push_back({width_, c, true});
    width_ += c;
  }
}

std::vector<int64_t> TableTransform::Modes() const {
  std::vector<int64_t> out;
  for (const GaussianMixture1d& g : mixtures_) out.push_back(g.weights.size(0));
  return out;
}

torch::Tensor TableTransform::Encode(const torch::Tensor& continuous,
                                     const torch::Tensor& categorical,
                                     torch::Generator gen) const {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (size_t j = 0; j < mixtures_.size(); ++j) {
    const GaussianMixture1d& g = mixtures_[j];
    torch::Tensor x = continuous.select(1, static_cast<int64_t>(j)).to(torch::kCPU, torch::kDouble);
    torch::Tensor post = torch::softmax(WeightedLogDensity(x, g), 1);
    torch::Tensor mode = torch::multinomial(post, 1, false, gen).squeeze(1);
    torch::Tensor alpha =
        ((x - g.means.index({mode})) / (4.0 * g.stds.index({mode}))).clamp(-0.99, 0.99);
    parts.push_back(alpha.unsqueeze(1));
    parts.push_back(torch::one_hot(mode, g.weights.size(0)).to(torch::kDouble));
  }
  for (size_t j = 0; j < categories_.size(); ++j) {
    parts.push_back(torch::one_hot(categorical.select(1, static_cast<int64_t>(j)).cpu(),
                                   categories_[j])
                        .to(torch::kDouble));
  }
  return torch::cat(parts, 1).to(torch::kFloat);
}

std::pair<torch::Tensor, torch::Tensor> TableTransform::Decode(const torch::Tensor& encoded) const {
  torch::NoGradGuard no_grad;
  torch::Tensor e = encoded.to(torch::kCPU, torch::kDouble);
  std::vector<torch::Tensor> cont, cat;
  for (size_t j = 0; j < mixtures_.size(); ++j) {
    const GaussianMixture1d& g = mixtures_[j];
    const Span& a = spans_[continuous_span_[j]];
    const Span& m = spans_[continuous_span_[j] + 1];
    torch::Tensor alpha = e.select(1, a.start).clamp(-1.0, 1.0);
    torch::Tensor mode = e.slice(1, m.start, m.start + m.width).argmax(1);
    cont.push_back(alpha * 4.0 * g.stds.index({mode}) + g.means.index({mode}));
  }
  for (size_t j = 0; j < categories_.size(); ++j) {
    const Span& s = spans_[categorical_span_[j]];
    cat.push_back(e.slice(1, s.start, s.start + s.width).argmax(1));
  }
  return {torch::stack(cont, 1).to(torch::kFloat), torch::stack(cat, 1)};
}

ConditionalSampler::ConditionalSampler(const torch::Tensor& categorical,
                                       std::vector<int64_t> categories)
    : categories_(std::move(categories)) {
  torch::Tensor cat = categorical.to(torch::kCPU, torch::kLong);
  for (size_t j = 0; j < categories_.size(); ++j) {
    offsets_.push_back(width_);
    width_ += categories_[j];
    torch::Tensor col = cat.select(1, static_cast<int64_t>(j));
    std::vector<double> log_cdf, freq_cdf;
    std::vector<torch::Tensor> rows;
    double log_sum = 0, freq_sum = 0;
    for (int64_t k = 0; k < categories_[j]; ++k) {
      torch::Tensor r = col.eq(k).nonzero().reshape(-1);
      const double count = static_cast<double>(r.size(0));
      log_sum += std::log1p(count);
      freq_sum += count;
      log_cdf.push_back(log_sum);
      freq_cdf.push_back(freq_sum);
      rows.push_back(r.contiguous());
    }
    log_cdf_.push_back(std::move(log_cdf));
    freq_cdf_.push_back(std::move(freq_cdf));
    rows_.push_back(std::move(rows));
  }
}

ConditionalSampler::Draw ConditionalSampler::Sample(const torch::Tensor& u) const {
  torch::Tensor uu = u.to(torch::kCPU, torch::kDouble).contiguous();
  const int64_t m = uu.size(0);
  auto a = uu.accessor<double, 2>();
  Draw d;
  d.cond = torch::zeros({m, width_});
  d.column = torch::empty({m}, torch::kLong);
  d.category = torch::empty({m}, torch::kLong);
  d.rows = torch::empty({m}, torch::kLong);
  auto cond = d.cond.accessor<float, 2>();
  auto col = d.column.accessor<int64_t, 1>();
  auto category = d.category.accessor<int64_t, 1>();
  auto rows = d.rows.accessor<int64_t, 1>();
  const int64_t columns = static_cast<int64_t>(categories_.size());
  for (int64_t i = 0; i < m; ++i) {
    const int64_t j = std::min(columns - 1, static_cast<int64_t>(a[i][0] * columns));
    const int64_t k = Pick(log_cdf_[j], a[i][1]);
    const torch::Tensor& candidates = rows_[j][k];  // non-empty: log1p(0) = 0 is never picked
    const int64_t count = candidates.size(0);
    const int64_t r = std::min(count - 1, static_cast<int64_t>(a[i][2] * count));
    col[i] = j;
    category[i] = k;
    rows[i] = candidates.data_ptr<int64_t>()[r];
    cond[i][offsets_[j] + k] = 1.0f;
  }
  return d;
}

torch::Tensor ConditionalSampler::SampleOriginal(const torch::Tensor& u) const {
  torch::Tensor uu = u.to(torch::kCPU, torch::kDouble).contiguous();
  const int64_t m = uu.size(0);
  auto a = uu.accessor<double, 2>();
  torch::Tensor out = torch::zeros({m, width_});
  auto cond = out.accessor<float, 2>();
  const int64_t columns = static_cast<int64_t>(categories_.size());
  for (int64_t i = 0; i < m; ++i) {
    const int64_t j = std::min(columns - 1, static_cast<int64_t>(a[i][0] * columns));
    cond[i][offsets_[j] + Pick(freq_cdf_[j], a[i][1])] = 1.0f;
  }
  return out;
}

}  // namespace hpsweep::models
