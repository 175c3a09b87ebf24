#include "coordinator/http/downsample.h"

#include <cmath>
#include <numeric>

namespace hpsweep::coordinator {

std::vector<size_t> DownsampleLttb(const std::vector<double>& x, const std::vector<double>& y,
                                   size_t max_points) {
  const size_t n = x.size();
  std::vector<size_t> keep;
  if (n <= max_points || n <= 2) {
    keep.resize(n);
    std::iota(keep.begin(), keep.end(), size_t{0});
    return keep;
  }
  if (max_points < 3) {
    keep.push_back(0);
    if (max_points == 2) keep.push_back(n - 1);
    return keep;
  }
  const size_t buckets = max_points - 2;
  // Bucket b covers the points [begin(b), begin(b + 1)) of the n - 2 inner ones.
  auto begin = [&](size_t b) { return 1 + b * (n - 2) / buckets; };
  keep.reserve(max_points);
  keep.push_back(0);
  size_t previous = 0;
  for (size_t b = 0; b < buckets; ++b) {
    // The mean of the next bucket (the last point after the last bucket).
    double next_x = x[n - 1], next_y = y[n - 1];
    if (b + 1 < buckets) {
      const size_t lo = begin(b + 1), hi = begin(b + 2);
      next_x = next_y = 0;
      for (size_t i = lo; i < hi; ++i) {
        next_x += x[i];
        next_y += y[i];
      }
      next_x /= static_cast<double>(hi - lo);
      next_y /= static_cast<double>(hi - lo);
    }
    size_t best = begin(b);
    double best_area = -1;
    for (size_t i = begin(b); i < begin(b + 1); ++i) {
      const double area = std::fabs((x[previous] - next_x) * (y[i] - y[previous]) -
                                    (x[previous] - x[i]) * (next_y - y[previous]));
      if (area > best_area) {
        best_area = area;
        best = i;
      }
    }
    keep.push_back(best);
    previous = best;
  }
  keep.push_back(n - 1);
  return keep;
}

}  // namespace hpsweep::coordinator
