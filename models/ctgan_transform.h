// CTGAN's data side (Xu et al. 2019, "Modeling Tabular Data using Conditional
// GAN"): mode-specific normalization of continuous columns, the row encoding
// the generator produces and the discriminator reads, and the conditional
// vector with training-by-sampling for categorical columns.
//
// Mode-specific normalization. The paper fits a variational Gaussian mixture
// (a Dirichlet-process prior that switches off unneeded modes) to each
// continuous column. Stand-in used here: a Gaussian mixture with a fixed
// number of modes fit by EM (deterministic: quantile initialisation, a fixed
// number of iterations), then modes holding under 0.5% of the weight are
// dropped, as the variational fit's weight threshold does. A value x is
// encoded as a mode k drawn from its posterior over modes (the paper's
// choice) and alpha = (x - mu_k) / (4 sigma_k) clipped to [-0.99, 0.99]:
// [alpha, one-hot(k)]. Categorical columns are one-hot.
//
// Training-by-sampling. For each generated row: a categorical column j is
// drawn uniformly, then a category k with probability proportional to
// log(1 + count(k)); the conditional vector is one-hot at (j, k) over all
// categories of all categorical columns, and the real row paired with it is
// drawn uniformly among the rows whose column j is k. Generation for
// evaluation draws k by its plain frequency instead (the data's marginal).
//
// Thread safety: immutable after construction.
#ifndef HPSWEEP_MODELS_CTGAN_TRANSFORM_H_
#define HPSWEEP_MODELS_CTGAN_TRANSFORM_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace hpsweep::models {

// A 1-D Gaussian mixture (double tensors of one shape [modes]).
struct GaussianMixture1d {
  torch::Tensor weights, means, stds;
};

// Fits `max_modes` Gaussians to the values `x` (1-D) by `iterations` EM
// steps from means at evenly spaced quantiles, then drops modes below
// `min_weight` and renormalises. Deterministic. REQUIRES: x has >= 2 values.
GaussianMixture1d FitGaussianMixture(const torch::Tensor& x, int64_t max_modes,
                                     double min_weight = 0.005, int iterations = 100);

// One block of the encoded row: a tanh scalar (a continuous column's alpha)
// or a softmax group (a continuous column's mode, or a categorical column).
struct Span {
  int64_t start = 0;
  int64_t width = 1;
  bool softmax = false;
};

class TableTransform {
 public:
  // Fits one mixture per continuous column of `continuous` (float [n, c],
  // raw units); `categories` gives each categorical column's category count.
  TableTransform(const torch::Tensor& continuous, std::vector<int64_t> categories,
                 int64_t max_modes);

  // Encoded rows, float [n, Width()]; `gen` draws each value's mode from its
  // posterior.
  torch::Tensor Encode(const torch::Tensor& continuous, const torch::Tensor& categorical,
                       torch::Generator gen) const;
  // Raw continuous [n, c] (alpha and the softmax block's argmax mode) and
  // categorical int64 [n, k] (argmax) from activated generator output.
  std::pair<torch::Tensor, torch::Tensor> Decode(const torch::Tensor& encoded) const;

  int64_t Width() const { return width_; }
  const std::vector<Span>& spans() const { return spans_; }
  // Span index of categorical column j's one-hot block.
  size_t CategoricalSpan(size_t j) const { return categorical_span_[j]; }
  const std::vector<int64_t>& categories() const { return categories_; }
  // Modes kept per continuous column.
  std::vector<int64_t> Modes() const;

 private:
  std::vector<GaussianMixture1d> mixtures_;
  std::vector<int64_t> categories_;
  std::vector<Span> spans_;
  std::vector<size_t> continuous_span_;   // alpha span of column j (mode span follows)
  std::vector<size_t> categorical_span_;  // one-hot span of column j
  int64_t width_ = 0;
};

// The conditional vector and training-by-sampling over the training rows'
// categorical columns.
class ConditionalSampler {
 public:
  // categorical: int64 [n, k]; categories: each column's category count.
  ConditionalSampler(const torch::Tensor& categorical, std::vector<int64_t> categories);

  int64_t Width() const { return width_; }
  // Offset of categorical column j's block in the conditional vector.
  int64_t Offset(size_t j) const { return offsets_[j]; }

  struct Draw {
    torch::Tensor cond;      // float [m, Width()], one-hot at (column, category)
    torch::Tensor column;    // int64 [m]
    torch::Tensor category;  // int64 [m]
    torch::Tensor rows;      // int64 [m]: a training row with that category
  };
  // Training-by-sampling from uniforms u: float [m, 3] in [0, 1) (column,
  // category, row). A function of u only, so per-sample noise keeps it
  // independent of ranks.
  Draw Sample(const torch::Tensor& u) const;
  // Conditional vectors for generation: column uniform, category by its
  // frequency in the training rows; u as in Sample ([m, 2] suffices).
  torch::Tensor SampleOriginal(const torch::Tensor& u) const;

 private:
  std::vector<int64_t> categories_;
  std::vector<int64_t> offsets_;
  int64_t width_ = 0;
  std::vector<std::vector<double>> log_cdf_;   // per column: cumulative log-frequency probs
  std::vector<std::vector<double>> freq_cdf_;  // per column: cumulative frequencies
  std::vector<std::vector<torch::Tensor>> rows_;  // per column, category: row indices
};

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_CTGAN_TRANSFORM_H_
