#include "proto/sweep_spec.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "common/utf8.h"
#include "proto/command_spec.h"
#include "proto/sweep_objectives.h"

namespace hpsweep::proto {
namespace {

constexpr int64_t kDefaultMaxTrials = 50;
// Longest JSON text of a double ("-2.2250738585072014e-308").
constexpr size_t kMaxNumberBytes = 24;

template <typename E>
struct Named {
  E value;
  std::string_view name;
};

constexpr Named<Goal> kGoals[] = {{Goal::kMinimize, "minimize"}, {Goal::kMaximize, "maximize"}};
constexpr Named<Method> kMethods[] = {{Method::kGrid, "grid"},   {Method::kRandom, "random"},
                                      {Method::kSobol, "sobol"}, {Method::kBayes, "bayes"},
                                      {Method::kTpe, "tpe"},     {Method::kPbt, "pbt"}};
constexpr Named<ParamKind> kKinds[] = {
    {ParamKind::kUniform, "uniform"},         {ParamKind::kLogUniform, "log_uniform"},
    {ParamKind::kIntUniform, "int_uniform"},  {ParamKind::kIntLogUniform, "int_log_uniform"},
    {ParamKind::kCategorical, "categorical"}, {ParamKind::kConstant, "constant"}};

template <typename E, size_t N>
std::string_view NameOf(const Named<E> (&table)[N], E value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

template <typename E, size_t N>
std::string Choices(const Named<E> (&table)[N]) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

// Parses an enum-valued string field; `fallback` applies when absent.
template <typename E, size_t N>
Status ParseEnum(JsonReader& r, std::string_view key, const Named<E> (&table)[N], bool required,
                 E* out) {
  std::string text;
  if (required) {
    HPS_RETURN_IF_ERROR(r.String(key, &text));
  } else {
    HPS_RETURN_IF_ERROR(r.OptionalString(key, &text));
    if (text.empty()) return Status();
  }
  for (const auto& entry : table) {
    if (entry.name == text) {
      *out = entry.value;
      return Status();
    }
  }
  return r.Error(key, "expected one of " + Choices(table) + ", found " + DescribeJson(text));
}

bool IsWholeNumber(double v) { return std::isfinite(v) && std::floor(v) == v; }

std::string Bytes(size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

// A categorical, constant or condition value must fit kMaxValueBytes as JSON.
Status CheckValueSize(const Json& value, const std::string& pointer, size_t* bytes = nullptr) {
  const size_t size = DumpJson(value).size();
  if (bytes != nullptr) *bytes = size;
  if (size > kMaxValueBytes) {
    return InvalidArgumentError(
        "a value may take at most " + Bytes(kMaxValueBytes) + " as JSON, found " + Bytes(size),
        pointer);
  }
  return Status();
}

// A free-form object block (args, method_options, early_terminate).
Status CheckBlockSize(JsonReader& r, std::string_view key, const Json& block) {
  const size_t size = DumpJson(block).size();
  if (size > kMaxBlockBytes) {
    return r.Error(key,
                   "may take at most " + Bytes(kMaxBlockBytes) + " as JSON, found " + Bytes(size));
  }
  return Status();
}

// A name (parameter, metric): 1 to kMaxNameBytes bytes.
Status CheckName(const std::string& name, const std::string& what, const std::string& pointer) {
  if (name.empty()) return InvalidArgumentError(what + " must not be empty", pointer);
  if (name.size() > kMaxNameBytes) {
    return InvalidArgumentError(what + " may be at most " + Bytes(kMaxNameBytes) + ", found " +
                                    Bytes(name.size()) + " (\"" + QuoteForMessage(name, 40) + "\")",
                                pointer);
  }
  return Status();
}

// Bounds of a numeric parameter: what its kind can represent and sample.
Status CheckBounds(JsonReader& r, const ParameterSpec& p) {
  if (!(p.min < p.max)) {
    return r.Error("max", "expected max > min (" + DumpJson(p.min) + "), found " + DumpJson(p.max));
  }
  if (p.IsInteger()) {
    for (const auto& [key, v] : {std::pair<const char*, double>{"min", p.min}, {"max", p.max}}) {
      if (!IsWholeNumber(v)) return r.Error(key, "expected an integer, found " + DumpJson(v));
      // 2^53 + 1 written as a JSON integer reads as the double 2^53: look at
      // the integer itself so that no bound is silently moved.
      const Json* raw = r.Find(key);
      const bool raw_too_large =
          raw != nullptr &&
          ((raw->is_number_unsigned() && raw->get<uint64_t>() > uint64_t{1} << 53) ||
           (raw->is_number_integer() && !raw->is_number_unsigned() &&
            (raw->get<int64_t>() > int64_t{1} << 53 || raw->get<int64_t>() < -(int64_t{1} << 53))));
      if (std::fabs(v) > kMaxIntBound || raw_too_large) {
        return r.Error(
            key, "expected an integer in [-2^53, 2^53] (±9007199254740992), found " + DumpJson(v));
      }
    }
  } else if (!std::isfinite(p.max - p.min)) {
    return r.Error("max", "expected max - min to be a finite number, found [" + DumpJson(p.min) +
                              ", " + DumpJson(p.max) + "]");
  }
  const bool log = p.kind == ParamKind::kLogUniform || p.kind == ParamKind::kIntLogUniform;
  if (log && !(p.min > 0)) {
    return r.Error("min", "expected min > 0 for a log-scaled parameter, found " + DumpJson(p.min));
  }
  return Status();
}

Status ParseCondition(const Json& json, const std::string& pointer, Condition* out) {
  JsonReader r(json, pointer);
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.String("parent", &out->parent));
  const Json* values = r.Find("values");
  if (values == nullptr) return r.Error("values", "required field is missing");
  if (!values->is_array() || values->empty()) {
    return r.Error("values",
                   "expected a non-empty array of parent values, found " + DescribeJson(*values));
  }
  if (values->size() > kMaxValues) {
    return r.Error("values", "at most " + std::to_string(kMaxValues) +
                                 " values are allowed, found " + std::to_string(values->size()));
  }
  for (size_t i = 0; i < values->size(); ++i) {
    HPS_RETURN_IF_ERROR(CheckValueSize((*values)[i], r.PathOf("values") + "/" + std::to_string(i)));
  }
  out->values.assign(values->begin(), values->end());
  return r.NoOtherKeys();
}

Status ParseParameter(const std::string& name, const Json& json, const std::string& pointer,
                      ParameterSpec* out) {
  out->name = name;
  JsonReader r(json, pointer);
  HPS_RETURN_IF_ERROR(r.RequireObject());
  std::string distribution;
  HPS_RETURN_IF_ERROR(r.OptionalString("distribution", &distribution));
  if (distribution == "log_uniform_values") distribution = "log_uniform";  // W&B spelling
  if (distribution == "int_log_uniform_values") distribution = "int_log_uniform";
  const bool has_values = r.Has("values"), has_value = r.Has("value");
  const bool has_range = r.Has("min") || r.Has("max");
  if (distribution.empty()) {
    if (has_values) {
      distribution = "categorical";
    } else if (has_value) {
      distribution = "constant";
    } else if (has_range) {
      const Json* lo = r.Find("min");
      const Json* hi = r.Find("max");
      const bool ints = lo && hi && lo->is_number_integer() && hi->is_number_integer();
      distribution = ints ? "int_uniform" : "uniform";
    } else {
      return r.Error("",
                     "a parameter needs \"values\", \"value\", or \"min\"/\"max\" (with an "
                     "optional \"distribution\")");
    }
  }
  bool known = false;
  for (const auto& entry : kKinds) {
    if (entry.name == distribution) {
      out->kind = entry.value;
      known = true;
    }
  }
  if (!known) {
    return r.Error("distribution",
                   "expected one of " + Choices(kKinds) + ", found " + DescribeJson(distribution));
  }
  r.Find("distribution");

  switch (out->kind) {
    case ParamKind::kCategorical: {
      const Json* values = r.Find("values");
      if (values == nullptr) return r.Error("values", "required field is missing");
      if (!values->is_array() || values->empty()) {
        return r.Error("values", "expected a non-empty array, found " + DescribeJson(*values));
      }
      if (values->size() > kMaxValues) {
        return r.Error("values", "at most " + std::to_string(kMaxValues) +
                                     " values are allowed, found " +
                                     std::to_string(values->size()));
      }
      std::set<std::string> seen;
      for (size_t i = 0; i < values->size(); ++i) {
        const Json& v = (*values)[i];
        const std::string at = "values/" + std::to_string(i);
        if (v.is_null()) {
          return InvalidArgumentError(
              "expected a value (string, number, boolean, list or object), found null",
              r.PathOf("values") + "/" + std::to_string(i));
        }
        HPS_RETURN_IF_ERROR(CheckValueSize(v, r.PathOf("values") + "/" + std::to_string(i)));
        if (!seen.insert(DumpJson(v)).second) {
          return InvalidArgumentError("duplicate value " + DumpJson(v),
                                      r.PathOf("values") + "/" + std::to_string(i));
        }
        out->values.push_back(v);
      }
      break;
    }
    case ParamKind::kConstant: {
      const Json* value = r.Find("value");
      if (value == nullptr) return r.Error("value", "required field is missing");
      HPS_RETURN_IF_ERROR(CheckValueSize(*value, r.PathOf("value")));
      out->value = *value;
      break;
    }
    default: {
      HPS_RETURN_IF_ERROR(r.Double("min", &out->min));
      HPS_RETURN_IF_ERROR(r.Double("max", &out->max));
      HPS_RETURN_IF_ERROR(CheckBounds(r, *out));
      int64_t grid_points = out->grid_points;
      HPS_RETURN_IF_ERROR(r.OptionalInt("grid_points", &grid_points));
      if (grid_points < 2 || grid_points > 1000) {
        return r.Error("grid_points",
                       "expected an integer in [2, 1000], found " + std::to_string(grid_points));
      }
      out->grid_points = static_cast<int>(grid_points);
      break;
    }
  }
  if (const Json* cond = r.Find("condition")) {
    Condition condition;
    HPS_RETURN_IF_ERROR(ParseCondition(*cond, r.PathOf("condition"), &condition));
    out->condition = std::move(condition);
  }
  return r.NoOtherKeys();
}

// Checks conditions refer to categorical/constant parents with matching values
// and have no cycles; returns parameters ordered parents-first.
Status OrderParameters(std::vector<ParameterSpec>* params) {
  std::map<std::string, const ParameterSpec*> by_name;
  for (const auto& p : *params) by_name[p.name] = &p;
  for (const auto& p : *params) {
    if (!p.condition) continue;
    const std::string at = "/parameters/" + PointerToken(p.name) + "/condition";
    auto parent = by_name.find(p.condition->parent);
    if (parent == by_name.end()) {
      return InvalidArgumentError("unknown parent parameter \"" + p.condition->parent + "\"",
                                  at + "/parent");
    }
    if (parent->second->name == p.name) {
      return InvalidArgumentError("a parameter cannot be conditional on itself", at + "/parent");
    }
    const ParameterSpec& pp = *parent->second;
    if (pp.kind != ParamKind::kCategorical && pp.kind != ParamKind::kConstant) {
      return InvalidArgumentError("expected the parent to be categorical or constant, found " +
                                      std::string(ParamKindName(pp.kind)),
                                  at + "/parent");
    }
    for (size_t i = 0; i < p.condition->values.size(); ++i) {
      const Json& v = p.condition->values[i];
      const bool ok = pp.kind == ParamKind::kConstant
                          ? v == pp.value
                          : std::find(pp.values.begin(), pp.values.end(), v) != pp.values.end();
      if (!ok) {
        return InvalidArgumentError(
            "value " + DumpJson(v) + " is not a value of parent \"" + pp.name + "\"",
            at + "/values/" + std::to_string(i));
      }
    }
  }
  // Topological order, stable by name; detects cycles.
  std::vector<ParameterSpec> ordered;
  std::set<std::string> placed;
  while (ordered.size() < params->size()) {
    bool progress = false;
    for (const auto& p : *params) {
      if (placed.count(p.name)) continue;
      if (p.condition && !placed.count(p.condition->parent)) continue;
      ordered.push_back(p);
      placed.insert(p.name);
      progress = true;
    }
    if (!progress) {
      for (const auto& p : *params) {
        if (!placed.count(p.name)) {
          return InvalidArgumentError("conditions form a cycle through \"" + p.name + "\"",
                                      "/parameters/" + PointerToken(p.name) + "/condition");
        }
      }
    }
  }
  *params = std::move(ordered);
  return Status();
}

Status ParseProgram(const Json& json, ProgramSpec* out) {
  JsonReader r(json, "/program");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.OptionalBool("external", &out->external));
  if (r.Has("command")) {
    if (out->external || r.Has("model")) {
      return r.Error("command",
                     "a program is one of \"model\", \"command\" or \"external\"; "
                     "found more than one");
    }
    if (r.Has("args")) {
      return r.Error("args",
                     "a command program takes no \"args\": write fixed arguments into "
                     "\"command\", or make them constant parameters");
    }
    HPS_RETURN_IF_ERROR(ParseCommand(r, out));
    return r.NoOtherKeys();
  }
  for (const char* key : {"workdir", "env", "stop_grace_seconds"}) {
    if (r.Has(key)) return r.Error(key, "only a command program (\"command\") takes this field");
  }
  HPS_RETURN_IF_ERROR(r.OptionalString("model", &out->model));
  if (out->model.size() > kMaxModelNameBytes) {
    return r.Error("model", "may be at most " + Bytes(kMaxModelNameBytes) + ", found " +
                                Bytes(out->model.size()));
  }
  if (out->external && !out->model.empty()) {
    return r.Error("model", "an external program has no model; remove \"model\" or \"external\"");
  }
  if (!out->external && out->model.empty()) {
    return r.Error("model",
                   "required field is missing (or give a \"command\" to run your own "
                   "script, or set \"external\": true for ask/tell clients)");
  }
  if (const Json* args = r.Find("args")) {
    if (!args->is_object()) {
      return r.Error("args", "expected an object, found " + DescribeJson(*args));
    }
    HPS_RETURN_IF_ERROR(CheckBlockSize(r, "args", *args));
    out->args = *args;
  }
  HPS_RETURN_IF_ERROR(r.OptionalString("precision", &out->precision));
  if (out->precision != "fp32" && out->precision != "bf16") {
    return r.Error("precision", "expected \"fp32\" or \"bf16\", found \"" + out->precision + "\"");
  }
  return r.NoOtherKeys();
}

}  // namespace

Status ParseProgramSpec(const Json& json, ProgramSpec* out) { return ParseProgram(json, out); }

std::string_view GoalName(Goal goal) { return NameOf(kGoals, goal); }
std::string_view MethodName(Method method) { return NameOf(kMethods, method); }
std::string_view ParamKindName(ParamKind kind) { return NameOf(kKinds, kind); }

Status RefuseControlCharactersInNames(const SweepSpec& spec) {
  HPS_RETURN_IF_ERROR(RefuseControlCharacters(spec.name, "a sweep name", "/name"));
  for (const ParameterSpec& p : spec.parameters) {
    HPS_RETURN_IF_ERROR(
        RefuseControlCharacters(p.name, "a parameter name", "/parameters/" + PointerToken(p.name)));
  }
  if (spec.objectives.empty()) {
    HPS_RETURN_IF_ERROR(RefuseControlCharacters(spec.metric.name, "a metric name", "/metric/name"));
  }
  for (size_t i = 0; i < spec.objectives.size(); ++i) {
    HPS_RETURN_IF_ERROR(RefuseControlCharacters(spec.objectives[i].name, "a metric name",
                                                "/metrics/" + std::to_string(i) + "/name"));
  }
  for (size_t i = 0; i < spec.constraints.size(); ++i) {
    HPS_RETURN_IF_ERROR(RefuseControlCharacters(spec.constraints[i].metric, "a metric name",
                                                "/constraints/" + std::to_string(i)));
  }
  return Status();
}

StatusOr<SweepSpec> ParseSweepSpec(const Json& json) {
  SweepSpec spec;
  JsonReader r(json, "");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.String("name", &spec.name));
  if (spec.name.empty() || spec.name.size() > kMaxSweepNameBytes) {
    return r.Error("name", "expected 1 to " + std::to_string(kMaxSweepNameBytes) +
                               " bytes, found " + std::to_string(spec.name.size()));
  }

