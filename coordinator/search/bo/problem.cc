#include "coordinator/search/bo/problem.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <utility>

namespace hpsweep::coordinator::bo {

int CoordinateCount(const std::vector<Dimension>& dims) {
  int n = 0;
  for (const Dimension& d : dims) n += CoordinateWidth(d);
  return n;
}

namespace {

Status ValidatePoint(const std::vector<Dimension>& dims, int coords, const std::vector<double>& x,
                     const std::vector<bool>& active, const std::string& where) {
  if (static_cast<int>(x.size()) != coords) {
    return InvalidArgumentError("expected " + std::to_string(coords) + " coordinates, found " +
                                    std::to_string(x.size()),
                                where + "/x");
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] >= 0.0 && x[i] <= 1.0)) {
      return InvalidArgumentError("coordinate must be in [0,1], found " + std::to_string(x[i]),
                                  where + "/x/" + std::to_string(i));
    }
  }
  if (!active.empty() && active.size() != dims.size()) {
    return InvalidArgumentError("active mask needs one entry per dimension (" +
                                    std::to_string(dims.size()) + "), found " +
                                    std::to_string(active.size()),
                                where + "/active");
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::vector<double>> Problem::KnownPoints() const {
  std::vector<std::vector<double>> known;
  known.reserve(completed.size() + failed.size() + pending.size() + unfitted.size());
  for (const auto& o : completed) known.push_back(o.x);
  for (const auto* points : {&failed, &pending, &unfitted}) {
    for (const auto& p : *points) known.push_back(p.x);
  }
  return known;
}

std::vector<double> Problem::ObjectivesOf(size_t i) const {
  return ys.empty() ? std::vector<double>{completed[i].y} : ys[i];
}

bool Problem::IsFeasible(size_t i) const {
  if (constraints.empty()) return true;
  for (double c : constraints[i]) {
    if (!(c <= 0)) return false;
  }
  return true;
}

double Problem::Violation(size_t i) const {
  double v = 0;
  if (constraints.empty()) return v;
  for (double c : constraints[i]) v += std::max(0.0, c);
  return v;
}

Status ValidateProblem(const Problem& problem) {
  if (problem.dims.empty()) return InvalidArgumentError("no dimensions", "/dims");
  for (size_t i = 0; i < problem.dims.size(); ++i) {
    const Dimension& d = problem.dims[i];
    const std::string where = "/dims/" + std::to_string(i);
    switch (d.kind) {
      case Dimension::Kind::kContinuous:
        break;
      case Dimension::Kind::kCategorical:
        if (d.num_levels < 1) return InvalidArgumentError("categorical needs >= 1 choice", where);
        break;
      case Dimension::Kind::kInteger:
        if (d.num_levels < 1) return InvalidArgumentError("integer needs >= 1 level", where);
        if (!d.levels.empty()) {
          if (static_cast<int>(d.levels.size()) != d.num_levels) {
            return InvalidArgumentError("levels.size() must equal num_levels", where + "/levels");
          }
          for (size_t k = 0; k < d.levels.size(); ++k) {
            if (!(d.levels[k] >= 0 && d.levels[k] <= 1) || (k > 0 && d.levels[k] <= d.levels[k - 1])) {
              return InvalidArgumentError("levels must be strictly increasing in [0,1]",
                                          where + "/levels/" + std::to_string(k));
            }
          }
        }
        break;
    }
  }
  const int coords = CoordinateCount(problem.dims);
  for (size_t i = 0; i < problem.completed.size(); ++i) {
    const Observation& o = problem.completed[i];
    const std::string where = "/completed/" + std::to_string(i);
    HPS_RETURN_IF_ERROR(ValidatePoint(problem.dims, coords, o.x, o.active, where));
    if (!std::isfinite(o.y)) return InvalidArgumentError("y must be finite", where + "/y");
  }
  for (const auto& [name, rows, min_width] :
       {std::tuple<const char*, const std::vector<std::vector<double>>*, size_t>{"ys", &problem.ys, 2},
        {"constraints", &problem.constraints, 1}}) {
    if (rows->empty()) continue;
    if (rows->size() != problem.completed.size()) {
      return InvalidArgumentError(std::string("needs one row per completed observation"),
                                  std::string("/") + name);
    }
    for (size_t i = 0; i < rows->size(); ++i) {
      const std::string where = std::string("/") + name + "/" + std::to_string(i);
      if ((*rows)[i].size() != (*rows)[0].size() || (*rows)[i].size() < min_width) {
        return InvalidArgumentError("every row needs the same number of values", where);
      }
      for (size_t k = 0; k < (*rows)[i].size(); ++k) {
        if (!std::isfinite((*rows)[i][k])) {
          return InvalidArgumentError("values must be finite", where + "/" + std::to_string(k));
        }
      }
    }
  }
  for (const auto& [name, points] :
       {std::pair<const char*, const std::vector<EncodedPoint>*>{"failed", &problem.failed},
        {"pending", &problem.pending},
        {"unfitted", &problem.unfitted}}) {
    for (size_t i = 0; i < points->size(); ++i) {
      HPS_RETURN_IF_ERROR(ValidatePoint(problem.dims, coords, (*points)[i].x, (*points)[i].active,
                                        std::string("/") + name + "/" + std::to_string(i)));
    }
  }
  return Status::Ok();
}

void SnapToSpace(const std::vector<Dimension>& dims, std::vector<double>* x) {
  std::vector<double>& v = *x;
  size_t c = 0;
  for (const Dimension& d : dims) {
    switch (d.kind) {
      case Dimension::Kind::kContinuous:
        v[c] = std::clamp(v[c], 0.0, 1.0);
        ++c;
        break;
      case Dimension::Kind::kInteger: {
        const double t = std::clamp(v[c], 0.0, 1.0);
        if (!d.levels.empty()) {
          double best = d.levels[0];
          for (double l : d.levels) {
            if (std::abs(l - t) < std::abs(best - t)) best = l;
          }
          v[c] = best;
        } else if (d.num_levels <= 1) {
          v[c] = 0.5;
        } else {
          const double steps = d.num_levels - 1;
          v[c] = std::round(t * steps) / steps;
        }
        ++c;
        break;
      }
      case Dimension::Kind::kCategorical: {
        size_t best = c;
        for (size_t k = c; k < c + d.num_levels; ++k) {
          if (v[k] > v[best]) best = k;
        }
        for (size_t k = c; k < c + d.num_levels; ++k) v[k] = k == best ? 1.0 : 0.0;
        c += d.num_levels;
        break;
      }
    }
  }
}

std::vector<double> NeutralizeInactive(const std::vector<Dimension>& dims,
                                       const std::vector<double>& x,
                                       const std::vector<bool>& active) {
  std::vector<double> out = x;
  if (active.empty()) return out;
  size_t c = 0;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int width = CoordinateWidth(dims[i]);
    if (!active[i]) {
      const double neutral = dims[i].kind == Dimension::Kind::kCategorical ? 1.0 / width : 0.5;
      for (int k = 0; k < width; ++k) out[c + k] = neutral;
    }
    c += width;
  }
  return out;
}

