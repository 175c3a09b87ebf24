#include "coordinator/search/search_space.h"

#include <algorithm>
#include <cmath>

namespace hpsweep::coordinator {

using proto::Json;
using proto::ParameterSpec;
using proto::ParamKind;

namespace {

double Clamp01(double u) { return std::min(1.0, std::max(0.0, std::isfinite(u) ? u : 0.5)); }

// Grid counts saturate here (far above any grid a sweep may have).
constexpr int64_t kGridCountLimit = int64_t{1} << 62;

int64_t SaturatingAdd(int64_t a, int64_t b) { return std::min(kGridCountLimit, a + b); }

int64_t SaturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > kGridCountLimit / b) return kGridCountLimit;
  return std::min(kGridCountLimit, a * b);
}

// Log-scale bounds for an int_log_uniform parameter: half a unit beyond each
// end so the end values get their fair share of the axis.
std::pair<double, double> IntLogBounds(const ParameterSpec& p) {
  return {std::log(std::max(p.min - 0.5, 0.5)), std::log(p.max + 0.5)};
}

// Rounding can carry min + u * (max - min) or exp(log(max)) a hair past the
// bounds (past DBL_MAX: infinity); what is sampled stays within them.
double ClampTo(const ParameterSpec& p, double v) { return std::min(p.max, std::max(p.min, v)); }

// REQUIRES: u in [0, 1]; bounds as ParseSweepSpec validates them (finite,
// max - min finite, integers within ±2^53). The result is finite.
Json DecodeNumeric(const ParameterSpec& p, double u) {
  switch (p.kind) {
    case ParamKind::kUniform:
      return ClampTo(p, p.min + u * (p.max - p.min));
    case ParamKind::kLogUniform:
      return ClampTo(p, std::exp(std::log(p.min) + u * (std::log(p.max) - std::log(p.min))));
    case ParamKind::kIntUniform: {
      // Integer arithmetic: bounds within ±2^53 make max - min + 1 fit easily.
      const int64_t lo = static_cast<int64_t>(p.min), hi = static_cast<int64_t>(p.max);
      const int64_t levels = hi - lo + 1;
      const int64_t i = std::min<int64_t>(levels - 1, static_cast<int64_t>(u * static_cast<double>(levels)));
      return lo + i;
    }
    case ParamKind::kIntLogUniform: {
      const auto [lo, hi] = IntLogBounds(p);
      const double v = std::round(std::exp(lo + u * (hi - lo)));
      return static_cast<int64_t>(std::min(p.max, std::max(p.min, v)));
    }
    default:
      return nullptr;
  }
}

// The integer nearest min + u (max - min), within [min, max]: near ±2^53 the
// product rounds in double arithmetic (2^54 - 1 becomes 2^54), which would
// land one past max.
int64_t EvenlySpacedInteger(const ParameterSpec& p, double u) {
  const int64_t lo = static_cast<int64_t>(p.min), hi = static_cast<int64_t>(p.max);
  const int64_t v = lo + static_cast<int64_t>(std::llround(u * static_cast<double>(hi - lo)));
  return std::clamp(v, lo, hi);
}

}  // namespace

StatusOr<SearchSpace> SearchSpace::Create(const proto::SweepSpec& spec) {
  SearchSpace space(spec);
  for (size_t i = 0; i < space.spec_.parameters.size(); ++i) {
    const ParameterSpec& p = space.spec_.parameters[i];
    if (p.kind == ParamKind::kConstant) {
      space.block_of_parameter_.push_back(-1);
      continue;
    }
    Block b;
    b.parameter = static_cast<int>(i);
    b.offset = space.dimensions_;
    if (p.kind == ParamKind::kCategorical) {
      b.kind = Block::Kind::kCategorical;
      b.width = static_cast<int>(p.values.size());
    } else if (p.kind == ParamKind::kIntUniform) {
      b.kind = Block::Kind::kInteger;
      b.levels = static_cast<int>(std::min(p.max - p.min + 1, 1e9));
    }
    space.dimensions_ += b.width;
    space.block_of_parameter_.push_back(static_cast<int>(space.blocks_.size()));
    space.blocks_.push_back(b);
  }
  space.PrepareGrid();
  return space;
}

