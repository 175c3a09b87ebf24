#include "proto/sweep_objectives.h"

#include <cmath>
#include <set>
#include <sstream>

#include "common/utf8.h"

namespace hpsweep::proto {
namespace {

constexpr std::string_view kGoalChoices = "minimize, maximize";

Status CheckMetricName(const std::string& name, const std::string& pointer) {
  if (name.empty()) return InvalidArgumentError("a metric name must not be empty", pointer);
  if (name.size() > kMaxNameBytes) {
    return InvalidArgumentError("a metric name may be at most " + std::to_string(kMaxNameBytes) +
                                    " bytes, found " + std::to_string(name.size()) + " (\"" +
                                    QuoteForMessage(name, 40) + "\")",
                                pointer);
  }
  return Status();
}

Status ParseMetric(const Json& json, const std::string& pointer, MetricSpec* out) {
  JsonReader m(json, pointer);
  HPS_RETURN_IF_ERROR(m.RequireObject());
  HPS_RETURN_IF_ERROR(m.String("name", &out->name));
  HPS_RETURN_IF_ERROR(CheckMetricName(out->name, m.PathOf("name")));
  std::string goal;
  HPS_RETURN_IF_ERROR(m.OptionalString("goal", &goal));
  if (goal == "maximize") {
    out->goal = Goal::kMaximize;
  } else if (goal.empty() || goal == "minimize") {
    out->goal = Goal::kMinimize;
  } else {
    return m.Error("goal", "expected one of " + std::string(kGoalChoices) + ", found " +
                               DescribeJson(goal));
  }
  return m.NoOtherKeys();
}

Status ParseOp(const std::string& text, const std::string& pointer, ConstraintSpec::Op* op) {
  if (text == "<=") {
    *op = ConstraintSpec::Op::kAtMost;
  } else if (text == ">=") {
    *op = ConstraintSpec::Op::kAtLeast;
  } else {
    return InvalidArgumentError("expected one of \"<=\", \">=\", found " + DescribeJson(text),
                                pointer);
  }
  return Status();
}

// "name <= 4.5" (spaces optional around the operator).
Status ParseConstraintText(const std::string& text, const std::string& pointer,
                           ConstraintSpec* out) {
  size_t at = text.find("<=");
  if (at == std::string::npos) at = text.find(">=");
  if (at == std::string::npos) {
    return InvalidArgumentError("expected \"METRIC <= BOUND\" or \"METRIC >= BOUND\", found " +
                                    DescribeJson(text),
                                pointer);
  }
  auto trim = [](std::string s) {
    const size_t b = s.find_first_not_of(" \t");
    const size_t e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  out->metric = trim(text.substr(0, at));
  HPS_RETURN_IF_ERROR(ParseOp(text.substr(at, 2), pointer, &out->op));
  const std::string bound = trim(text.substr(at + 2));
  HPS_RETURN_IF_ERROR(CheckMetricName(out->metric, pointer));
  Json number = Json::parse(bound, nullptr, /*allow_exceptions=*/false);
  if (!number.is_number()) {
    return InvalidArgumentError("expected a number after the operator, found " +
                                    DescribeJson(bound),
                                pointer);
  }
  out->bound = number.get<double>();
  return Status();
}

Status ParseConstraint(const Json& json, const std::string& pointer, ConstraintSpec* out) {
  if (json.is_string()) {
    HPS_RETURN_IF_ERROR(ParseConstraintText(json.get<std::string>(), pointer, out));
  } else {
    JsonReader c(json, pointer);
    if (!json.is_object()) {
      return InvalidArgumentError(
          "expected {\"metric\": NAME, \"op\": \"<=\" or \">=\", \"bound\": NUMBER} or "
          "\"NAME <= BOUND\", found " + DescribeJson(json),
          pointer);
    }
    HPS_RETURN_IF_ERROR(c.String("metric", &out->metric));
    HPS_RETURN_IF_ERROR(CheckMetricName(out->metric, c.PathOf("metric")));
    std::string op;
    HPS_RETURN_IF_ERROR(c.String("op", &op));
    HPS_RETURN_IF_ERROR(ParseOp(op, c.PathOf("op"), &out->op));
    HPS_RETURN_IF_ERROR(c.Double("bound", &out->bound));
    HPS_RETURN_IF_ERROR(c.NoOtherKeys());
  }
  if (!std::isfinite(out->bound)) {
    return InvalidArgumentError("expected a finite bound", pointer);
  }
  return Status();
}

}  // namespace

namespace internal {

Status ParseObjectives(JsonReader& r, SweepSpec* spec) {
  const Json* metric = r.Find("metric");
  const Json* metrics = r.Find("metrics");
  if (metric != nullptr && metrics != nullptr) {
    return r.Error("metrics", "give either \"metric\" (one objective) or \"metrics\" (a list of "
                              "objectives), not both");
  }
  if (metric == nullptr && metrics == nullptr) return r.Error("metric", "required field is missing");
  if (metric != nullptr) {
    HPS_RETURN_IF_ERROR(ParseMetric(*metric, "/metric", &spec->metric));
  } else {
    if (!metrics->is_array() || metrics->empty()) {
      return r.Error("metrics", "expected a non-empty array of {\"name\", \"goal\"} objects, found " +
                                    DescribeJson(*metrics));
    }
    if (metrics->size() > kMaxObjectives) {
      return r.Error("metrics", "at most " + std::to_string(kMaxObjectives) +
                                    " objectives are allowed, found " +
                                    std::to_string(metrics->size()));
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < metrics->size(); ++i) {
      const std::string at = r.PathOf("metrics") + "/" + std::to_string(i);
      MetricSpec m;
      HPS_RETURN_IF_ERROR(ParseMetric((*metrics)[i], at, &m));
      if (!seen.insert(m.name).second) {
        return InvalidArgumentError("duplicate objective \"" + m.name + "\"", at + "/name");
      }
      spec->objectives.push_back(std::move(m));
    }
    spec->metric = spec->objectives.front();
    // One objective in a list is a single-objective sweep, stored as `metric`.
    if (spec->objectives.size() == 1) spec->objectives.clear();
  }
  if (const Json* constraints = r.Find("constraints")) {
    if (!constraints->is_array()) {
      return r.Error("constraints", "expected an array of constraints, found " +
                                        DescribeJson(*constraints));
    }
    if (constraints->size() > kMaxConstraints) {
      return r.Error("constraints", "at most " + std::to_string(kMaxConstraints) +
                                        " constraints are allowed, found " +
                                        std::to_string(constraints->size()));
    }
    for (size_t i = 0; i < constraints->size(); ++i) {
      ConstraintSpec c;
      HPS_RETURN_IF_ERROR(ParseConstraint(
          (*constraints)[i], r.PathOf("constraints") + "/" + std::to_string(i), &c));
      spec->constraints.push_back(std::move(c));
    }
  }
  return Status();
}

void ObjectivesToJson(const SweepSpec& spec, Json* out) {
  if (spec.objectives.empty()) {
    (*out)["metric"] = ToJson(spec.metric);
  } else {
    Json list = Json::array();
    for (const MetricSpec& m : spec.objectives) list.push_back(ToJson(m));
    (*out)["metrics"] = std::move(list);
  }
  if (!spec.constraints.empty()) {
    Json list = Json::array();
    for (const ConstraintSpec& c : spec.constraints) list.push_back(ToJson(c));
    (*out)["constraints"] = std::move(list);
  }
}

}  // namespace internal

std::vector<MetricSpec> Objectives(const SweepSpec& spec) {
  if (spec.objectives.empty()) return {spec.metric};
  return spec.objectives;
}

bool IsMultiObjective(const SweepSpec& spec) { return spec.objectives.size() > 1; }

std::vector<std::string> RequiredMetrics(const SweepSpec& spec) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const MetricSpec& m : Objectives(spec)) {
    if (seen.insert(m.name).second) out.push_back(m.name);
  }
  for (const ConstraintSpec& c : spec.constraints) {
    if (seen.insert(c.metric).second) out.push_back(c.metric);
  }
  return out;
}

std::string_view ConstraintOpName(ConstraintSpec::Op op) {
  return op == ConstraintSpec::Op::kAtMost ? "<=" : ">=";
}

bool Satisfies(const ConstraintSpec& constraint, double value) {
  return constraint.op == ConstraintSpec::Op::kAtMost ? value <= constraint.bound
                                                      : value >= constraint.bound;
}

Json ToJson(const ConstraintSpec& constraint) {
  return {{"metric", constraint.metric},
          {"op", ConstraintOpName(constraint.op)},
          {"bound", constraint.bound}};
}

}  // namespace hpsweep::proto
