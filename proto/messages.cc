// The data model's JSON (messages.h): trials, sweeps, metric points, events;
// the API's requests and responses are in api_messages.cc.
#include "proto/messages.h"

#include <cmath>
#include <utility>

#include "common/utf8.h"
#include "proto/messages_json.h"

namespace hpsweep::proto {
namespace {

constexpr std::string_view kTrialStates[] = {"pending",   "leased", "running", "completed",
                                             "failed",    "pruned", "cancelled"};
constexpr std::string_view kSweepStates[] = {"pending", "running", "completed", "cancelled",
                                             "failed"};

}  // namespace

namespace internal {

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
  return RefuseControlCharacters(*out, "client_id", r.PathOf("client_id"));
}

}  // namespace internal

using internal::ReadValues;

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

Json ToJson(const TrialParent& v) {
  return {{"trial_id", v.trial_id},       {"checkpoint_step", v.checkpoint_step},
          {"start_step", v.start_step},   {"replaced_trial_id", v.replaced_trial_id},
          {"root_number", v.root_number}, {"explore", v.explore}};
}

Status FromJson(const Json& j, TrialParent* v) {
  JsonReader r(j, "/parent");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.Uint("trial_id", &v->trial_id));
  HPS_RETURN_IF_ERROR(r.OptionalInt("checkpoint_step", &v->checkpoint_step));
  HPS_RETURN_IF_ERROR(r.OptionalInt("start_step", &v->start_step));
  HPS_RETURN_IF_ERROR(r.OptionalUint("replaced_trial_id", &v->replaced_trial_id));
  HPS_RETURN_IF_ERROR(r.OptionalUint("root_number", &v->root_number));
  HPS_RETURN_IF_ERROR(r.OptionalString("explore", &v->explore));
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
  if (v.prune) {
    j["prune"] = {{"step", v.prune->step}, {"rung", v.prune->rung}, {"reason", v.prune->reason}};
  }
  if (v.checkpoint_report_step >= 0) j["checkpoint_report_step"] = v.checkpoint_report_step;
  if (v.parent) j["parent"] = ToJson(*v.parent);
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
  if (const Json* prune = r.Find("prune"); prune && !prune->is_null()) {
    JsonReader pr(*prune, r.PathOf("prune"));
    HPS_RETURN_IF_ERROR(pr.RequireObject());
    PruneInfo info;
    HPS_RETURN_IF_ERROR(pr.OptionalInt("step", &info.step));
    HPS_RETURN_IF_ERROR(pr.OptionalInt("rung", &info.rung));
    HPS_RETURN_IF_ERROR(pr.OptionalString("reason", &info.reason));
    v->prune = std::move(info);
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("checkpoint_report_step", &v->checkpoint_report_step));
  if (const Json* parent = r.Find("parent"); parent && !parent->is_null()) {
    TrialParent lineage;
    HPS_RETURN_IF_ERROR(FromJson(*parent, &lineage));
    v->parent = std::move(lineage);
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
  if (!v.reason.empty()) j["reason"] = v.reason;
  if (v.last_failed_trial_id != 0) {
    j["last_failure"] = {{"trial_id", v.last_failed_trial_id}, {"error", v.last_failure}};
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
  HPS_RETURN_IF_ERROR(r.OptionalString("reason", &v->reason));
  if (const Json* f = r.Find("last_failure")) {
    JsonReader fr(*f, "/last_failure");
    HPS_RETURN_IF_ERROR(fr.RequireObject());
    HPS_RETURN_IF_ERROR(fr.Uint("trial_id", &v->last_failed_trial_id));
    HPS_RETURN_IF_ERROR(fr.OptionalString("error", &v->last_failure));
  }
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

}  // namespace hpsweep::proto
