#include "models/zoo_validator.h"

#include <set>
#include <string>

#include "models/hyperparams.h"
#include "models/workload.h"

namespace hpsweep::models {

Status ValidateZooProgram(const proto::SweepSpec& spec) {
  // A command program is the user's own script: its parameters are its own.
  if (spec.program.IsCommand()) return Status();
  auto info = FindModel(spec.program.model);
  if (!info.ok()) return InvalidArgumentError(info.status().message(), "/program/model");
  std::set<std::string> known;
  std::string names;
  for (const HyperparamInfo& h : info->hyperparams) {
    known.insert(h.name);
    names += (names.empty() ? "" : ", ") + h.name;
  }
  auto check = [&](const std::string& name, const std::string& field) -> Status {
    if (known.count(name)) return Status();
    return InvalidArgumentError("model \"" + spec.program.model + "\" has no hyperparameter \"" +
                                    name + "\" (it has: " + names + ")",
                                field);
  };
  // A value the hyperparameter cannot take, at `field`: the model's own
  // check (hyperparams.h), on that one hyperparameter.
  auto check_value = [&](const std::string& name, const nlohmann::json& value,
                         const std::string& field) -> Status {
    for (const HyperparamInfo& h : info->hyperparams) {
      if (h.name != name) continue;
      auto parsed = Hyperparams::Parse(spec.program.model, {h}, {{name, value}});
      if (!parsed.ok()) return InvalidArgumentError(parsed.status().message(), field);
    }
    return Status();
  };
  for (auto it = spec.program.args.begin(); it != spec.program.args.end(); ++it) {
    const std::string field = "/program/args/" + proto::PointerToken(it.key());
    HPS_RETURN_IF_ERROR(check(it.key(), field));
    HPS_RETURN_IF_ERROR(check_value(it.key(), it.value(), field));
  }
  for (const auto& p : spec.parameters) {
    const std::string field = "/parameters/" + proto::PointerToken(p.name);
    HPS_RETURN_IF_ERROR(check(p.name, field));
    switch (p.kind) {
      case proto::ParamKind::kCategorical:
        for (size_t i = 0; i < p.values.size(); ++i) {
          HPS_RETURN_IF_ERROR(
              check_value(p.name, p.values[i], field + "/values/" + std::to_string(i)));
        }
        break;
      case proto::ParamKind::kConstant:
        HPS_RETURN_IF_ERROR(check_value(p.name, p.value, field + "/value"));
        break;
      default: {
        // Both bounds, as the integers or floats the searcher will propose.
        auto bound = [&](double v) {
          return p.IsInteger() ? nlohmann::json(static_cast<int64_t>(v)) : nlohmann::json(v);
        };
        HPS_RETURN_IF_ERROR(check_value(p.name, bound(p.min), field + "/min"));
        HPS_RETURN_IF_ERROR(check_value(p.name, bound(p.max), field + "/max"));
      }
    }
  }
  return Status();
}

}  // namespace hpsweep::models
