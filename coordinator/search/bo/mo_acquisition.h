// The acquisition of the multi-objective GP suggester: qParEGO (Daulton et
// al. 2020's batch form of Knowles 2006's ParEGO) with constraints through
// the probability of feasibility (Gardner et al. 2014).
//
// For one random weight vector, the objectives' posterior samples (each
// normalized to the observed range) are scalarized by the augmented
// Chebyshev function, and the improvement over the best feasible observed
// scalarized value is averaged over the samples. The improvement is a
// softplus with temperature `tau` (as BoTorch's qLogEI) and averaged in log
// space, so the logarithm is finite and strictly ordered even where every
// sample is worse than the incumbent (far from the data, or on a degenerate
// front where all observations coincide); log Phi of each constraint's
// standardized margin is added.
//
// Pure functions on double tensors.
#ifndef HPSWEEP_COORDINATOR_SEARCH_BO_MO_ACQUISITION_H_
#define HPSWEEP_COORDINATOR_SEARCH_BO_MO_ACQUISITION_H_

#include <torch/torch.h>

namespace hpsweep::coordinator::bo {

// Augmented Chebyshev scalarization of normalized objectives f [..., K]
// (lower is better) with weights [K] (>= 0, summing to 1):
//   max_k w_k f_k + rho * sum_k w_k f_k.   Returns [...].
torch::Tensor ChebyshevScalarize(const torch::Tensor& f, const torch::Tensor& weights, double rho);

// log( mean_s tau * softplus((best - s[:, s]) / tau) ) for scalarized samples
// [m, S]: finite everywhere and increasing in every sample's improvement.
torch::Tensor LogMeanSoftImprovement(const torch::Tensor& scalarized, double best, double tau);

// sum_c log P(g_c <= threshold_c) for independent normal g_c with mean and
// variance [m, C] (variance > 0) and thresholds [C]. Returns [m]; finite.
torch::Tensor LogProbabilityOfFeasibility(const torch::Tensor& mean, const torch::Tensor& variance,
                                          const torch::Tensor& thresholds);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_SEARCH_BO_MO_ACQUISITION_H_