void SearchSpace::PrepareGrid() {
  const size_t n = spec_.parameters.size();
  grid_values_.resize(n);
  parent_.assign(n, -1);
  active_under_.assign(n, {});
  children_.assign(n, {});
  subtree_points_.assign(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const ParameterSpec& p = spec_.parameters[i];
    grid_values_[i] = GridValues(p);
    if (!p.condition) continue;
    for (size_t k = 0; k < i; ++k) {  // parents precede children (ParseSweepSpec)
      if (spec_.parameters[k].name != p.condition->parent) continue;
      parent_[i] = static_cast<int>(k);
      children_[k].push_back(static_cast<int>(i));
      for (const Json& v : grid_values_[k]) {
        active_under_[i].push_back(std::find(p.condition->values.begin(),
                                             p.condition->values.end(),
                                             v) != p.condition->values.end());
      }
    }
  }
  // Children come after their parents, so walking backwards finds every
  // child's subtree counted before its parent's.
  for (size_t i = n; i-- > 0;) {
    int64_t total = 0;
    for (size_t k = 0; k < grid_values_[i].size(); ++k) {
      int64_t below = 1;
      for (int c : children_[i]) {
        if (active_under_[c][k]) below = SaturatingMul(below, subtree_points_[c]);
      }
      total = SaturatingAdd(total, below);
    }
    subtree_points_[i] = total;
  }
}

bool SearchSpace::IsActive(const ParameterSpec& p, const Json& assigned) const {
  if (!p.condition) return true;
  auto it = assigned.find(p.condition->parent);
  if (it == assigned.end()) return false;  // parent itself inactive
  return std::find(p.condition->values.begin(), p.condition->values.end(), *it) !=
         p.condition->values.end();
}

Json SearchSpace::Decode(const std::vector<double>& u) const {
  Json out = Json::object();
  for (size_t i = 0; i < spec_.parameters.size(); ++i) {
    const ParameterSpec& p = spec_.parameters[i];
    if (!IsActive(p, out)) continue;  // parents come first, so `out` has them
    if (p.kind == ParamKind::kConstant) {
      out[p.name] = p.value;
      continue;
    }
    const Block& b = blocks_[block_of_parameter_[i]];
    if (p.kind == ParamKind::kCategorical) {
      int best = 0;
      for (int k = 1; k < b.width; ++k) {
        if (Clamp01(u[b.offset + k]) > Clamp01(u[b.offset + best])) best = k;
      }
      out[p.name] = p.values[best];
    } else {
      out[p.name] = DecodeNumeric(p, Clamp01(u[b.offset]));
    }
  }
  return out;
}

Status SearchSpace::Encode(const Json& params, std::vector<double>* u,
                           std::vector<bool>* active) const {
  u->assign(dimensions_, 0.5);
  active->assign(dimensions_, false);
  if (!params.is_object()) return InvalidArgumentError("parameters must be an object", "/params");
  for (size_t i = 0; i < spec_.parameters.size(); ++i) {
    const ParameterSpec& p = spec_.parameters[i];
    if (p.kind == ParamKind::kConstant || !IsActive(p, params)) continue;
    const Block& b = blocks_[block_of_parameter_[i]];
    const std::string field = "/params/" + proto::PointerToken(p.name);
    auto it = params.find(p.name);
    if (it == params.end()) return InvalidArgumentError("active parameter is missing", field);
    if (p.kind == ParamKind::kCategorical) {
      auto pos = std::find(p.values.begin(), p.values.end(), *it);
      if (pos == p.values.end()) {
        return InvalidArgumentError("value " + it->dump() + " is not one of the choices", field);
      }
      for (int k = 0; k < b.width; ++k) {
        (*u)[b.offset + k] = (k == pos - p.values.begin()) ? 1.0 : 0.0;
        (*active)[b.offset + k] = true;
      }
      continue;
    }
    if (!it->is_number()) {
      return InvalidArgumentError("expected a number, found " + proto::DescribeJson(*it), field);
    }
    const double v = it->get<double>();
    if (v < p.min - 1e-9 * std::fabs(p.min) || v > p.max + 1e-9 * std::fabs(p.max)) {
      return InvalidArgumentError("value " + it->dump() + " is outside [" + Json(p.min).dump() +
                                      ", " + Json(p.max).dump() + "]",
                                  field);
    }
    double x = 0.5;
    switch (p.kind) {
      case ParamKind::kUniform:
        x = (v - p.min) / (p.max - p.min);
        break;
      case ParamKind::kLogUniform:
        x = (std::log(v) - std::log(p.min)) / (std::log(p.max) - std::log(p.min));
        break;
      case ParamKind::kIntUniform:
        x = (std::round(v) - p.min + 0.5) / (p.max - p.min + 1);
        break;
      case ParamKind::kIntLogUniform: {
        const auto [lo, hi] = IntLogBounds(p);
        x = (std::log(std::round(v)) - lo) / (hi - lo);
        break;
      }
      default:
        break;
    }
    (*u)[b.offset] = Clamp01(x);
    (*active)[b.offset] = true;
  }
  return Status();
}

