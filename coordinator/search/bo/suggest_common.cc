#include "coordinator/search/bo/suggest_common.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <utility>

namespace hpsweep::coordinator::bo {
namespace {

// Fits with fewer points than this are always full: they are cheap.
constexpr size_t kMinWarmPoints = 16;
// Checkpoints grow by this factor.
constexpr double kCheckpointGrowth = 1.25;

// The largest checkpoint <= n: kMinWarmPoints, then each 25% more.
size_t CheckpointFor(size_t n) {
  size_t c = kMinWarmPoints;
  while (true) {
    const size_t next = std::max(c + 1, static_cast<size_t>(c * kCheckpointGrowth));
    if (next > n) return c;
    c = next;
  }
}

// FNV-1a over the bit patterns of the first `n` rows and values.
uint64_t DataKey(const std::vector<std::vector<double>>& xs, const std::vector<double>& ys,
                 size_t n) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 8; ++i) {
      h ^= (bits >> (8 * i)) & 0xFF;
      h *= 1099511628211ULL;
    }
  };
  for (size_t i = 0; i < n; ++i) {
    for (double v : xs[i]) mix(v);
    mix(ys[i]);
  }
  return h ^ n;
}

}  // namespace

torch::TensorOptions F64() { return torch::TensorOptions().dtype(torch::kFloat64); }

torch::Tensor ToTensor(const std::vector<std::vector<double>>& rows, int64_t d) {
  auto t = torch::empty({static_cast<int64_t>(rows.size()), d}, F64());
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int64_t j = 0; j < d; ++j) a[i][j] = rows[i][j];
  }
  return t;
}

std::vector<double> Row(const torch::Tensor& t, int64_t i) {
  const auto r = t[i].contiguous();
  return std::vector<double>(r.data_ptr<double>(), r.data_ptr<double>() + r.numel());
}

bool IsNew(const std::vector<double>& x, const std::vector<std::vector<double>>& seen) {
  for (const auto& s : seen) {
    if (MaxAbsDistance(x, s) < kSamePoint) return false;
  }
  return true;
}

Status ValidateSuggestRequest(const GpOptions& options, const Problem& problem, int count) {
  HPS_RETURN_IF_ERROR(options.Validate());
  HPS_RETURN_IF_ERROR(ValidateProblem(problem));
  if (count < 1) return InvalidArgumentError("count must be >= 1", "count");
  return Status::Ok();
}

Status CheckCancelled(const std::atomic<bool>* cancelled, const char* what) {
  if (cancelled != nullptr && cancelled->load(std::memory_order_relaxed)) {
    return CancelledError(std::string(what) + " no longer wanted");
  }
  return Status::Ok();
}

SuggestionBatch::SuggestionBatch(const GpOptions& options, const Problem& problem, uint64_t seed)
    : problem_(problem),
      n_init_(options.initial_design > 0 ? options.initial_design
                                         : std::max(5, 2 * static_cast<int>(problem.dims.size()))),
      design_(static_cast<int>(problem.dims.size()), MixSeed(seed, 0xD5)),
      seen_(problem.KnownPoints()) {
  known_ = seen_.size();
  design_.Skip(known_);
}

bool SuggestionBatch::AddInitialDesign(int count) {
  // A GP needs one finite value and two points.
  const bool can_model =
      !problem_.completed.empty() && problem_.completed.size() + problem_.failed.size() >= 2;
  while (static_cast<int>(out_.size()) < count && (known_ + out_.size() < n_init_ || !can_model)) {
    out_.push_back(NextDesignPoint());
    from_model_.push_back(false);
  }
  return static_cast<int>(out_.size()) == count;
}

const std::vector<double>& SuggestionBatch::AddFirstNew(std::vector<std::vector<double>> ranked) {
  std::vector<double> pick;
  for (auto& c : ranked) {
    if (IsNew(c, seen_) && IsNew(c, out_)) {
      pick = std::move(c);
      break;
    }
  }
  from_model_.push_back(!pick.empty());
  if (pick.empty()) pick = NextDesignPoint();
  out_.push_back(std::move(pick));
  return out_.back();
}

std::vector<double> SuggestionBatch::NextDesignPoint() {
  std::vector<double> x;
  for (int tries = 0; tries < 64; ++tries) {
    x = PointFromDesign(problem_.dims, design_.Next());
    if (IsNew(x, seen_) && IsNew(x, out_)) break;
  }
  return x;
}

std::vector<std::vector<double>> ScreenPoints(const std::vector<Dimension>& dims,
                                              const GpOptions& options,
                                              const std::vector<std::vector<double>>& centers,
                                              uint64_t sobol_seed, Rng* rng) {
  SobolSequence sobol(CoordinateCount(dims), sobol_seed);
  std::vector<std::vector<double>> rows;
  rows.reserve(options.raw_samples + options.local_samples);
  for (int i = 0; i < options.raw_samples; ++i) rows.push_back(sobol.Next());
  for (int i = 0; i < options.local_samples && !centers.empty(); ++i) {
    std::vector<double> p = centers[i % centers.size()];
    const double sd = i % 2 == 0 ? 0.02 : 0.1;
    for (double& v : p) v = std::clamp(v + sd * rng->Normal(), 0.0, 1.0);
    rows.push_back(std::move(p));
  }
  for (auto& row : rows) SnapToSpace(dims, &row);
  return rows;
}