  HPS_RETURN_IF_ERROR(internal::ParseObjectives(r, &spec));

  HPS_RETURN_IF_ERROR(ParseEnum(r, "method", kMethods, /*required=*/true, &spec.method));

  const Json* params = r.Find("parameters");
  if (params == nullptr) return r.Error("parameters", "required field is missing");
  if (!params->is_object() || params->empty()) {
    return r.Error("parameters",
                   "expected a non-empty object of parameters, found " + DescribeJson(*params));
  }
  if (params->size() > kMaxParameters) {
    return r.Error("parameters", "at most " + std::to_string(kMaxParameters) +
                                     " are allowed, found " + std::to_string(params->size()));
  }
  for (auto it = params->begin(); it != params->end(); ++it) {
    HPS_RETURN_IF_ERROR(CheckName(it.key(), "a parameter name", r.PathOf("parameters")));
    ParameterSpec p;
    HPS_RETURN_IF_ERROR(
        ParseParameter(it.key(), it.value(), "/parameters/" + PointerToken(it.key()), &p));
    spec.parameters.push_back(std::move(p));
  }
  HPS_RETURN_IF_ERROR(OrderParameters(&spec.parameters));
  // Worst case of one trial's parameters as JSON: every name with its longest
  // value, plus quotes, colon and comma.
  size_t params_bytes = 2;
  for (const auto& p : spec.parameters) {
    size_t value_bytes = kMaxNumberBytes;
    if (p.kind == ParamKind::kConstant) value_bytes = DumpJson(p.value).size();
    if (p.kind == ParamKind::kCategorical) {
      value_bytes = 0;
      for (const Json& v : p.values) value_bytes = std::max(value_bytes, DumpJson(v).size());
    }
    params_bytes += DumpJson(p.name).size() + 2 + value_bytes;
  }
  if (params_bytes > kMaxParamsBytes) {
    return r.Error("parameters", "a trial's parameters could take " + Bytes(params_bytes) +
                                     " as JSON; at most " + Bytes(kMaxParamsBytes) +
                                     " are allowed (shorter names or values, or fewer parameters)");
  }

