// The API's request and response messages (messages.h); the data model's
// JSON is in messages.cc.
#include "proto/messages.h"
#include "proto/messages_json.h"

namespace hpsweep::proto {

using internal::ArrayJson;
using internal::ReadArray;
using internal::ReadClientId;

namespace {

// A request's metric values: messages.cc's ReadValues (which also decodes
// stored trials), and no control characters in the metric names, which
// `hpsweep` prints.
Status ReadRequestValues(JsonReader& r, std::string_view key, Values* out) {
  HPS_RETURN_IF_ERROR(internal::ReadValues(r, key, out));
  const std::string where = r.PathOf(key) + "/";
  for (const auto& [name, value] : *out) {
    HPS_RETURN_IF_ERROR(RefuseControlCharacters(name, "a metric name", where + PointerToken(name)));
  }
  return Status();
}

}  // namespace

// --- Ask/tell ---------------------------------------------------------------

Json ToJson(const AskRequest& v) {
  return {{"client_id", v.client_id},         {"count", v.count},
          {"sweep_id", v.sweep_id},           {"kind", v.kind},
          {"lease_seconds", v.lease_seconds}, {"ranks", v.ranks}};
}

Status FromJson(const Json& j, AskRequest* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(ReadClientId(r, &v->client_id));
  HPS_RETURN_IF_ERROR(r.OptionalInt("count", &v->count));
  if (v->count < 1 || v->count > 64) {
    return r.Error("count", "expected an integer in [1, 64], found " + std::to_string(v->count));
  }
  HPS_RETURN_IF_ERROR(r.OptionalUint("sweep_id", &v->sweep_id));
  HPS_RETURN_IF_ERROR(r.OptionalString("kind", &v->kind));
  if (v->kind != "worker" && v->kind != "client") {
    return r.Error("kind", "expected \"worker\" or \"client\", found " + DescribeJson(v->kind));
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("lease_seconds", &v->lease_seconds));
  if (v->lease_seconds < 1 || v->lease_seconds > 3600) {
    return r.Error("lease_seconds",
                   "expected an integer in [1, 3600], found " + std::to_string(v->lease_seconds));
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("ranks", &v->ranks));
  if (v->ranks < 1) return r.Error("ranks", "expected an integer >= 1");
  return r.NoOtherKeys();
}

Json ToJson(const LeasedTrial& v) {
  return {{"trial", ToJson(v.trial)}, {"metric", ToJson(v.metric)}, {"program", ToJson(v.program)}};
}

Json ToJson(const AskResponse& v) {
  Json trials = Json::array();
  for (const auto& t : v.trials) trials.push_back(ToJson(t));
  return {{"trials", std::move(trials)},
          {"done", v.done},
          {"retry_after_seconds", v.retry_after_seconds}};
}

Status FromJson(const Json& j, AskResponse* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.OptionalBool("done", &v->done));
  HPS_RETURN_IF_ERROR(r.OptionalDouble("retry_after_seconds", &v->retry_after_seconds));
  const Json* trials = r.Find("trials");
  if (trials == nullptr || !trials->is_array()) return r.Error("trials", "expected an array");
  for (const Json& t : *trials) {
    LeasedTrial lt;
    JsonReader tr(t, "/trials");
    const Json* trial = tr.Find("trial");
    if (trial == nullptr) return tr.Error("trial", "required field is missing");
    HPS_RETURN_IF_ERROR(FromJson(*trial, &lt.trial));
    if (const Json* m = tr.Find("metric")) {
      lt.metric.name = m->value("name", "");
      lt.metric.goal =
          m->value("goal", "minimize") == "maximize" ? Goal::kMaximize : Goal::kMinimize;
    }
    if (const Json* p = tr.Find("program"); p != nullptr && p->contains("command")) {
      HPS_RETURN_IF_ERROR(ParseProgramSpec(*p, &lt.program));
    } else if (p != nullptr) {
      lt.program.external = p->value("external", false);
      lt.program.model = p->value("model", "");
      if (p->contains("args")) lt.program.args = (*p)["args"];
      lt.program.precision = p->value("precision", "fp32");
    }
    v->trials.push_back(std::move(lt));
  }
  return Status();
}

Json ToJson(const HeartbeatRequest& v) { return {{"client_id", v.client_id}}; }

Status FromJson(const Json& j, HeartbeatRequest* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(ReadClientId(r, &v->client_id));
  return r.NoOtherKeys();
}

Json ToJson(const ReportRequest& v) {
  return {{"client_id", v.client_id}, {"step", v.step}, {"values", v.values}};
}

Status FromJson(const Json& j, ReportRequest* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(ReadClientId(r, &v->client_id));
  HPS_RETURN_IF_ERROR(r.Int("step", &v->step));
  if (v->step < 0) {
    return r.Error("step", "expected an integer >= 0, found " + std::to_string(v->step));
  }
  if (!r.Has("values")) return r.Error("values", "required field is missing");
  HPS_RETURN_IF_ERROR(ReadRequestValues(r, "values", &v->values));
  if (v->values.empty()) return r.Error("values", "expected at least one metric value");
  return r.NoOtherKeys();
}

Json ToJson(const Decision& v) {
  Json j = {{"decision", v.stop ? "stop" : "continue"}, {"lease_deadline_us", v.lease_deadline_us}};
  if (!v.reason.empty()) j["reason"] = v.reason;
  return j;
}

