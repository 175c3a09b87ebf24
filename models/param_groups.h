// Hyperparameters and optimizers of one parameter group of a multi-group
// workload (workload.h's Groups()), addressed by a prefix: a GAN declares
//
//   GroupOptimizerHyperparams("g", "generator", {...})      // g_lr, g_beta1, ...
//   GroupOptimizerHyperparams("d", "discriminator", {...})  // d_lr, d_beta1, ...
//
// and builds each group's optimizer with MakeGroupOptimizer(hp, "g", params).
// Each group has its own learning-rate schedule over the trial's steps,
// applied by ApplyLrSchedule before each of its steps.
//
// Thread safety: functions only.
#ifndef HPSWEEP_MODELS_PARAM_GROUPS_H_
#define HPSWEEP_MODELS_PARAM_GROUPS_H_

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "models/hyperparams.h"
#include "models/workload.h"

namespace hpsweep::models {

struct GroupOptimizerDefaults {
  // "adam" or "adamw" (decoupled weight decay). Default: "adam".
  std::string optimizer = "adam";
  // Default: 2e-4 (CTGAN's).
  double lr = 2e-4;
  // Adam's first and second moment decay. Default: 0.5, 0.9 (CTGAN's; the
  // usual GAN choice).
  double beta1 = 0.5;
  double beta2 = 0.9;
  // Default: 1e-6 (CTGAN's).
  double weight_decay = 1e-6;
  // "constant", "linear" (to 0 at the last step) or "cosine" (to 0).
  // Default: "constant".
  std::string lr_schedule = "constant";
};

// "<prefix>_optimizer", "<prefix>_lr", "<prefix>_beta1", "<prefix>_beta2",
// "<prefix>_weight_decay", "<prefix>_lr_schedule"; `what` names the group in
// the help texts.
std::vector<HyperparamInfo> GroupOptimizerHyperparams(const std::string& prefix,
                                                      const std::string& what,
                                                      const GroupOptimizerDefaults& defaults);

// The group's optimizer over `params` from its prefixed hyperparameters.
// REQUIRES: `hp` was parsed with GroupOptimizerHyperparams(prefix, ...).
std::unique_ptr<torch::optim::Optimizer> MakeGroupOptimizer(const Hyperparams& hp,
                                                            const std::string& prefix,
                                                            std::vector<torch::Tensor> params);

// Multiplier of the base learning rate at step `step` (0-based) of
// `total_steps` under `schedule` (see GroupOptimizerDefaults::lr_schedule);
// 1 for "constant" or when total_steps <= 0.
double LrScheduleFactor(const std::string& schedule, int64_t step, int64_t total_steps);

// Sets the learning rate of every parameter group of `optimizer` (Adam or
// AdamW) to the prefixed base lr times LrScheduleFactor. A function of the
// step only, so a resumed run sets the same rates.
void ApplyLrSchedule(const Hyperparams& hp, const std::string& prefix, int64_t step,
                     int64_t total_steps, torch::optim::Optimizer& optimizer);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_PARAM_GROUPS_H_
