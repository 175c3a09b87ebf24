// Scaffolding shared by the two GP suggesters (gp_suggester.h: one
// objective, LogEI; mo_gp_suggester.h: several objectives and constraints,
// qParEGO): the request checks, the batch being built with its initial
// Sobol design, the screen of Sobol and local points, the ranking of snapped
// candidates, and hyperparameter fits warm-started from cached checkpoints.
// What differs between the two — the models and the acquisition — stays in
// each suggester.
//
// Thread safety: functions are pure apart from their pointer arguments;
// SuggestionBatch is not thread-safe (one per Suggest call); FitCheckpoint
// has a mutex, so one checkpoint may serve concurrent calls.
#ifndef HPSWEEP_COORDINATOR_BO_SUGGEST_COMMON_H_
#define HPSWEEP_COORDINATOR_BO_SUGGEST_COMMON_H_

#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "coordinator/search/bo/gp.h"
#include "coordinator/search/bo/gp_options.h"
#include "coordinator/search/bo/problem.h"
#include "coordinator/search/bo/sobol.h"

namespace hpsweep::coordinator::bo {

// Points closer than this (max-norm) count as the same point.
inline constexpr double kSamePoint = 1e-9;

torch::TensorOptions F64();
// [rows.size(), d] double tensor. REQUIRES: every row has >= d values.
torch::Tensor ToTensor(const std::vector<std::vector<double>>& rows, int64_t d);
// Row i of a 2-D double tensor.
std::vector<double> Row(const torch::Tensor& t, int64_t i);
// True when no point of `seen` is within kSamePoint of x.
bool IsNew(const std::vector<double>& x, const std::vector<std::vector<double>>& seen);

// What every Suggest checks before computing anything: the options, the
// problem and count >= 1. kInvalidArgument naming the field otherwise.
Status ValidateSuggestRequest(const GpOptions& options, const Problem& problem, int count);

// kCancelled("<what> no longer wanted") once *cancelled is true; OK when
// `cancelled` is null.
Status CheckCancelled(const std::atomic<bool>* cancelled, const char* what);

// The batch one Suggest call builds: the points it must differ from (the
// problem's known points: Problem::KnownPoints), the points chosen so far
// and where each came from, and the scrambled Sobol initial design, which
// continues across calls because it skips the points the problem knows.
class SuggestionBatch {
 public:
  // `options.initial_design` 0 means max(5, 2 * dims). The references must
  // outlive the batch.
  SuggestionBatch(const GpOptions& options, const Problem& problem, uint64_t seed);

  // Adds design points while the initial design lasts, or while no model
  // can be fitted (no completed trial, or fewer than two finished ones).
  // Returns true when the batch holds `count` points.
  bool AddInitialDesign(int count);
  // Adds the first point of `ranked` that is new (neither known nor in the
  // batch) as a model point; when none is, the next design point.
  const std::vector<double>& AddFirstNew(std::vector<std::vector<double>> ranked);

  // Points the problem knows (Problem::KnownPoints).
  size_t known() const { return known_; }
  size_t size() const { return out_.size(); }
  const std::vector<std::vector<double>>& points() const { return out_; }
  // Per point: true when a model chose it.
  const std::vector<bool>& from_model() const { return from_model_; }

  // The loop both GP suggesters run to `count` points: the initial design
  // while it lasts; then build() once, and per point maximize() (ranked
  // candidates) chooses the first new one, which believe(point) adds to the
  // models as a pseudo-observation unless the batch is then full. Checks
  // `cancelled` before each point (kCancelled "<what> no longer wanted"); a
  // LibTorch error becomes kInternal prefixed with `what`.
  //   build:    () -> Status
  //   maximize: () -> StatusOr<std::vector<std::vector<double>>>
  //   believe:  (const std::vector<double>&) -> Status
  template <typename Build, typename Maximize, typename Believe>
  StatusOr<std::vector<std::vector<double>>> Fill(int count, const char* what,
                                                  const std::atomic<bool>* cancelled, Build build,
                                                  Maximize maximize, Believe believe);

 private:
  // The next design point not already known (discrete spaces can repeat;
  // then the sequence is advanced, a bounded number of times).
  std::vector<double> NextDesignPoint();

