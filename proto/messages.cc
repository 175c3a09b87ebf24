#include "proto/messages.h"

#include <cmath>

#include "common/utf8.h"

namespace hpsweep::proto {
namespace {

constexpr std::string_view kTrialStates[] = {"pending",   "leased", "running", "completed",
                                             "failed",    "pruned", "cancelled"};
constexpr std::string_view kSweepStates[] = {"pending", "running", "completed", "cancelled",
                                             "failed"};

Status ReadValues(JsonReader& r, std::string_view key, Values* out) {
  const Json* values = r.Find(key);
  if (values == nullptr) return Status();
  if (!values->is_object()) {
    return r.Error(key, "expected an object of metric values, found " + DescribeJson(*values));
  }
  if (values->size() > kMaxValuesPerReport) {
    return r.Error(key, "at most " + std::to_string(kMaxValuesPerReport) +
                            " metric values are allowed, found " + std::to_string(values->size()));
  }
  for (auto it = values->begin(); it != values->end(); ++it) {
    if (it.key().empty() || it.key().size() > kMaxNameBytes) {
      return r.Error(key, "a metric name must take 1 to " + std::to_string(kMaxNameBytes) +
                              " bytes, found " + std::to_string(it.key().size()) + " (\"" +
                              QuoteForMessage(it.key(), 40) + "\")");
    }
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
      // NaN/Inf are not JSON; a non-number is a client bug.
      return InvalidArgumentError("expected a finite number, found " + DescribeJson(*it),
                                  r.PathOf(key) + "/" + PointerToken(it.key()));
    }
    (*out)[it.key()] = it->get<double>();
  }
  return Status();
}

Status ReadClientId(JsonReader& r, std::string* out) {
  HPS_RETURN_IF_ERROR(r.String("client_id", out));
  if (out->empty() || out->size() > kMaxClientIdBytes) {
    return r.Error("client_id", "expected 1 to " + std::to_string(kMaxClientIdBytes) +
                                    " bytes, found " + std::to_string(out->size()));
  }
  return Status();
}

template <typename T>
Status ReadArray(JsonReader& r, std::string_view key, std::vector<T>* out) {
  const Json* arr = r.Find(key);
  if (arr == nullptr) return Status();
  if (!arr->is_array()) return r.Error(key, "expected an array, found " + DescribeJson(*arr));
  for (size_t i = 0; i < arr->size(); ++i) {
    T item;
    Status s = FromJson((*arr)[i], &item);
    if (!s.ok()) return s;
    out->push_back(std::move(item));
  }
  return Status();
}

template <typename T>
Json ArrayJson(const std::vector<T>& items) {
  Json out = Json::array();
  for (const T& item : items) out.push_back(ToJson(item));
  return out;
}

}  // namespace

std::string_view TrialStateName(TrialState state) { return kTrialStates[static_cast<int>(state)]; }

std::optional<TrialState> TrialStateFromName(std::string_view name) {
  for (int i = 0; i < 7; ++i) {
    if (kTrialStates[i] == name) return static_cast<TrialState>(i);
  }
  return std::nullopt;
}

std::string_view SweepStateName(SweepState state) { return kSweepStates[static_cast<int>(state)]; }

bool IsTerminal(TrialState s) {
  return s == TrialState::kCompleted || s == TrialState::kFailed || s == TrialState::kPruned ||
         s == TrialState::kCancelled;
}

bool IsTerminal(SweepState s) {
  return s == SweepState::kCompleted || s == SweepState::kCancelled || s == SweepState::kFailed;
}

Json ErrorJson(const Status& status) {
  Json error = {{"code", StatusCodeName(status.code())}, {"message", status.message()}};
  if (!status.field().empty()) error["field"] = status.field();
  return {{"error", std::move(error)}};
}

Status StatusFromErrorJson(const Json& json, int http_status) {
  if (!json.is_object() || !json.contains("error") || !json["error"].is_object()) {
    return InternalError("HTTP " + std::to_string(http_status) + " without an error body");
  }
  const Json& e = json["error"];
  const std::string name = e.value("code", "INTERNAL");
  const StatusCode code = StatusCodeFromName(name).value_or(StatusCode::kInternal);
  return Status(code, e.value("message", ""), e.value("field", ""));
}

// --- Trial ------------------------------------------------------------------

