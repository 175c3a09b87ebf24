#include "proto/dashboard_messages.h"

namespace hpsweep::proto {

Json ToJson(const TrialCurve& v) {
  return {{"trial_id", v.trial_id},
          {"steps", v.steps},
          {"values", v.values},
          {"stored_points", v.stored_points}};
}

Json ToJson(const CurvePage& v) {
  Json curves = Json::array();
  for (const TrialCurve& c : v.curves) curves.push_back(ToJson(c));
  return {{"metric", v.metric}, {"curves", std::move(curves)}, {"next_page_token", v.next_page_token}};
}

Json ToJson(const ReportNotice& v) {
  return {{"sweep_id", v.sweep_id}, {"trial_id", v.trial_id}, {"step", v.step}, {"values", v.values}};
}

Json ToJson(const StreamHello& v) { return {{"last_seq", v.last_seq}}; }

}  // namespace hpsweep::proto
