// Searcher: decides the parameters of the next trial of a sweep.
//
// A searcher sees every trial of its sweep created so far — completed ones
// with their objective, pending/running ones, failed ones — so that parallel
// suggestions do not pile onto one point. Suggest must be a deterministic
// function of (spec, history, number): after a coordinator restart the
// searcher is rebuilt from the stored trials and proposes the same points.
//
// Thread safety: not thread-safe; the coordinator calls one searcher from one
// thread at a time.
#ifndef HPSWEEP_COORDINATOR_SEARCH_SEARCHER_H_
#define HPSWEEP_COORDINATOR_SEARCH_SEARCHER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "coordinator/search/search_space.h"
#include "proto/messages.h"

namespace hpsweep::coordinator {

// What a searcher may know about one trial.
struct TrialView {
  uint64_t number = 0;
  proto::Json params;
  proto::TrialState state = proto::TrialState::kPending;
  // The sweep metric's final value, in the user's direction (see spec goal).
  std::optional<double> objective;
  // Multi-objective or constrained sweeps, once completed (else empty; see
  // outcomes.h): every objective's final value in spec order, in the user's
  // direction, and every constraint's metric value; NaN where absent.
  std::vector<double> objectives;
  std::vector<double> constraint_values;
  // A pruned trial: the sweep metric's value at the step it was stopped
  // (user's direction); bayes and tpe learn from it (bo_history.h).
  std::optional<double> pruned_value;
  // An ended trial of a sweep with a stopping policy: the sweep metric
  // (user's direction) at each of the policy's levels the trial reached, in
  // increasing level (StoppingPolicy::Levels); bayes estimates a pruned
  // trial's final value from them (bo_history.h). Empty otherwise.
  struct LevelValue {
    int64_t level = 0;
    double value = 0;
  };
  std::vector<LevelValue> levels;
};

// What a pruned trial showed: the sweep metric `metric` among the values it
// reported when its sweep's stopping policy stopped it; nullopt otherwise.
std::optional<double> PrunedValue(const proto::Trial& trial, const std::string& metric);

// A proposed point and how it was chosen.
struct Suggestion {
  proto::Json params;
  // The searchers fill what they know (source, model, observations,
  // pending); an empty source is filled by the caller with the sweep's method.
  proto::TrialOrigin origin;
};

class Searcher {
 public:
  virtual ~Searcher() = default;
  // Parameters for trial `number` (0-based, creation order), given `history`
  // (every earlier trial of the sweep, ordered by number). nullopt when the
  // searcher has nothing more to propose (a finished grid).
  virtual StatusOr<std::optional<proto::Json>> Suggest(const std::vector<TrialView>& history,
                                                       uint64_t number) = 0;
  // Parameters for trials first_number .. first_number + count - 1, proposed
  // together (a batch is spread out, not piled onto one point), with their
  // provenance. The default calls Suggest once per trial; fewer than `count`
  // means exhausted. `cancelled` (may be null) turns true when the answer is
  // no longer wanted (a result arrived meanwhile): a slow searcher may then
  // stop early with kCancelled.
  virtual StatusOr<std::vector<Suggestion>> SuggestBatch(const std::vector<TrialView>& history,
                                                         uint64_t first_number, int count,
                                                         const std::atomic<bool>* cancelled);
  // True when Suggest may take long enough (model fits) that it should run off
  // the service strand (see suggestion_queue.h).
  virtual bool IsSlow() const { return false; }
  // Slow searchers: how long an ask may wait for a fresh suggestion before a
  // quasi-random fallback is served (method_options.max_wait_seconds).
  virtual double MaxWaitSeconds() const { return 0; }
};

// The searcher for spec.method: grid, random and sobol (searchers.cc), bayes
// and tpe (bo_searchers.cc, over coordinator/bo).
StatusOr<std::unique_ptr<Searcher>> CreateSearcher(const SearchSpace& space);
StatusOr<std::unique_ptr<Searcher>> NewBayesSearcher(const SearchSpace& space);
StatusOr<std::unique_ptr<Searcher>> NewTpeSearcher(const SearchSpace& space);

// A quasi-random point for trial `number`, independent of any searcher's own
// stream: what the lease path serves when a slow searcher's queue is empty.
proto::Json FallbackSuggestion(const SearchSpace& space, uint64_t number);

// Seed for trial `number` of a sweep seeded `seed`; independent streams.
uint64_t TrialSeed(uint64_t seed, uint64_t number);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SEARCH_SEARCHER_H_