Json ToJson(const TrialOrigin& v) {
  Json j = {{"source", v.source}};
  if (!v.model.empty()) j["model"] = v.model;
  if (v.observations >= 0) j["observations"] = v.observations;
  if (v.pending >= 0) j["pending"] = v.pending;
  if (v.wait_seconds > 0) j["wait_seconds"] = v.wait_seconds;
  if (!v.reason.empty()) j["reason"] = v.reason;
  return j;
}

Status FromJson(const Json& j, TrialOrigin* v) {
  JsonReader r(j, "/origin");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.String("source", &v->source));
  HPS_RETURN_IF_ERROR(r.OptionalString("model", &v->model));
  HPS_RETURN_IF_ERROR(r.OptionalInt("observations", &v->observations));
  HPS_RETURN_IF_ERROR(r.OptionalInt("pending", &v->pending));
  HPS_RETURN_IF_ERROR(r.OptionalDouble("wait_seconds", &v->wait_seconds));
  HPS_RETURN_IF_ERROR(r.OptionalString("reason", &v->reason));
  return Status();
}

Json ToJson(const Trial& v) {
  Json j = {{"id", v.id},
            {"sweep_id", v.sweep_id},
            {"number", v.number},
            {"params", v.params},
            {"state", TrialStateName(v.state)},
            {"attempt", v.attempt},
            {"last_step", v.last_step},
            {"checkpoint_step", v.checkpoint_step},
            {"created_us", v.created_us},
            {"updated_us", v.updated_us}};
  if (!v.lease_owner.empty()) {
    j["lease_owner"] = v.lease_owner;
    j["lease_deadline_us"] = v.lease_deadline_us;
    j["lease_seconds"] = v.lease_seconds;
  }
  if (v.objective) j["objective"] = *v.objective;
  if (!v.final_values.empty()) j["final_values"] = v.final_values;
  if (!v.error.empty()) j["error"] = v.error;
  if (!v.origin.source.empty()) j["origin"] = ToJson(v.origin);
  return j;
}

Status FromJson(const Json& j, Trial* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.Uint("id", &v->id));
  HPS_RETURN_IF_ERROR(r.Uint("sweep_id", &v->sweep_id));
  HPS_RETURN_IF_ERROR(r.OptionalUint("number", &v->number));
  if (const Json* p = r.Find("params")) v->params = *p;
  std::string state;
  HPS_RETURN_IF_ERROR(r.String("state", &state));
  auto parsed = TrialStateFromName(state);
  if (!parsed) return r.Error("state", "unknown trial state " + DescribeJson(state));
  v->state = *parsed;
  HPS_RETURN_IF_ERROR(r.OptionalInt("attempt", &v->attempt));
  HPS_RETURN_IF_ERROR(r.OptionalString("lease_owner", &v->lease_owner));
  HPS_RETURN_IF_ERROR(r.OptionalInt("lease_deadline_us", &v->lease_deadline_us));
  HPS_RETURN_IF_ERROR(r.OptionalInt("lease_seconds", &v->lease_seconds));
  HPS_RETURN_IF_ERROR(r.OptionalInt("last_step", &v->last_step));
  HPS_RETURN_IF_ERROR(r.OptionalInt("checkpoint_step", &v->checkpoint_step));
  if (r.Has("objective")) {
    double objective = 0;
    HPS_RETURN_IF_ERROR(r.Double("objective", &objective));
    v->objective = objective;
  }
  HPS_RETURN_IF_ERROR(ReadValues(r, "final_values", &v->final_values));
  HPS_RETURN_IF_ERROR(r.OptionalString("error", &v->error));
  if (const Json* origin = r.Find("origin"); origin && !origin->is_null()) {
    HPS_RETURN_IF_ERROR(FromJson(*origin, &v->origin));
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("created_us", &v->created_us));
  HPS_RETURN_IF_ERROR(r.OptionalInt("updated_us", &v->updated_us));
  return Status();
}

// --- Sweep ------------------------------------------------------------------

Json ToJson(const SweepCounters& v) {
  return {{"created", v.created},   {"pending", v.pending}, {"running", v.running},
          {"completed", v.completed}, {"failed", v.failed}, {"pruned", v.pruned},
          {"cancelled", v.cancelled}};
}

Json ToJson(const Sweep& v) {
  Json j = {{"id", v.id},
            {"spec", ToJson(v.spec)},
            {"state", SweepStateName(v.state)},
            {"counters", ToJson(v.counters)},
            {"created_us", v.created_us},
            {"updated_us", v.updated_us}};
  if (v.best_trial_id != 0) {
    j["best_trial_id"] = v.best_trial_id;
    if (v.best_value) j["best_value"] = *v.best_value;
  }
  return j;
}

