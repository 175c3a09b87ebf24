// FinalValueEstimator: what a trial that early stopping ended would have
// reached had it trained in full, judged from how the trials that did train
// in full ranked early against how they ended.
//
// Why: a model fitted to final values cannot take a stopped trial's early
// value as its final one (the early value is worse, by how much depends on
// the configuration), and leaving stopped trials out throws away what they
// showed. How much an early value says differs between workloads: on an LSTM
// whose good configurations lead from the first epoch, a trial's rank after
// one epoch predicts its rank at the end; on a neural operator whose best
// configurations use a low learning rate and start slowly, it does not. The
// estimator measures which, per level of training, from the completed
// trials' own curves:
//
//   rho   Spearman's rank correlation between the completed trials' values
//         at the level and their final values;
//   q     the stopped trial's early value as a quantile among theirs (mid
//         rank, (r + 1/2) / (n + 1));
//   est   the completed trials' final values at quantile Phi(rho Phi^-1(q)):
//         the conditional median of the final normal score under a Gaussian
//         copula with correlation rho (a stopped trial that ranked low
//         early ends low by as much as the early ranks have predicted).
//
// Informative only when the completed trials show a positive association
// (rho sqrt(n - 1) >= 1.645, the one-sided 5% test of Spearman's rho in its
// normal approximation) among at least kMinCompleted of them. Otherwise a
// stopped trial says nothing reliable about its end and there is no
// estimate.
//
// Values are minimized (lower is better). Thread safety: immutable after
// construction.
#ifndef HPSWEEP_COORDINATOR_SEARCH_PRUNED_ESTIMATE_H_
#define HPSWEEP_COORDINATOR_SEARCH_PRUNED_ESTIMATE_H_

#include <vector>

namespace hpsweep::coordinator {

// A completed trial: its value at a level of training and its final value.
struct EarlyAndFinal {
  double early = 0;
  double final_value = 0;
};

class FinalValueEstimator {
 public:
  static constexpr int kMinCompleted = 3;

  // `completed`: the completed trials that recorded a value at the level;
  // non-finite pairs are ignored.
  explicit FinalValueEstimator(std::vector<EarlyAndFinal> completed);

  // Whether early values at this level predict final ones (see above).
  bool informative() const { return informative_; }
  // Spearman's rho over the completed trials; 0 with fewer than 2.
  double rho() const { return rho_; }

  // The estimated final value of a trial whose value at the level was
  // `early`. REQUIRES: informative().
  double Estimate(double early) const;

 private:
  std::vector<double> early_;   // sorted
  std::vector<double> finals_;  // sorted
  double rho_ = 0;
  bool informative_ = false;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SEARCH_PRUNED_ESTIMATE_H_
