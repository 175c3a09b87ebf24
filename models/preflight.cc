#include "models/preflight.h"

#include <set>

#include "models/workload.h"

namespace hpsweep::models {
namespace {

// The field of a sweep file that set hyperparameter `name`.
std::string FieldOf(const proto::SweepSpec& spec, const std::string& name) {
  if (proto::FindParameter(spec, name) != nullptr) {
    return "/parameters/" + proto::PointerToken(name);
  }
  return "/program/args/" + proto::PointerToken(name);
}

}  // namespace

Status PreflightZooProgram(const proto::SweepSpec& spec, const std::string& base_dir) {
  // External ask/tell clients and command programs (the user's own script)
  // have nothing of the zoo to build.
  if (spec.program.external || spec.program.IsCommand()) return Status();
  nlohmann::json params = spec.program.args.is_object() ? spec.program.args
                                                        : nlohmann::json::object();
  for (const proto::ParameterSpec& p : spec.parameters) {
    if (p.condition) continue;
    switch (p.kind) {
      case proto::ParamKind::kCategorical:
        if (!p.values.empty()) params[p.name] = p.values.front();
        break;
      case proto::ParamKind::kConstant:
        params[p.name] = p.value;
        break;
      default:
        if (p.IsInteger()) {
          params[p.name] = static_cast<int64_t>(p.min);
        } else {
          params[p.name] = p.min;
        }
    }
  }
  WorkloadContext context;
  context.base_dir = base_dir;
  auto workload = CreateWorkload(spec.program.model, params, context);
  if (!workload.ok()) {
    const Status& s = workload.status();
    std::string field = s.field();
    if (field.size() > 1 && field[0] == '/') field = FieldOf(spec, field.substr(1));
    return Status(s.code() == StatusCode::kNotFound ? StatusCode::kInvalidArgument : s.code(),
                  "pre-flight: " + s.message(), field);
  }
  auto metrics = (*workload)->Evaluate();
  if (!metrics.ok()) {
    return Status(metrics.status().code(),
                  "pre-flight: evaluating model \"" + spec.program.model +
                      "\" once failed: " + metrics.status().message(),
                  "/program/model");
  }
  std::set<std::string> reported = {"train_loss", "epoch"};
  for (const auto& [name, value] : *metrics) reported.insert(name);
  if (!reported.count(spec.metric.name)) {
    std::string names;
    for (const auto& n : reported) names += (names.empty() ? "" : ", ") + n;
    return InvalidArgumentError("model \"" + spec.program.model + "\" reports " + names +
                                    "; not the sweep metric \"" + spec.metric.name + "\"",
                                "/metric/name");
  }
  return Status();
}

}  // namespace hpsweep::models