Status FromJson(const Json& j, Sweep* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.Uint("id", &v->id));
  const Json* spec = r.Find("spec");
  if (spec == nullptr) return r.Error("spec", "required field is missing");
  HPS_ASSIGN_OR_RETURN(v->spec, ParseSweepSpec(*spec));
  std::string state;
  HPS_RETURN_IF_ERROR(r.String("state", &state));
  bool known = false;
  for (int i = 0; i < 5; ++i) {
    if (kSweepStates[i] == state) {
      v->state = static_cast<SweepState>(i);
      known = true;
    }
  }
  if (!known) return r.Error("state", "unknown sweep state " + DescribeJson(state));
  if (const Json* c = r.Find("counters")) {
    JsonReader cr(*c, "/counters");
    HPS_RETURN_IF_ERROR(cr.OptionalInt("created", &v->counters.created));
    HPS_RETURN_IF_ERROR(cr.OptionalInt("pending", &v->counters.pending));
    HPS_RETURN_IF_ERROR(cr.OptionalInt("running", &v->counters.running));
    HPS_RETURN_IF_ERROR(cr.OptionalInt("completed", &v->counters.completed));
    HPS_RETURN_IF_ERROR(cr.OptionalInt("failed", &v->counters.failed));
    HPS_RETURN_IF_ERROR(cr.OptionalInt("pruned", &v->counters.pruned));
    HPS_RETURN_IF_ERROR(cr.OptionalInt("cancelled", &v->counters.cancelled));
  }
  HPS_RETURN_IF_ERROR(r.OptionalUint("best_trial_id", &v->best_trial_id));
  if (r.Has("best_value")) {
    double best = 0;
    HPS_RETURN_IF_ERROR(r.Double("best_value", &best));
    v->best_value = best;
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("created_us", &v->created_us));
  HPS_RETURN_IF_ERROR(r.OptionalInt("updated_us", &v->updated_us));
  return Status();
}

// --- Metrics and events -----------------------------------------------------

Json ToJson(const MetricPoint& v) {
  return {{"step", v.step}, {"values", v.values}, {"time_us", v.time_us}};
}

Status FromJson(const Json& j, MetricPoint* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.Int("step", &v->step));
  HPS_RETURN_IF_ERROR(ReadValues(r, "values", &v->values));
  return r.OptionalInt("time_us", &v->time_us);
}

Json ToJson(const Event& v) {
  return {{"seq", v.seq},           {"time_us", v.time_us},   {"type", v.type},
          {"sweep_id", v.sweep_id}, {"trial_id", v.trial_id}, {"detail", v.detail}};
}

Status FromJson(const Json& j, Event* v) {
  JsonReader r(j, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.Uint("seq", &v->seq));
  HPS_RETURN_IF_ERROR(r.OptionalInt("time_us", &v->time_us));
  HPS_RETURN_IF_ERROR(r.String("type", &v->type));
  HPS_RETURN_IF_ERROR(r.OptionalUint("sweep_id", &v->sweep_id));
  HPS_RETURN_IF_ERROR(r.OptionalUint("trial_id", &v->trial_id));
  return r.OptionalString("detail", &v->detail);
}

// --- Ask/tell ---------------------------------------------------------------

Json ToJson(const AskRequest& v) {
  return {{"client_id", v.client_id}, {"count", v.count},
          {"sweep_id", v.sweep_id},   {"kind", v.kind},
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
      lt.metric.goal = m->value("goal", "minimize") == "maximize" ? Goal::kMaximize : Goal::kMinimize;
    }
    if (const Json* p = tr.Find("program")) {
      lt.program.external = p->value("external", false);
      lt.program.model = p->value("model", "");
      if (p->contains("args")) lt.program.args = (*p)["args"];
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
  if (v->step < 0) return r.Error("step", "expected an integer >= 0, found " + std::to_string(v->step));
  if (!r.Has("values")) return r.Error("values", "required field is missing");
  HPS_RETURN_IF_ERROR(ReadValues(r, "values", &v->values));
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
    return r.Error("decision", "expected \"continue\" or \"stop\", found " + DescribeJson(decision));
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
  HPS_RETURN_IF_ERROR(ReadValues(r, "values", &v->values));
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