  HPS_RETURN_IF_ERROR(r.OptionalInt("max_trials", &spec.max_trials));
  if (!r.Has("max_trials")) {
    spec.max_trials = spec.method == Method::kGrid ? 0 : kDefaultMaxTrials;
  } else if ((spec.max_trials < 1 && !(spec.method == Method::kGrid && spec.max_trials == 0)) ||
             spec.max_trials > 100000000) {
    return r.Error("max_trials", "expected an integer in [1, 100000000], found " +
                                     std::to_string(spec.max_trials));
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("max_concurrent_trials", &spec.max_concurrent_trials));
  if (spec.max_concurrent_trials < 0) {
    return r.Error("max_concurrent_trials", "expected an integer >= 0 (0: no limit), found " +
                                                std::to_string(spec.max_concurrent_trials));
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("max_restarts", &spec.max_restarts));
  if (spec.max_restarts < 0 || spec.max_restarts > 1000) {
    return r.Error("max_restarts",
                   "expected an integer in [0, 1000], found " + std::to_string(spec.max_restarts));
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("max_consecutive_failures", &spec.max_consecutive_failures));
  if (spec.max_consecutive_failures < 0 || spec.max_consecutive_failures > 1000000) {
    return r.Error(
        "max_consecutive_failures",
        "expected an integer in [0, 1000000] (0: never stop a sweep for failures), found " +
            std::to_string(spec.max_consecutive_failures));
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("keep_checkpoints", &spec.keep_checkpoints));
  if (spec.keep_checkpoints < 1 || spec.keep_checkpoints > 1000000) {
    return r.Error("keep_checkpoints", "expected an integer in [1, 1000000], found " +
                                           std::to_string(spec.keep_checkpoints));
  }
  HPS_RETURN_IF_ERROR(r.OptionalUint("seed", &spec.seed));

