#include "models/zoo_validator.h"

#include <set>
#include <string>

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
  for (auto it = spec.program.args.begin(); it != spec.program.args.end(); ++it) {
    HPS_RETURN_IF_ERROR(check(it.key(), "/program/args/" + proto::PointerToken(it.key())));
  }
  for (const auto& p : spec.parameters) {
    HPS_RETURN_IF_ERROR(check(p.name, "/parameters/" + proto::PointerToken(p.name)));
  }
  return Status();
}

}  // namespace hpsweep::models
