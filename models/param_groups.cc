#include "models/param_groups.h"

#include <cmath>
#include <utility>

namespace hpsweep::models {

std::vector<HyperparamInfo> GroupOptimizerHyperparams(const std::string& prefix,
                                                      const std::string& what,
                                                      const GroupOptimizerDefaults& d) {
  const std::string p = prefix + "_";
  return {
      ChoiceParam(p + "optimizer", d.optimizer, {"adam", "adamw"}, what + " optimizer"),
      FloatParam(p + "lr", d.lr, 1e-7, 1.0, what + " base learning rate"),
      FloatParam(p + "beta1", d.beta1, 0.0, 0.999, what + " Adam beta1"),
      FloatParam(p + "beta2", d.beta2, 0.0, 0.9999, what + " Adam beta2"),
      FloatParam(p + "weight_decay", d.weight_decay, 0.0, 1.0, what + " weight decay"),
      ChoiceParam(p + "lr_schedule", d.lr_schedule, {"constant", "linear", "cosine"},
                  what + " learning-rate schedule over the trial's steps"),
  };
}

std::unique_ptr<torch::optim::Optimizer> MakeGroupOptimizer(const Hyperparams& hp,
                                                            const std::string& prefix,
                                                            std::vector<torch::Tensor> params) {
  const std::string p = prefix + "_";
  const double lr = hp.Float(p + "lr");
  const auto betas = std::make_tuple(hp.Float(p + "beta1"), hp.Float(p + "beta2"));
  const double wd = hp.Float(p + "weight_decay");
  if (hp.String(p + "optimizer") == "adamw") {
    return std::make_unique<torch::optim::AdamW>(
        std::move(params), torch::optim::AdamWOptions(lr).betas(betas).weight_decay(wd));
  }
  return std::make_unique<torch::optim::Adam>(
      std::move(params), torch::optim::AdamOptions(lr).betas(betas).weight_decay(wd));
}

double LrScheduleFactor(const std::string& schedule, int64_t step, int64_t total_steps) {
  if (schedule == "constant" || total_steps <= 0) return 1.0;
  const double t = std::min(1.0, static_cast<double>(step) / static_cast<double>(total_steps));
  if (schedule == "linear") return 1.0 - t;
  return 0.5 * (1.0 + std::cos(M_PI * t));  // cosine
}

void ApplyLrSchedule(const Hyperparams& hp, const std::string& prefix, int64_t step,
                     int64_t total_steps, torch::optim::Optimizer& optimizer) {
  const std::string p = prefix + "_";
  const double lr =
      hp.Float(p + "lr") * LrScheduleFactor(hp.String(p + "lr_schedule"), step, total_steps);
  for (auto& group : optimizer.param_groups()) {
    auto& options = group.options();
    if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) adam->lr(lr);
    if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&options)) adamw->lr(lr);
  }
}

}  // namespace hpsweep::models