  const Problem& problem_;
  const size_t n_init_;
  SobolSequence design_;
  std::vector<std::vector<double>> seen_;
  size_t known_ = 0;
  std::vector<std::vector<double>> out_;
  std::vector<bool> from_model_;
};

template <typename Build, typename Maximize, typename Believe>
StatusOr<std::vector<std::vector<double>>> SuggestionBatch::Fill(int count, const char* what,
                                                                 const std::atomic<bool>* cancelled,
                                                                 Build build, Maximize maximize,
                                                                 Believe believe) {
  if (AddInitialDesign(count)) return out_;
  try {
    HPS_RETURN_IF_ERROR(build());
    while (static_cast<int>(out_.size()) < count) {
      HPS_RETURN_IF_ERROR(CheckCancelled(cancelled, what));
      HPS_ASSIGN_OR_RETURN(std::vector<std::vector<double>> ranked, maximize());
      const std::vector<double>& pick = AddFirstNew(std::move(ranked));
      if (static_cast<int>(out_.size()) < count) HPS_RETURN_IF_ERROR(believe(pick));
    }
  } catch (const c10::Error& e) {
    return InternalError(std::string(what) + ": " + e.what_without_backtrace());
  }
  return out_;
}

// The points an acquisition is screened on: options.raw_samples points of a
// scrambled Sobol sequence seeded with `sobol_seed`, then
// options.local_samples points around `centers` in turn (Gaussian steps of
// 2% and 10% of the range alternately, drawn from `rng`, clamped), each
// snapped to the space (integers on their levels, categoricals one-hot: a
// relaxed one-hot between categories scores points that do not exist).
std::vector<std::vector<double>> ScreenPoints(const std::vector<Dimension>& dims,
                                              const GpOptions& options,
                                              const std::vector<std::vector<double>>& centers,
                                              uint64_t sobol_seed, Rng* rng);

// Per coordinate: false for one-hot (categorical) coordinates, which local
// moves leave alone, true for continuous and integer ones.
std::vector<bool> MovableCoordinates(const std::vector<Dimension>& dims);

// `count` subspace perturbations (GpOptions::subspace_samples): point i is
// centers[i % centers.size()] with each Dimension redrawn with probability
// 1/dims.size() (at least one Dimension per point), a redrawn Dimension
// taking any value of its range with equal probability (PointFromDesign).
// Other coordinates are copied exactly. Empty when `centers` is.
std::vector<std::vector<double>> SubspacePoints(const std::vector<Dimension>& dims,
                                                const std::vector<std::vector<double>>& centers,
                                                int count, Rng* rng);

// `candidates` snapped to the space and ranked by `acquisition` (a [m]
// tensor for [m, d] points; higher is better), best first, ties in input
// order. Ranking after snapping matters: a relaxed optimum may round onto a
// poor point.
std::vector<std::vector<double>> RankSnapped(
    const std::vector<Dimension>& dims, std::vector<std::vector<double>> candidates,
    const std::function<torch::Tensor(const torch::Tensor&)>& acquisition);

// Warm starts (GpOptions::warm_iterations): the full fit at the last
// checkpoint, keyed by the data it was fitted on.
struct FitCheckpoint {
  std::mutex mu;
  uint64_t key = 0;  // DataKey of the points fitted; 0: none yet
  GpHyperparameters hp;
};

// The hyperparameters for points `xs` with raw values `raw` (as the caller
// imputed them; x and y are their tensors, y = transform(raw)). A fit of
// fewer than 16 points, or with warm_iterations 0, is full (fit.restarts
// starts, seed MixSeed(seed, n)). Otherwise the fit is full at a checkpoint
// (16 points, then every 25% more): the checkpoint's fit is a function of
// its first c points alone (fitted to transform(first c raw values), seed
// MixSeed(seed, c)), cached in `checkpoint`, recomputed once on a miss; in
// between, one start from the checkpoint's hyperparameters with
// warm_iterations L-BFGS iterations. The cache only saves work: the result
// does not depend on what it holds. kCancelled between the two fits when
// `cancelled` turns true (the checkpoint fit is cached first).
StatusOr<GpHyperparameters> FitWithCheckpoints(
    const GpOptions& options, const std::vector<std::vector<double>>& xs,
    const std::vector<double>& raw, const torch::Tensor& x, const torch::Tensor& y,
    const std::function<std::vector<double>(const std::vector<double>&)>& transform, uint64_t seed,
    FitCheckpoint* checkpoint, const std::atomic<bool>* cancelled);

}  // namespace hpsweep::coordinator::bo

#endif  // HPSWEEP_COORDINATOR_BO_SUGGEST_COMMON_H_
