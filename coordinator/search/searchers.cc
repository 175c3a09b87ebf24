// grid, random and sobol searchers. Each proposes trial `number` from the seed
// and the number alone, which makes them restart-safe by construction.
#include <cstdint>
#include <random>
#include <string>

#include "coordinator/search/searcher.h"

namespace hpsweep::coordinator {
namespace {

class GridSearcher final : public Searcher {
 public:
  explicit GridSearcher(const SearchSpace& space)
      : space_(space), size_(space.GridSize(kMaxGrid)) {}

  StatusOr<std::optional<proto::Json>> Suggest(const std::vector<TrialView>&,
                                               uint64_t number) override {
    if (static_cast<int64_t>(number) >= size_) return std::optional<proto::Json>();
    return std::optional<proto::Json>(space_.GridPoint(static_cast<int64_t>(number)));
  }

  static constexpr int64_t kMaxGrid = proto::kMaxGridSize;

 private:
  const SearchSpace& space_;
  int64_t size_;
};

class RandomSearcher final : public Searcher {
 public:
  explicit RandomSearcher(const SearchSpace& space) : space_(space) {}

  StatusOr<std::optional<proto::Json>> Suggest(const std::vector<TrialView>&,
                                               uint64_t number) override {
    std::mt19937_64 rng(TrialSeed(space_.spec().seed, number));
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<double> u(space_.dimensions());
    for (double& x : u) x = uniform(rng);
    return std::optional<proto::Json>(space_.Decode(u));
  }

 private:
  const SearchSpace& space_;
};

}  // namespace

uint64_t TrialSeed(uint64_t seed, uint64_t number) {
  // splitmix64 of a combination: well-mixed, distinct streams per trial.
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + number + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::unique_ptr<Searcher> NewSobolSearcher(const SearchSpace& space);

StatusOr<std::vector<Suggestion>> Searcher::SuggestBatch(const std::vector<TrialView>& history,
                                                         uint64_t first_number, int count,
                                                         const std::atomic<bool>*) {
  std::vector<Suggestion> out;
  for (int i = 0; i < count; ++i) {
    HPS_ASSIGN_OR_RETURN(std::optional<proto::Json> p, Suggest(history, first_number + i));
    if (!p) break;
    out.push_back(Suggestion{std::move(*p), {}});
  }
  return out;
}

StatusOr<std::unique_ptr<Searcher>> CreateSearcher(const SearchSpace& space) {
  switch (space.spec().method) {
    case proto::Method::kGrid: {
      // Counted, not enumerated: a grid of any size is refused at once.
      const int64_t size = space.GridSize(INT64_MAX / 2);
      if (size > GridSearcher::kMaxGrid) {
        return InvalidArgumentError(
            "the grid has " + (size > INT64_MAX / 2 ? std::string("more than 2^62") : std::to_string(size)) +
                " points; at most " + std::to_string(GridSearcher::kMaxGrid) +
                " are allowed: use fewer grid_points or values, or a sampling method",
            "/method");
      }
      return std::unique_ptr<Searcher>(new GridSearcher(space));
    }
    case proto::Method::kRandom:
    case proto::Method::kPbt:  // the initial population (pbt.h explores after it)
      return std::unique_ptr<Searcher>(new RandomSearcher(space));
    case proto::Method::kSobol:
      return NewSobolSearcher(space);
    case proto::Method::kBayes:
      return NewBayesSearcher(space);
    case proto::Method::kTpe:
      return NewTpeSearcher(space);
  }
  return InternalError("unknown method");
}

}  // namespace hpsweep::coordinator