std::vector<double> PointFromDesign(const std::vector<Dimension>& dims, const std::vector<double>& u) {
  std::vector<double> x;
  x.reserve(CoordinateCount(dims));
  for (size_t i = 0; i < dims.size(); ++i) {
    const Dimension& d = dims[i];
    const double t = std::clamp(u[i], 0.0, std::nextafter(1.0, 0.0));
    switch (d.kind) {
      case Dimension::Kind::kContinuous:
        x.push_back(t);
        break;
      case Dimension::Kind::kInteger: {
        const int level = std::min(d.num_levels - 1, static_cast<int>(t * d.num_levels));
        if (!d.levels.empty()) {
          x.push_back(d.levels[level]);
        } else {
          x.push_back(d.num_levels <= 1 ? 0.5 : static_cast<double>(level) / (d.num_levels - 1));
        }
        break;
      }
      case Dimension::Kind::kCategorical: {
        const int choice = std::min(d.num_levels - 1, static_cast<int>(t * d.num_levels));
        for (int k = 0; k < d.num_levels; ++k) x.push_back(k == choice ? 1.0 : 0.0);
        break;
      }
    }
  }
  return x;
}

double MaxAbsDistance(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

uint64_t Rng::NextU64() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Rng::Uniform() { return (NextU64() >> 11) * 0x1.0p-53; }

double Rng::Normal() {
  // Box-Muller; u1 in (0,1] so the log is finite.
  const double u1 = 1.0 - Uniform();
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t Rng::Below(uint64_t n) { return NextU64() % n; }

uint64_t MixSeed(uint64_t a, uint64_t b) {
  Rng r(a ^ (b * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL));
  r.NextU64();
  return r.NextU64();
}

}  // namespace hpsweep::coordinator::bo