Status FromJson(const Json& j, Decision* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  std::string decision;
  HPS_RETURN_IF_ERROR(r.String("decision", &decision));
  if (decision != "stop" && decision != "continue") {
    return r.Error("decision",
                   "expected \"continue\" or \"stop\", found " + DescribeJson(decision));
  }
  v->stop = decision == "stop";
  HPS_RETURN_IF_ERROR(r.OptionalString("reason", &v->reason));
  return r.OptionalInt("lease_deadline_us", &v->lease_deadline_us);
}

Json ToJson(const CompleteRequest& v) { return {{"client_id", v.client_id}, {"values", v.values}}; }

Status FromJson(const Json& j, CompleteRequest* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(ReadClientId(r, &v->client_id));
  HPS_RETURN_IF_ERROR(ReadRequestValues(r, "values", &v->values));
  return r.NoOtherKeys();
}

Json ToJson(const FailRequest& v) { return {{"client_id", v.client_id}, {"error", v.error}}; }

Status FromJson(const Json& j, FailRequest* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(ReadClientId(r, &v->client_id));
  HPS_RETURN_IF_ERROR(r.String("error", &v->error));
  if (v->error.size() > kMaxErrorBytes) {
    return r.Error("error", "may be at most " + std::to_string(kMaxErrorBytes) + " bytes, found " +
                                std::to_string(v->error.size()));
  }
  return r.NoOtherKeys();
}

Json ToJson(const TrialPage& v) {
  Json trials = Json::array();
  for (const auto& t : v.trials) trials.push_back(ToJson(t));
  Json j = {{"trials", std::move(trials)}};
  if (!v.next_page_token.empty()) j["next_page_token"] = v.next_page_token;
  return j;
}

Status FromJson(const Json& j, TrialPage* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(ReadArray(r, "trials", &v->trials));
  return r.OptionalString("next_page_token", &v->next_page_token);
}

Json ToJson(const ClientInfo& v) {
  return {{"client_id", v.client_id},
          {"kind", v.kind},
          {"last_seen_us", v.last_seen_us},
          {"active_trials", v.active_trials}};
}

Status FromJson(const Json& j, ClientInfo* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.String("client_id", &v->client_id));
  HPS_RETURN_IF_ERROR(r.OptionalString("kind", &v->kind));
  HPS_RETURN_IF_ERROR(r.OptionalInt("last_seen_us", &v->last_seen_us));
  const Json* trials = r.Find("active_trials");
  if (trials == nullptr) return Status();
  if (!trials->is_array()) {
    return r.Error("active_trials", "expected an array, found " + DescribeJson(*trials));
  }
  for (const Json& t : *trials) {
    if (!t.is_number_unsigned()) {
      return r.Error("active_trials", "expected trial ids, found " + DescribeJson(t));
    }
    v->active_trials.push_back(t.get<uint64_t>());
  }
  return Status();
}

// --- Listings and service answers --------------------------------------------

Json ToJson(const Health& v) {
  Json j = {{"status", v.status}};
  if (!v.reason.empty()) j["reason"] = v.reason;
  return j;
}

Status FromJson(const Json& j, Health* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.String("status", &v->status));
  if (v->status != "ok" && v->status != "degraded") {
    return r.Error("status", "expected \"ok\" or \"degraded\", found " + DescribeJson(v->status));
  }
  return r.OptionalString("reason", &v->reason);
}

Json ToJson(const WorkerList& v) { return {{"workers", ArrayJson(v.workers)}}; }

Status FromJson(const Json& j, WorkerList* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  if (!r.Has("workers")) return r.Error("workers", "required field is missing");
  return ReadArray(r, "workers", &v->workers);
}

Json ToJson(const SweepList& v) { return {{"sweeps", ArrayJson(v.sweeps)}}; }

Status FromJson(const Json& j, SweepList* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  if (!r.Has("sweeps")) return r.Error("sweeps", "required field is missing");
  return ReadArray(r, "sweeps", &v->sweeps);
}

Json ToJson(const TrialMetrics& v) {
  return {{"trial_id", v.trial_id}, {"points", ArrayJson(v.points)}};
}

Status FromJson(const Json& j, TrialMetrics* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.Uint("trial_id", &v->trial_id));
  if (!r.Has("points")) return r.Error("points", "required field is missing");
  return ReadArray(r, "points", &v->points);
}

Json ToJson(const CheckpointInfo& v) {
  return {{"step", v.step}, {"size_bytes", v.size_bytes}, {"time_us", v.time_us}};
}

Status FromJson(const Json& j, CheckpointInfo* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.Int("step", &v->step));
  HPS_RETURN_IF_ERROR(r.Uint("size_bytes", &v->size_bytes));
  return r.Int("time_us", &v->time_us);
}

Json ToJson(const CheckpointList& v) {
  return {{"trial_id", v.trial_id}, {"checkpoints", ArrayJson(v.checkpoints)}};
}

Status FromJson(const Json& j, CheckpointList* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.Uint("trial_id", &v->trial_id));
  if (!r.Has("checkpoints")) return r.Error("checkpoints", "required field is missing");
  return ReadArray(r, "checkpoints", &v->checkpoints);
}

Json ToJson(const CheckpointStored& v) {
  return {{"trial_id", v.trial_id}, {"step", v.step}, {"size_bytes", v.size_bytes}};
}

Status FromJson(const Json& j, CheckpointStored* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.Uint("trial_id", &v->trial_id));
  HPS_RETURN_IF_ERROR(r.Int("step", &v->step));
  return r.Uint("size_bytes", &v->size_bytes);
}

}  // namespace hpsweep::proto
