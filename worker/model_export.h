// The trained model inside a trial's checkpoint, written as the file its
// framework loads directly (`hpsweep checkpoint get`).
//
// A checkpoint (checkpoint.h) holds the workload's archive under "workload":
// the model under "workload/model", next to the optimizer and trainer state.
//   - TorchScript programs keep each parameter as "param.<name>" and each
//     buffer as "buffer.<name>". ExportTorchScript loads the original module,
//     copies those tensors in and saves it: torch::jit::load (C++) and
//     torch.jit.load (Python) load the result as the trained module.
//   - Zoo models keep what torch::nn::Module::save writes. ExportModelArchive
//     writes that archive alone: `torch::load(model, path)` loads it into the
//     zoo model built with the trial's hyperparameters (models/README.md).
//
// Thread safety: functions only.
#ifndef HPSWEEP_WORKER_MODEL_EXPORT_H_
#define HPSWEEP_WORKER_MODEL_EXPORT_H_

#include <string>

#include "common/status.h"

namespace hpsweep::worker {

// DATA_LOSS when `checkpoint` is not an hpsweep checkpoint or lacks a tensor
// the module has; NOT_FOUND / INVALID_ARGUMENT naming `module_path` when the
// module cannot be loaded; UNAVAILABLE naming `out_path` when it cannot be
// written.
Status ExportTorchScript(const std::string& checkpoint, const std::string& module_path,
                         const std::string& out_path);

// DATA_LOSS when `checkpoint` is not an hpsweep checkpoint; UNAVAILABLE naming
// `out_path` when it cannot be written.
Status ExportModelArchive(const std::string& checkpoint, const std::string& out_path);

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_MODEL_EXPORT_H_
