#include "models/hyperparams.h"

#include <cmath>
#include <sstream>
#include <utility>

#include "common/logging.h"

namespace hpsweep::models {
namespace {

HyperparamInfo Make(std::string name, std::string type, nlohmann::json default_value,
                    nlohmann::json min, nlohmann::json max, std::string help) {
  HyperparamInfo info;
  info.name = std::move(name);
  info.type = std::move(type);
  info.default_value = std::move(default_value);
  info.min = std::move(min);
  info.max = std::move(max);
  info.help = std::move(help);
  return info;
}

// "an int in [1, 4096]", "one of sgd|adam", ... for error messages.
std::string Allowed(const HyperparamInfo& spec) {
  std::ostringstream out;
  auto bounds = [&]() {
    out << " in [" << (spec.min.is_null() ? std::string("-inf") : spec.min.dump()) << ", "
        << (spec.max.is_null() ? std::string("inf") : spec.max.dump()) << "]";
  };
  if (spec.type == "float") {
    out << "a number";
    bounds();
  } else if (spec.type == "int") {
    out << "an integer";
    bounds();
  } else if (spec.type == "bool") {
    out << "a boolean";
  } else if (spec.type == "int_list") {
    out << "a non-empty list of integers, each";
    bounds();
  } else if (!spec.choices.empty()) {
    out << "one of ";
    for (size_t i = 0; i < spec.choices.size(); ++i) out << (i ? "|" : "") << spec.choices[i];
  } else {
    out << "a string";
  }
  return out.str();
}

Status Bad(const std::string& model, const HyperparamInfo& spec, const nlohmann::json& got) {
  return InvalidArgumentError("model '" + model + "': hyperparameter '" + spec.name + "' must be " +
                                  Allowed(spec) + ", got " + got.dump(),
                              "/" + spec.name);
}

bool InRange(const HyperparamInfo& spec, double v) {
  if (!spec.min.is_null() && v < spec.min.get<double>()) return false;
  if (!spec.max.is_null() && v > spec.max.get<double>()) return false;
  return true;
}

// An integer value from a JSON number, accepting integral floats.
bool AsInt(const nlohmann::json& v, int64_t* out) {
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      *out = static_cast<int64_t>(d);
      return true;
    }
  }
  return false;
}

// The canonical value of `got` for `spec`, or why it is not acceptable.
StatusOr<nlohmann::json> Check(const std::string& model, const HyperparamInfo& spec,
                               const nlohmann::json& got) {
  if (spec.type == "float") {
    if (!got.is_number() || !std::isfinite(got.get<double>()) || !InRange(spec, got.get<double>()))
      return Bad(model, spec, got);
    return nlohmann::json(got.get<double>());
  }
  if (spec.type == "int") {
    int64_t v = 0;
    if (got.is_boolean() || !AsInt(got, &v) || !InRange(spec, static_cast<double>(v)))
      return Bad(model, spec, got);
    return nlohmann::json(v);
  }
  if (spec.type == "bool") {
    if (!got.is_boolean()) return Bad(model, spec, got);
    return got;
  }
  if (spec.type == "int_list") {
    if (!got.is_array() || got.empty()) return Bad(model, spec, got);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : got) {
      int64_t v = 0;
      if (e.is_boolean() || !AsInt(e, &v) || !InRange(spec, static_cast<double>(v)))
        return Bad(model, spec, got);
      out.push_back(v);
    }
    return out;
  }
  // "string"
  if (!got.is_string()) return Bad(model, spec, got);
  if (!spec.choices.empty()) {
    const std::string s = got.get<std::string>();
    bool found = false;
    for (const auto& c : spec.choices) found = found || c == s;
    if (!found) return Bad(model, spec, got);
  }
  return got;
}

}  // namespace

HyperparamInfo FloatParam(std::string name, double default_value, double min, double max,
                          std::string help) {
  return Make(std::move(name), "float", default_value, min, max, std::move(help));
}

HyperparamInfo IntParam(std::string name, int64_t default_value, int64_t min, int64_t max,
                        std::string help) {
  return Make(std::move(name), "int", default_value, min, max, std::move(help));
}

HyperparamInfo BoolParam(std::string name, bool default_value, std::string help) {
  return Make(std::move(name), "bool", default_value, nullptr, nullptr, std::move(help));
}

