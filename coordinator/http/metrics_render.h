// The Prometheus text of GET /metrics: the request counters and histograms a
// Metrics holds, then the sweep service's and the group committer's counters.
//
// Thread safety: a pure function of its arguments; read `service` on the
// service strand.
#ifndef HPSWEEP_COORDINATOR_HTTP_METRICS_RENDER_H_
#define HPSWEEP_COORDINATOR_HTTP_METRICS_RENDER_H_

#include <string>

#include "coordinator/store/group_committer.h"
#include "coordinator/metrics.h"
#include "coordinator/lifecycle/sweep_service.h"

namespace hpsweep::coordinator {

std::string RenderMetricsText(const Metrics& metrics, const ServiceStats& service,
                              const CommitStats& commits);

}  // namespace hpsweep::coordinator

#endif  // HPSWEEP_COORDINATOR_HTTP_METRICS_RENDER_H_