  const Json* program = r.Find("program");
  if (program == nullptr) return r.Error("program", "required field is missing");
  HPS_RETURN_IF_ERROR(ParseProgram(*program, &spec.program));
  HPS_RETURN_IF_ERROR(CheckCommandMacros(spec));

  if (const Json* resources = r.Find("resources")) {
    JsonReader rr(*resources, "/resources");
    HPS_RETURN_IF_ERROR(rr.RequireObject());
    HPS_RETURN_IF_ERROR(rr.OptionalInt("ranks_per_trial", &spec.ranks_per_trial));
    if (spec.ranks_per_trial < 1 || spec.ranks_per_trial > 65536) {
      return rr.Error("ranks_per_trial", "expected an integer in [1, 65536], found " +
                                             std::to_string(spec.ranks_per_trial));
    }
    HPS_RETURN_IF_ERROR(rr.NoOtherKeys());
  }
  if (const Json* et = r.Find("early_terminate")) {
    if (!et->is_object()) {
      return r.Error("early_terminate", "expected an object, found " + DescribeJson(*et));
    }
    HPS_RETURN_IF_ERROR(CheckBlockSize(r, "early_terminate", *et));
    spec.early_terminate = *et;
  }
  if (const Json* mo = r.Find("method_options")) {
    if (!mo->is_object()) {
      return r.Error("method_options", "expected an object, found " + DescribeJson(*mo));
    }
    HPS_RETURN_IF_ERROR(CheckBlockSize(r, "method_options", *mo));
    spec.method_options = *mo;
  }
  HPS_RETURN_IF_ERROR(r.NoOtherKeys());
  return spec;
}

