// `torchscript`: a user's own model, exported from Python with
// torch.jit.script(model).save("m.pt") (or torch.jit.trace), trained in C++ on
// a table from a file (.npy or .csv, see tensor_file.h): features first, the
// last `target_columns` columns are targets. See models/README.md and
// models/examples/export_torchscript.py for a worked example.
//
// The module's forward must take one float32 tensor [batch, features] and
// return [batch, target_columns] for "mse" (or [batch] when target_columns is
// 1), or logits [batch, classes] for "cross_entropy" (one integer target
// column holding the class index). Every parameter of the scripted module is
// trained. Without `val_data`, a seeded shuffle of `train_data` holds out
// `val_fraction` of its rows.
//
// Randomness inside the module (dropout) draws from LibTorch's global
// generator, which this workload reseeds from (seed, step) before every
// training forward pass so that resumed training stays bit-identical.
//
// Metric: "val_loss" (minimize); also "val_accuracy" for cross_entropy.
#ifndef HPSWEEP_MODELS_TORCHSCRIPT_H_
#define HPSWEEP_MODELS_TORCHSCRIPT_H_

#include <memory>

#include "common/status.h"
#include "models/workload.h"

namespace hpsweep::models {

ModelInfo TorchScriptModelInfo();
StatusOr<std::unique_ptr<Workload>> CreateTorchScriptWorkload(const nlohmann::json& params,
                                                              const WorkloadContext& context);

}  // namespace hpsweep::models

#endif  // HPSWEEP_MODELS_TORCHSCRIPT_H_