std::vector<bool> MovableCoordinates(const std::vector<Dimension>& dims) {
  std::vector<bool> m;
  for (const Dimension& dim : dims) {
    if (dim.kind == Dimension::Kind::kCategorical) {
      m.insert(m.end(), dim.num_levels, false);
    } else {
      m.push_back(true);
    }
  }
  return m;
}

std::vector<std::vector<double>> SubspacePoints(const std::vector<Dimension>& dims,
                                                const std::vector<std::vector<double>>& centers,
                                                int count, Rng* rng) {
  std::vector<std::vector<double>> out;
  if (centers.empty() || dims.empty()) return out;
  const double p = 1.0 / static_cast<double>(dims.size());
  std::vector<bool> redraw(dims.size());
  std::vector<double> u(dims.size());
  for (int i = 0; i < count; ++i) {
    bool any = false;
    for (size_t j = 0; j < dims.size(); ++j) any |= (redraw[j] = rng->Uniform() < p);
    if (!any) redraw[rng->Below(dims.size())] = true;
    // Only redrawn Dimensions draw: a level or choice k of n as the design
    // coordinate (k + 0.5) / n, which PointFromDesign maps back to k.
    for (size_t j = 0; j < dims.size(); ++j) {
      if (!redraw[j]) continue;
      const Dimension& d = dims[j];
      if (d.kind == Dimension::Kind::kContinuous) {
        u[j] = rng->Uniform();
      } else {
        const uint64_t n = static_cast<uint64_t>(std::max(1, d.num_levels));
        u[j] = (static_cast<double>(rng->Below(n)) + 0.5) / static_cast<double>(n);
      }
    }
    const std::vector<double> fresh = PointFromDesign(dims, u);
    std::vector<double> x = centers[i % centers.size()];
    size_t c = 0;
    for (size_t j = 0; j < dims.size(); ++j) {
      const size_t width = static_cast<size_t>(CoordinateWidth(dims[j]));
      if (redraw[j]) std::copy(fresh.begin() + c, fresh.begin() + c + width, x.begin() + c);
      c += width;
    }
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<std::vector<double>> RankSnapped(
    const std::vector<Dimension>& dims, std::vector<std::vector<double>> candidates,
    const std::function<torch::Tensor(const torch::Tensor&)>& acquisition) {
  for (auto& c : candidates) SnapToSpace(dims, &c);
  torch::Tensor acq;
  {
    torch::NoGradGuard no_grad;
    acq = acquisition(ToTensor(candidates, CoordinateCount(dims))).contiguous();
  }
  std::vector<int64_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  const auto a = acq.accessor<double, 1>();
  std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return a[i] > a[j]; });
  std::vector<std::vector<double>> ranked;
  ranked.reserve(order.size());
  for (int64_t i : order) ranked.push_back(std::move(candidates[i]));
  return ranked;
}

StatusOr<GpHyperparameters> FitWithCheckpoints(
    const GpOptions& options, const std::vector<std::vector<double>>& xs,
    const std::vector<double>& raw, const torch::Tensor& x, const torch::Tensor& y,
    const std::function<std::vector<double>(const std::vector<double>&)>& transform, uint64_t seed,
    FitCheckpoint* checkpoint, const std::atomic<bool>* cancelled) {
  const size_t n = xs.size();
  if (options.warm_iterations == 0 || n < kMinWarmPoints) {
    return FitGpHyperparameters(x, y, options.fit, MixSeed(seed, n));
  }
  const size_t c = CheckpointFor(n);
  const uint64_t key = DataKey(xs, raw, c);
  GpHyperparameters start;
  {
    std::lock_guard<std::mutex> lock(checkpoint->mu);
    if (checkpoint->key == key) start = checkpoint->hp;
  }
  if (start.lengthscales.empty()) {
    const std::vector<double> first(raw.begin(), raw.begin() + c);
    const auto xc = x.narrow(0, 0, static_cast<int64_t>(c));
    const auto yc = torch::tensor(transform(first), F64());
    HPS_ASSIGN_OR_RETURN(start, FitGpHyperparameters(xc, yc, options.fit, MixSeed(seed, c)));
    std::lock_guard<std::mutex> lock(checkpoint->mu);
    checkpoint->key = key;
    checkpoint->hp = start;
  }
  if (c == n) return start;
  HPS_RETURN_IF_ERROR(CheckCancelled(cancelled, "GP fit"));
  GpFitOptions warm = options.fit;
  warm.restarts = 1;
  warm.max_iterations = options.warm_iterations;
  return FitGpHyperparameters(x, y, warm, MixSeed(seed, n), &start);
}

}  // namespace hpsweep::coordinator::bo
