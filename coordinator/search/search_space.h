// SearchSpace: a sweep's parameters as points of the unit cube.
//
// Every searcher proposes points u in [0,1]^D and the search space decodes
// them into parameter assignments (JSON objects name -> value); Bayesian
// optimization encodes stored assignments back into the cube. Layout, one
// block per non-constant parameter in spec order:
//   uniform          1 coordinate, linear
//   log_uniform      1 coordinate, linear in log(value)
//   int_uniform      1 coordinate, `max-min+1` equal-width levels
//   int_log_uniform  1 coordinate, log scale, rounded to the nearest integer
//   categorical      one coordinate per value (one-hot; decoded by argmax)
// Constants occupy no coordinate. A conditional parameter is active only when
// its parent's decoded value is one of its condition's values; inactive
// parameters are absent from the assignment and masked out when encoding.
//
// Thread safety: immutable after Create; safe to share.
#ifndef HPSWEEP_COORDINATOR_SEARCH_SEARCH_SPACE_H_
#define HPSWEEP_COORDINATOR_SEARCH_SEARCH_SPACE_H_

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "proto/sweep_spec.h"

namespace hpsweep::coordinator {

class SearchSpace {
 public:
  // How one encoded block is to be treated by a model of the space.
  struct Block {
    enum class Kind { kContinuous, kInteger, kCategorical };
    Kind kind = Kind::kContinuous;
    int parameter = 0;  // index into spec.parameters
    int offset = 0;     // first coordinate
    int width = 1;      // coordinates (categorical: number of values)
    int levels = 0;     // kInteger: number of integer values (linear ints only)
  };

  static StatusOr<SearchSpace> Create(const proto::SweepSpec& spec);

  const proto::SweepSpec& spec() const { return spec_; }
  // Number of coordinates of the encoded cube.
  int dimensions() const { return dimensions_; }
  const std::vector<Block>& blocks() const { return blocks_; }

  // The assignment a point decodes to. REQUIRES: u.size() == dimensions();
  // coordinates outside [0,1] are clamped.
  proto::Json Decode(const std::vector<double>& u) const;
  // The point of an assignment, and which coordinates are active (inactive
  // conditional parameters get 0.5 and false). INVALID_ARGUMENT naming the
  // parameter if a value does not belong to the space.
  Status Encode(const proto::Json& params, std::vector<double>* u, std::vector<bool>* active) const;

  // Number of grid points (continuous axes get `grid_points` values each;
  // conditional branches are expanded only where active), or cap + 1 if larger.
  // Computed from per-parameter counts (overflow-safe), never by enumerating:
  // O(1) after Create.
  int64_t GridSize(int64_t cap) const;
  // The index-th grid point, in a fixed order (parameters in spec order, the
  // first one most significant). REQUIRES: index < GridSize. Costs
  // O(parameters^2 + values), whatever the grid's size.
  proto::Json GridPoint(int64_t index) const;

 private:
  explicit SearchSpace(proto::SweepSpec spec) : spec_(std::move(spec)) {}
  bool IsActive(const proto::ParameterSpec& p, const proto::Json& assigned) const;
  // The values a parameter takes on the grid.
  std::vector<proto::Json> GridValues(const proto::ParameterSpec& p) const;
  // Fills the grid tables below.
  void PrepareGrid();

  proto::SweepSpec spec_;
  std::vector<Block> blocks_;
  std::vector<int> block_of_parameter_;  // -1 for constants
  int dimensions_ = 0;
  // Per parameter (spec order): its grid values; its parent's index (-1:
  // unconditional); for a child, whether it is active under each of the
  // parent's grid values; and the number of grid points of the subtree it
  // roots (itself and its descendants), saturated at kGridCountLimit.
  std::vector<std::vector<proto::Json>> grid_values_;
  std::vector<int> parent_;
  std::vector<std::vector<bool>> active_under_;
  std::vector<std::vector<int>> children_;
  std::vector<int64_t> subtree_points_;
};

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_SEARCH_SEARCH_SPACE_H_
