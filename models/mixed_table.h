// The synthetic mixed-type table the tabular generators (`tvae`, `ctgan`)
// learn, and the fidelity metrics both report, so that their sweeps compare
// on one scale.
//
// The table: 3 continuous columns (correlated, one skewed) and 2 categorical
// columns (4 and 3 categories) driven by a shared hidden 2-D factor z:
//   c0 = z0 + noise, c1 = 0.8 z0 + 0.6 z1 + noise, c2 = exp(z1 / 2) + noise,
//   cat0 = quadrant of z (10% relabelled at random), cat1 = tercile of z1 + noise,
// so c0-c1 and c1-c2 are correlated and both categorical columns depend on
// the continuous ones (the known dependencies a generator should keep).
//
// Thread safety: functions only.
#ifndef HPSWEEP_MODELS_MIXED_TABLE_H_
#define HPSWEEP_MODELS_MIXED_TABLE_H_

#include <torch/torch.h>

#include <array>
#include <cstdint>

#include "models/workload.h"

namespace hpsweep::models {

// Categories of each categorical column of the synthetic table.
inline constexpr std::array<int64_t, 2> kMixedCategories = {4, 3};
// Continuous columns of the synthetic table.
inline constexpr int64_t kMixedContinuous = 3;

// `n` rows of the synthetic table: continuous float [n, 3] (raw units) and
// categorical int64 [n, 2]. Deterministic in the arguments.
struct MixedTable {
  torch::Tensor continuous, categorical;
};
MixedTable GenerateMixedTable(int64_t n, uint64_t seed, uint64_t stream);

// Fidelity of generated rows against real rows (equal counts; continuous
// columns standardised with the same statistics on both sides; CPU or one
// device). All are distances: smaller is better.
//   val_marginal_w1       mean over continuous columns of the 1-D
//                         Wasserstein-1 distance (standardised units)
//   val_marginal_tv       mean over categorical columns of the total variation
//   val_corr_diff         mean |difference| of the continuous columns'
//                         correlation matrices
//   val_fidelity_distance (sum of the w1 and tv terms) / columns + corr_diff
//   val_cond_mean_diff    mean over categorical columns, their categories and
//                         the continuous columns of |E_gen[c | cat=k] -
//                         E_real[c | cat=k]|, weighted by the real category
//                         frequency (a category never generated counts with
//                         the generated overall mean): the categorical-to-
//                         continuous dependencies
Metrics TabularFidelity(const torch::Tensor& gen_cont, const torch::Tensor& gen_cat,
                        const torch::Tensor& real_cont, const torch::Tensor& real_cat);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_MIXED_TABLE_H_