HyperparamInfo ChoiceParam(std::string name, std::string default_value,
                           std::vector<std::string> choices, std::string help) {
  HyperparamInfo info =
      Make(std::move(name), "string", std::move(default_value), nullptr, nullptr, std::move(help));
  info.choices = std::move(choices);
  return info;
}

HyperparamInfo StringParam(std::string name, std::string default_value, std::string help) {
  return Make(std::move(name), "string", std::move(default_value), nullptr, nullptr,
              std::move(help));
}

HyperparamInfo RequiredStringParam(std::string name, std::string help) {
  return Make(std::move(name), "string", nullptr, nullptr, nullptr, std::move(help));
}

HyperparamInfo IntListParam(std::string name, std::vector<int64_t> default_value, int64_t min,
                            int64_t max, std::string help) {
  return Make(std::move(name), "int_list", default_value, min, max, std::move(help));
}

std::vector<HyperparamInfo> TrainingHyperparams(const TrainingDefaults& d) {
  return {
      ChoiceParam("optimizer", d.optimizer, {"sgd", "adam", "adamw"}, "optimizer"),
      FloatParam("lr", d.lr, 1e-7, 10.0, "learning rate"),
      FloatParam("momentum", d.momentum, 0.0, 0.999, "SGD momentum (sgd only)"),
      FloatParam("weight_decay", d.weight_decay, 0.0, 1.0,
                 "L2 penalty (sgd, adam) or decoupled weight decay (adamw)"),
      IntParam("batch_size", d.batch_size, 1, 65536, "global batch size per optimizer step"),
      IntParam("epochs", d.epochs, 1, 100000, "training epochs"),
  };
}

std::vector<HyperparamInfo> ConcatHyperparams(std::vector<HyperparamInfo> a,
                                              const std::vector<HyperparamInfo>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

StatusOr<Hyperparams> Hyperparams::Parse(const std::string& model,
                                         const std::vector<HyperparamInfo>& specs,
                                         const nlohmann::json& params) {
  if (!params.is_null() && !params.is_object()) {
    return InvalidArgumentError(
        "model '" + model + "': hyperparameters must be a JSON object, got " + params.dump(), "");
  }
  Hyperparams hp;
  hp.specs_ = specs;
  if (params.is_object()) {
    for (auto it = params.begin(); it != params.end(); ++it) {
      bool known = false;
      for (const auto& s : specs) known = known || s.name == it.key();
      if (!known) {
        std::string names;
        for (const auto& s : specs) names += (names.empty() ? "" : ", ") + s.name;
        return InvalidArgumentError(
            "model '" + model + "': unknown hyperparameter '" + it.key() + "'; known: " + names,
            "/" + it.key());
      }
    }
  }
  for (const auto& spec : specs) {
    const bool given = params.is_object() && params.contains(spec.name);
    if (!given) {
      if (spec.default_value.is_null()) {
        return InvalidArgumentError("model '" + model + "': hyperparameter '" + spec.name +
                                        "' is required (" + Allowed(spec) + ")",
                                    "/" + spec.name);
      }
      hp.values_[spec.name] = spec.default_value;
      continue;
    }
    HPS_ASSIGN_OR_RETURN(hp.values_[spec.name], Check(model, spec, params.at(spec.name)));
  }
  return hp;
}

const nlohmann::json& Hyperparams::Get(const std::string& name, const char* type) const {
  const HyperparamInfo* spec = nullptr;
  for (const auto& s : specs_) {
    if (s.name == name) spec = &s;
  }
  HPS_CHECK(spec != nullptr) << "undeclared hyperparameter " << name;
  HPS_CHECK(spec->type == type) << "hyperparameter " << name << " is " << spec->type << ", not "
                                << type;
  return values_.at(name);
}

double Hyperparams::Float(const std::string& name) const {
  return Get(name, "float").get<double>();
}

int64_t Hyperparams::Int(const std::string& name) const { return Get(name, "int").get<int64_t>(); }

bool Hyperparams::Bool(const std::string& name) const { return Get(name, "bool").get<bool>(); }

const std::string& Hyperparams::String(const std::string& name) const {
  return Get(name, "string").get_ref<const std::string&>();
}

std::vector<int64_t> Hyperparams::IntList(const std::string& name) const {
  return Get(name, "int_list").get<std::vector<int64_t>>();
}

Status HyperparamError(const std::string& model, const std::string& name,
                       const std::string& requirement) {
  return InvalidArgumentError("model '" + model + "': hyperparameter '" + name + "' " + requirement,
                              "/" + name);
}

}  // namespace hpsweep::models
