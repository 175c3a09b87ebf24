// PbtScheduler: population-based training (Jaderberg et al. 2017, as Ray
// Tune's PopulationBasedTraining runs it) for a `method: pbt` sweep
// (proto/pbt_options.h; fields and defaults in proto/sweep_schema.md). A
// sweep run owns one beside its searcher (sweep_manager.h); the trial
// manager hands it every report that carries the sweep metric.
//
// Rules:
//   population  the first population_size trials are sampled at random (the
//               run's searcher); after that new trials come only from
//               exploits, one child per exploited trial, up to max_trials
//               trials in all.
//   judging     a trial is judged when it reports a step at least
//               perturbation_interval steps past its last judgement (at
//               first: past the step it started from, 0 or a child's
//               start_step). It is ranked by its latest value against the
//               latest values of the live population (leased or running
//               trials that reported; ties by trial id). With n of them,
//               q = ceil(n * quantile_fraction), at most floor(n / 2).
//   exploit     a trial in the bottom q ends (the trial manager prunes it,
//               reason "pbt: ...") and one child is created that starts from
//               the latest checkpoint of a trial drawn from the top q (those
//               with a stored checkpoint); no donor with a checkpoint, or no
//               trials left in max_trials: the trial continues.
//   explore     the child takes the donor's parameters; each parameter named
//               in hyperparam_mutations is, with resample_probability,
//               resampled from its distribution, otherwise perturbed:
//               numbers times a factor drawn from perturbation_factors,
//               clamped to [min, max] (integers rounded), categoricals moved
//               to a neighbouring value (as Ray Tune does). Every other
//               parameter keeps the donor's value (fixed per lineage).
//
// Randomness (donor choice, explore) is drawn from the sweep's seed and the
// child's trial number, so a decision is reproducible.
//
// State is a function of the trials' reports and which trials ended, so a
// coordinator restart rebuilds it by replaying the stored curves through
// Observe (no decisions) and then Finished (SweepManager::Recover); children
// and exploited trials are stored trials already.
//
// Steps are the reports' `step` values (completed epochs for the zoo).
//
// Thread safety: not thread-safe; called on the service strand only.
#ifndef HPSWEEP_COORDINATOR_PBT_H_
#define HPSWEEP_COORDINATOR_PBT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "proto/messages.h"
#include "proto/pbt_options.h"
#include "proto/sweep_spec.h"

namespace hpsweep::coordinator {

// What an exploit decided: the trial being judged ends, and a child with
// `params` and lineage `parent` (parent.replaced_trial_id set) is created.
struct ExploitPlan {
  proto::Json params;
  proto::TrialParent parent;
  std::string reason;  // why the judged trial ends (its prune reason)
};

// A child's parameters explored from a donor's, and what changed.
struct Explored {
  proto::Json params;
  std::string description;  // "lr 0.01 -> 0.012 (x1.2); act relu -> tanh (resampled)"
};

class PbtScheduler {
 public:
  // REQUIRES: spec.method == pbt and `options` == ParsePbtOptions(spec).
  PbtScheduler(proto::SweepSpec spec, proto::PbtOptions options);

  const proto::PbtOptions& options() const { return options_; }

  // Records `trial`'s report of `value` at `step` and judges it when the
  // step is a perturbation point for it. `trials` is the sweep's trials by
  // id (donors are looked up there for their checkpoints); `child_number` is
  // the number the child would get; `may_create` is false once the sweep
  // has no trials left in max_trials. Returns the exploit, if any; the
  // caller ends `trial` and creates the child.
  std::optional<ExploitPlan> Report(const proto::Trial& trial, int64_t step, double value,
                                    const std::map<uint64_t, proto::Trial>& trials,
                                    uint64_t child_number, bool may_create);
  // Records a report without judging (replaying stored curves on recovery).
  void Observe(const proto::Trial& trial, int64_t step, double value);
  // The trial ended (any terminal state): it leaves the live population.
  // Idempotent.
  void Finished(uint64_t trial_id);

  // Explore: the child's parameters from `donor_params`, drawing from `rng`.
  Explored Explore(const proto::Json& donor_params, std::mt19937_64& rng) const;

 private:
  struct Member {
    double score = 0;         // latest value, lower is better
    int64_t step = -1;        // latest reported step
    int64_t last_judged = 0;  // step of its last judgement (or start)
    bool live = true;
  };
  // Records the report; true when `step` is a perturbation point.
  bool Record(const proto::Trial& trial, int64_t step, double value);
  double Score(double value) const { return maximize_ ? -value : value; }

  proto::SweepSpec spec_;
  proto::PbtOptions options_;
  bool maximize_;
  std::unordered_map<uint64_t, Member> members_;  // by trial id
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_PBT_H_
