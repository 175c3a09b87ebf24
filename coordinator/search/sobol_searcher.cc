// sobol searcher: trial `number` is point `number` of a Sobol sequence
// scrambled by the sweep's seed, decoded through the search space.
#include <memory>

#include "coordinator/search/bo/sobol.h"
#include "coordinator/search/searcher.h"

namespace hpsweep::coordinator {
namespace {

class SobolSearcher final : public Searcher {
 public:
  explicit SobolSearcher(const SearchSpace& space)
      : space_(space), sequence_(std::max(1, space.dimensions()), space.spec().seed) {}

  StatusOr<std::optional<proto::Json>> Suggest(const std::vector<TrialView>&,
                                               uint64_t number) override {
    if (number != sequence_.index()) {
      // Out of order (a restart, or a re-run): position the sequence afresh.
      sequence_ = bo::SobolSequence(std::max(1, space_.dimensions()), space_.spec().seed);
      sequence_.Skip(number);
    }
    std::vector<double> u = sequence_.Next();
    u.resize(space_.dimensions());
    return std::optional<proto::Json>(space_.Decode(u));
  }

 private:
  const SearchSpace& space_;
  bo::SobolSequence sequence_;
};

}  // namespace

std::unique_ptr<Searcher> NewSobolSearcher(const SearchSpace& space) {
  return std::make_unique<SobolSearcher>(space);
}

proto::Json FallbackSuggestion(const SearchSpace& space, uint64_t number) {
  // A stream of its own (seed mixed with a constant), so fallback points do
  // not repeat the points a sobol sweep with the same seed would propose.
  bo::SobolSequence sequence(std::max(1, space.dimensions()),
                             space.spec().seed ^ 0xFA11BAC4FA11BAC4ULL);
  sequence.Skip(number);
  std::vector<double> u = sequence.Next();
  u.resize(space.dimensions());
  return space.Decode(u);
}

}  // namespace hpsweep::coordinator
