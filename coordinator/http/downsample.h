// Downsampling of learning curves for the dashboard: a curve of thousands of
// points is drawn from a few dozen that keep its shape.
//
// Thread safety: pure functions.
#ifndef HPSWEEP_COORDINATOR_HTTP_DOWNSAMPLE_H_
#define HPSWEEP_COORDINATOR_HTTP_DOWNSAMPLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hpsweep::coordinator {

// The indices of at most `max_points` of the points (x[i], y[i]), chosen by
// Largest-Triangle-Three-Buckets (Steinarsson 2013): the first and the last
// point are kept, the rest are split into max_points - 2 buckets of equal
// count, and from each bucket the point that makes the largest triangle with
// the point kept before it and the mean of the next bucket. Peaks and drops
// survive, unlike with a stride. Indices are increasing; every index when
// there are no more than `max_points` points (or max_points < 3, which keeps
// the first and last only when there are more).
// REQUIRES: x.size() == y.size(); x increasing.
std::vector<size_t> DownsampleLttb(const std::vector<double>& x, const std::vector<double>& y,
                                   size_t max_points);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_DOWNSAMPLE_H_
