#include "coordinator/search_space.h"

#include <algorithm>
#include <cmath>

namespace hpsweep::coordinator {

using proto::Json;
using proto::ParameterSpec;
using proto::ParamKind;

namespace {

double Clamp01(double u) { return std::min(1.0, std::max(0.0, std::isfinite(u) ? u : 0.5)); }

// Log-scale bounds for an int_log_uniform parameter: half a unit beyond each
// end so the end values get their fair share of the axis.
std::pair<double, double> IntLogBounds(const ParameterSpec& p) {
  return {std::log(std::max(p.min - 0.5, 0.5)), std::log(p.max + 0.5)};
}

Json DecodeNumeric(const ParameterSpec& p, double u) {
  switch (p.kind) {
    case ParamKind::kUniform:
      return p.min + u * (p.max - p.min);
    case ParamKind::kLogUniform:
      return std::exp(std::log(p.min) + u * (std::log(p.max) - std::log(p.min)));
    case ParamKind::kIntUniform: {
      const int64_t levels = static_cast<int64_t>(p.max - p.min) + 1;
      const int64_t i = std::min<int64_t>(levels - 1, static_cast<int64_t>(u * levels));
      return static_cast<int64_t>(p.min) + i;
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
  return space;
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
        Json v = p.kind == ParamKind::kIntUniform
                     ? Json(static_cast<int64_t>(std::llround(p.min + u * (p.max - p.min))))
                     : DecodeNumeric(p, u);
        if (values.empty() || values.back() != v) values.push_back(v);
      }
    }
  }
  return values;
}

int64_t SearchSpace::CountGrid(size_t first, Json& assigned, int64_t cap) const {
  if (first == spec_.parameters.size()) return 1;
  const ParameterSpec& p = spec_.parameters[first];
  if (!IsActive(p, assigned)) return CountGrid(first + 1, assigned, cap);
  int64_t total = 0;
  for (const Json& v : GridValues(p)) {
    assigned[p.name] = v;
    total += CountGrid(first + 1, assigned, cap);
    if (total > cap) break;
  }
  assigned.erase(p.name);
  return std::min(total, cap + 1);
}

int64_t SearchSpace::GridSize(int64_t cap) const {
  Json assigned = Json::object();
  return CountGrid(0, assigned, cap);
}

bool SearchSpace::FindGridPoint(size_t first, Json& assigned, int64_t* index) const {
  if (first == spec_.parameters.size()) {
    if (*index == 0) return true;
    --*index;
    return false;
  }
  const ParameterSpec& p = spec_.parameters[first];
  if (!IsActive(p, assigned)) return FindGridPoint(first + 1, assigned, index);
  for (const Json& v : GridValues(p)) {
    assigned[p.name] = v;
    // Skip whole subtrees without walking them.
    Json probe = assigned;
    const int64_t below = CountGrid(first + 1, probe, *index);
    if (*index >= below) {
      *index -= below;
      continue;
    }
    return FindGridPoint(first + 1, assigned, index);
  }
  assigned.erase(p.name);
  return false;
}

Json SearchSpace::GridPoint(int64_t index) const {
  Json assigned = Json::object();
  FindGridPoint(0, assigned, &index);
  return assigned;
}

}  // namespace hpsweep::coordinator
