// Hyperparameter declaration and validation shared by every model in the zoo.
//
// A model declares its hyperparameters once, as a list of HyperparamInfo built
// with the helpers below; that list is both what `hpsweep models` shows and
// what Hyperparams::Parse validates a trial's JSON object against:
//
//   std::vector<HyperparamInfo> specs = {
//       IntParam("width", 64, 1, 4096, "hidden units per layer"),
//       FloatParam("lr", 1e-3, 1e-7, 10.0, "learning rate"),
//   };
//   HPS_ASSIGN_OR_RETURN(Hyperparams hp, Hyperparams::Parse("mlp", specs, params));
//   int64_t width = hp.Int("width");
//
// Rules (one place for all models):
//   - missing keys take their default; a spec whose default is null is required;
//   - "float" accepts any JSON number; "int" accepts integers (and floats with
//     an integral value such as 128.0, which some search clients send);
//   - numbers must lie in [min, max] (either bound may be null = unbounded);
//   - "string" must be one of `choices` when choices is non-empty, any string
//     otherwise (file paths);
//   - "int_list" is a non-empty JSON array of ints, each in [min, max];
//   - an unknown key is an error.
// Every error is INVALID_ARGUMENT with field "/<name>" and a message that
// names the parameter and its allowed range.
//
// Thread safety: Hyperparams is an immutable value after Parse.
#ifndef HPSWEEP_MODELS_HYPERPARAMS_H_
#define HPSWEEP_MODELS_HYPERPARAMS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "models/workload.h"

namespace hpsweep::models {

// Declaration helpers; bounds are inclusive.
HyperparamInfo FloatParam(std::string name, double default_value, double min, double max,
                          std::string help);
HyperparamInfo IntParam(std::string name, int64_t default_value, int64_t min, int64_t max,
                        std::string help);
HyperparamInfo BoolParam(std::string name, bool default_value, std::string help);
// One of `choices`; `default_value` must be among them.
HyperparamInfo ChoiceParam(std::string name, std::string default_value,
                           std::vector<std::string> choices, std::string help);
// A free-form string (e.g. a file path). An empty default is allowed.
HyperparamInfo StringParam(std::string name, std::string default_value, std::string help);
// A free-form string that must be given.
HyperparamInfo RequiredStringParam(std::string name, std::string help);
// A non-empty list of ints, each in [min, max].
HyperparamInfo IntListParam(std::string name, std::vector<int64_t> default_value, int64_t min,
                            int64_t max, std::string help);

// The optimizer-related hyperparameters every model shares: optimizer
// (sgd|adam|adamw), lr, momentum, weight_decay, batch_size, epochs. Models pass
// their own defaults so each default matches the model's usual recipe.
struct TrainingDefaults {
  // Default: "adam".
  std::string optimizer = "adam";
  // Default: 1e-3.
  double lr = 1e-3;
  // SGD momentum (ignored by adam/adamw). Default: 0.9.
  double momentum = 0.9;
  // L2 penalty (sgd, adam) or decoupled decay (adamw). Default: 0.
  double weight_decay = 0.0;
  // Global batch per optimizer step. Default: 64.
  int64_t batch_size = 64;
  // Default: 10.
  int64_t epochs = 10;
};
std::vector<HyperparamInfo> TrainingHyperparams(const TrainingDefaults& defaults);

// Concatenates declaration lists (model-specific first, then shared ones).
std::vector<HyperparamInfo> ConcatHyperparams(std::vector<HyperparamInfo> a,
                                              const std::vector<HyperparamInfo>& b);

// The validated hyperparameters of one trial, defaults filled in.
class Hyperparams {
 public:
  // Validates `params` (a JSON object; null counts as {}) against `specs`.
  // `model` only names the model in error messages.
  static StatusOr<Hyperparams> Parse(const std::string& model,
                                     const std::vector<HyperparamInfo>& specs,
                                     const nlohmann::json& params);

  // Typed accessors. REQUIRES: `name` was declared with the matching type;
  // anything else is a programming error and aborts.
  double Float(const std::string& name) const;
  int64_t Int(const std::string& name) const;
  bool Bool(const std::string& name) const;
  const std::string& String(const std::string& name) const;
  std::vector<int64_t> IntList(const std::string& name) const;

  // All values, defaults included, as a JSON object (for logs and tests).
  const nlohmann::json& values() const { return values_; }

 private:
  const nlohmann::json& Get(const std::string& name, const char* type) const;

  std::vector<HyperparamInfo> specs_;
  nlohmann::json values_ = nlohmann::json::object();
};

// INVALID_ARGUMENT at field "/<name>" for constraints that involve several
// hyperparameters (e.g. d_model divisible by heads), phrased like Parse's.
Status HyperparamError(const std::string& model, const std::string& name,
                       const std::string& requirement);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_HYPERPARAMS_H_