std::vector<Json> SearchSpace::GridValues(const ParameterSpec& p) const {
  std::vector<Json> values;
  switch (p.kind) {
    case ParamKind::kConstant:
      values.push_back(p.value);
      break;
    case ParamKind::kCategorical:
      values = p.values;
      break;
    case ParamKind::kIntUniform:
      if (p.max - p.min + 1 <= p.grid_points) {
        for (int64_t v = static_cast<int64_t>(p.min); v <= static_cast<int64_t>(p.max); ++v) {
          values.push_back(v);
        }
        break;
      }
      [[fallthrough]];
    default: {
      // Evenly spaced on the parameter's own scale, ends included, deduplicated
      // after integer rounding.
      for (int k = 0; k < p.grid_points; ++k) {
        const double u = static_cast<double>(k) / (p.grid_points - 1);
        Json v = p.kind == ParamKind::kIntUniform ? Json(EvenlySpacedInteger(p, u)) : DecodeNumeric(p, u);
        if (values.empty() || values.back() != v) values.push_back(v);
      }
    }
  }
  return values;
}

int64_t SearchSpace::GridSize(int64_t cap) const {
  int64_t total = 1;
  for (size_t i = 0; i < spec_.parameters.size(); ++i) {
    if (parent_[i] < 0) total = SaturatingMul(total, subtree_points_[i]);
  }
  return std::min(total, cap + 1);
}

Json SearchSpace::GridPoint(int64_t index) const {
  // Mixed-radix decoding in enumeration order. After parameters 0..i-1 are
  // decided (chosen value or inactive), the points left for i+1..n-1 are the
  // product, over the parameters there whose parent is decided (or who have
  // none), of their subtree's points when active and 1 when not.
  const int n = static_cast<int>(spec_.parameters.size());
  std::vector<int> chosen(n, -1);  // grid value index; -1: inactive or not yet decided
  auto active = [&](int j) {
    return parent_[j] < 0 || (chosen[parent_[j]] >= 0 && active_under_[j][chosen[parent_[j]]]);
  };
  Json assigned = Json::object();
  for (int i = 0; i < n; ++i) {
    if (!active(i)) continue;
    int64_t rest = 1;  // points of the other undecided subtrees
    for (int j = i + 1; j < n; ++j) {
      if (parent_[j] < i && active(j)) rest = SaturatingMul(rest, subtree_points_[j]);
    }
    const auto& values = grid_values_[i];
    size_t k = 0;
    for (; k + 1 < values.size(); ++k) {
      int64_t below = rest;
      for (int c : children_[i]) {
        if (active_under_[c][k]) below = SaturatingMul(below, subtree_points_[c]);
      }
      if (index < below) break;
      index -= below;
    }
    chosen[i] = static_cast<int>(k);
    assigned[spec_.parameters[i].name] = values[k];
  }
  return assigned;
}

}  // namespace hpsweep::coordinator
