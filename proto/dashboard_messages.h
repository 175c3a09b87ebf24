// Messages of the dashboard's read API (documented in openapi.yaml):
// downsampled learning curves and the notices of the live event stream. Only
// the coordinator writes them and only browsers read them, so each has a
// ToJson and no FromJson.
#ifndef HPSWEEP_PROTO_DASHBOARD_MESSAGES_H_
#define HPSWEEP_PROTO_DASHBOARD_MESSAGES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "proto/messages.h"

namespace hpsweep::proto {

// One trial's curve of one metric: (step, value) pairs in step order, at most
// the `max_points` asked for, picked from `stored_points` stored points.
struct TrialCurve {
  uint64_t trial_id = 0;
  std::vector<int64_t> steps;
  std::vector<double> values;
  int64_t stored_points = 0;
};

// GET /api/v1/sweeps/{id}/curves: a page of trials' curves, in trial order.
struct CurvePage {
  std::string metric;
  std::vector<TrialCurve> curves;
  std::string next_page_token;  // empty on the last page
};

// The `report` message of GET /api/v1/events: a metric point as it is stored.
// Not part of the durable event log (it carries no seq); a client that missed
// some reads the curves again.
struct ReportNotice {
  uint64_t sweep_id = 0;  // 0 when the committed batch did not name the trial's sweep
  uint64_t trial_id = 0;
  int64_t step = 0;
  Values values;
};

// The `hello` message that opens every event stream: the last event number
// the coordinator has stored when the stream starts (0: none yet).
struct StreamHello {
  uint64_t last_seq = 0;
};

Json ToJson(const TrialCurve& v);
Json ToJson(const CurvePage& v);
Json ToJson(const ReportNotice& v);
Json ToJson(const StreamHello& v);

}  // namespace hpsweep::proto

#endif  // HPSWEEP_PROTO_DASHBOARD_MESSAGES_H_
