#include "proto/pbt_options.h"

#include <string>

namespace hpsweep::proto {

StatusOr<PbtOptions> ParsePbtOptions(const SweepSpec& spec) {
  PbtOptions out;
  JsonReader r(spec.method_options, "/method_options");
  HPS_RETURN_IF_ERROR(r.RequireObject());
  HPS_RETURN_IF_ERROR(r.OptionalInt("population_size", &out.population_size));
  if (out.population_size < 2 || out.population_size > 100000) {
    return r.Error("population_size", "expected an integer in [2, 100000], found " +
                                          std::to_string(out.population_size));
  }
  if (out.population_size > spec.max_trials) {
    return r.Error("population_size",
                   "expected at most max_trials (" + std::to_string(spec.max_trials) +
                       ", the budget of initial trials plus children), found " +
                       std::to_string(out.population_size));
  }
  HPS_RETURN_IF_ERROR(r.OptionalInt("perturbation_interval", &out.perturbation_interval));
  if (out.perturbation_interval < 1 || out.perturbation_interval > 1000000000) {
    return r.Error("perturbation_interval", "expected a whole number of reported steps >= 1, found " +
                                                std::to_string(out.perturbation_interval));
  }
  HPS_RETURN_IF_ERROR(r.OptionalDouble("quantile_fraction", &out.quantile_fraction));
  if (!(out.quantile_fraction > 0 && out.quantile_fraction <= 0.5)) {
    return r.Error("quantile_fraction", "expected a fraction in (0, 0.5], found " +
                                            DescribeJson(r.json()["quantile_fraction"]));
  }
  HPS_RETURN_IF_ERROR(r.OptionalDouble("resample_probability", &out.resample_probability));
  if (!(out.resample_probability >= 0 && out.resample_probability <= 1)) {
    return r.Error("resample_probability", "expected a probability in [0, 1], found " +
                                               DescribeJson(r.json()["resample_probability"]));
  }
  if (const Json* factors = r.Find("perturbation_factors"); factors && !factors->is_null()) {
    const std::string at = r.PathOf("perturbation_factors");
    if (!factors->is_array() || factors->empty() || factors->size() > 16) {
      return InvalidArgumentError(std::string() + "expected an array of 1 to 16 positive numbers, found " +
                                      DescribeJson(*factors),
                                  at);
    }
    out.perturbation_factors.clear();
    for (size_t i = 0; i < factors->size(); ++i) {
      const Json& f = (*factors)[i];
      if (!f.is_number() || !(f.get<double>() > 0) || f.get<double>() > 1e6) {
        const std::string item = at + "/" + std::to_string(i);
        return InvalidArgumentError(std::string() + "expected a positive number, found " + DescribeJson(f),
                                    item);
      }
      out.perturbation_factors.push_back(f.get<double>());
    }
  }
  const Json* mutations = r.Find("hyperparam_mutations");
  const std::string at = r.PathOf("hyperparam_mutations");
  if (!mutations || mutations->is_null()) {
    return InvalidArgumentError(
        "required for method pbt: the names of the parameters explore may change "
             "(the others stay fixed per lineage)",
        at);
  }
  if (!mutations->is_array() || mutations->empty()) {
    return InvalidArgumentError(
        "expected a non-empty array of parameter names, found " + DescribeJson(*mutations),
        at);
  }
  for (size_t i = 0; i < mutations->size(); ++i) {
    const Json& name = (*mutations)[i];
    const std::string item = at + "/" + std::to_string(i);
    if (!name.is_string()) {
      return InvalidArgumentError(std::string() + "expected a parameter name, found " + DescribeJson(name),
                                  item);
    }
    const std::string& n = name.get_ref<const std::string&>();
    const ParameterSpec* p = FindParameter(spec, n);
    if (!p) {
      return InvalidArgumentError("\"" + n + "\" is not a parameter of the sweep", item);
    }
    if (p->kind == ParamKind::kConstant) {
      return InvalidArgumentError("\"" + n + "\" is a constant; explore cannot change it",
                                  item);
    }
    bool is_parent = false;
    for (const ParameterSpec& other : spec.parameters) {
      if (other.condition && other.condition->parent == n) is_parent = true;
    }
    if (p->condition || is_parent) {
      return InvalidArgumentError("\"" + n +
                                      "\" is conditional or a condition's parent; pbt mutates "
                                      "only parameters that are always present",
                                  item);
    }
    for (const std::string& seen : out.hyperparam_mutations) {
      if (seen == n) return InvalidArgumentError("\"" + n + "\" is named twice", item);
    }
    out.hyperparam_mutations.push_back(n);
  }
  HPS_RETURN_IF_ERROR(r.NoOtherKeys());
  if (spec.program.IsCommand()) {
    return InvalidArgumentError(
        "/program/command: method pbt starts children from their parent's checkpoint, which "
        "hpsweep workers do for model programs (and ask/tell clients can do for external ones); "
        "a command program cannot yet",
        "/program/command");
  }
  return out;
}

}  // namespace hpsweep::proto