Json ToJson(const SweepSpec& spec) {
  Json params = Json::object();
  for (const auto& p : spec.parameters) {
    Json j = {{"distribution", ParamKindName(p.kind)}};
    if (p.kind == ParamKind::kCategorical) {
      j["values"] = p.values;
    } else if (p.kind == ParamKind::kConstant) {
      j["value"] = p.value;
    } else {
      if (p.IsInteger()) {
        j["min"] = static_cast<int64_t>(p.min);
        j["max"] = static_cast<int64_t>(p.max);
      } else {
        j["min"] = p.min;
        j["max"] = p.max;
      }
      j["grid_points"] = p.grid_points;
    }
    if (p.condition) {
      j["condition"] = {{"parent", p.condition->parent}, {"values", p.condition->values}};
    }
    params[p.name] = std::move(j);
  }
  Json out = {{"name", spec.name},
              {"method", MethodName(spec.method)},
              {"parameters", std::move(params)},
              {"max_trials", spec.max_trials},
              {"max_concurrent_trials", spec.max_concurrent_trials},
              {"max_restarts", spec.max_restarts},
              {"max_consecutive_failures", spec.max_consecutive_failures},
              {"keep_checkpoints", spec.keep_checkpoints},
              {"seed", spec.seed},
              {"program", ToJson(spec.program)},
              {"resources", {{"ranks_per_trial", spec.ranks_per_trial}}},
              {"method_options", spec.method_options}};
  if (!spec.early_terminate.is_null()) out["early_terminate"] = spec.early_terminate;
  internal::ObjectivesToJson(spec, &out);
  return out;
}

Json ToJson(const MetricSpec& metric) {
  return {{"name", metric.name}, {"goal", GoalName(metric.goal)}};
}

Json ToJson(const ProgramSpec& program) {
  Json out = Json::object();
  if (program.IsCommand()) {
    out["command"] = program.command;
    out["workdir"] = program.workdir;
    out["env"] = program.env;
    out["stop_grace_seconds"] = program.stop_grace_seconds;
    return out;
  }
  if (program.external) {
    out["external"] = true;
  } else {
    out["model"] = program.model;
  }
  out["args"] = program.args;
  if (program.precision != "fp32") out["precision"] = program.precision;
  return out;
}

const ParameterSpec* FindParameter(const SweepSpec& spec, const std::string& name) {
  for (const auto& p : spec.parameters) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace hpsweep::proto
