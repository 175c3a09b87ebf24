#include "worker/model_export.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>

namespace hpsweep::worker {
namespace {

// The "workload/model" archive of a checkpoint.
Status ReadModelArchive(const std::string& checkpoint, torch::serialize::InputArchive* model) {
  try {
    torch::serialize::InputArchive root;
    root.load_from(checkpoint.data(), checkpoint.size());
    torch::serialize::InputArchive trainer, workload;
    if (!root.try_read("hpsweep_trainer", trainer) || !root.try_read("workload", workload)) {
      return DataLossError("not an hpsweep checkpoint (no trainer or workload state)");
    }
    if (!workload.try_read("model", *model)) {
      return DataLossError("the checkpoint holds no model archive");
    }
  } catch (const c10::Error& e) {
    return DataLossError(std::string("reading a checkpoint: ") + e.what_without_backtrace());
  }
  return Status();
}

// Copies every tensor and nested archive of `in` into `out` (an InputArchive
// cannot be written back as it is). Throws c10::Error.
void CopyArchive(torch::serialize::InputArchive& in, torch::serialize::OutputArchive& out) {
  for (const std::string& key : in.keys()) {
    torch::Tensor t;
    torch::serialize::InputArchive child;
    if (in.try_read(key, t)) {
      out.write(key, t);
    } else if (in.try_read(key, t, /*is_buffer=*/true)) {
      out.write(key, t, /*is_buffer=*/true);
    } else if (in.try_read(key, child)) {
      torch::serialize::OutputArchive child_out;
      CopyArchive(child, child_out);
      out.write(key, child_out);
    }
  }
}

}  // namespace

Status ExportTorchScript(const std::string& checkpoint, const std::string& module_path,
                         const std::string& out_path) {
  torch::serialize::InputArchive model;
  HPS_RETURN_IF_ERROR(ReadModelArchive(checkpoint, &model));
  std::error_code ec;
  if (!std::filesystem::exists(module_path, ec)) {
    return NotFoundError("TorchScript module " + module_path +
                         " does not exist (the trial's program.args.module; pass --base-dir "
                         "for a path relative to the sweep file)");
  }
  torch::jit::Module module;
  try {
    module = torch::jit::load(module_path, torch::kCPU);
  } catch (const c10::Error& e) {
    return InvalidArgumentError("cannot load TorchScript module " + module_path + ": " +
                                e.what_without_backtrace());
  }
  try {
    torch::NoGradGuard no_grad;
    for (const auto& p : module.named_parameters()) {
      torch::Tensor t;
      if (!model.try_read("param." + p.name, t)) {
        return DataLossError("the checkpoint has no parameter '" + p.name + "' of " +
                             module_path + " (was it trained from another module?)");
      }
      p.value.copy_(t);
    }
    for (const auto& b : module.named_buffers()) {
      torch::Tensor t;
      if (!model.try_read("buffer." + b.name, t, /*is_buffer=*/true)) {
        return DataLossError("the checkpoint has no buffer '" + b.name + "' of " + module_path);
      }
      b.value.copy_(t);
    }
  } catch (const c10::Error& e) {
    return DataLossError(std::string("copying the trained tensors: ") + e.what_without_backtrace());
  }
  module.eval();
  try {
    module.save(out_path);
  } catch (const c10::Error& e) {
    return UnavailableError("cannot write " + out_path + ": " + e.what_without_backtrace());
  }
  return Status();
}

Status ExportModelArchive(const std::string& checkpoint, const std::string& out_path) {
  torch::serialize::InputArchive model;
  HPS_RETURN_IF_ERROR(ReadModelArchive(checkpoint, &model));
  try {
    torch::serialize::OutputArchive out;
    CopyArchive(model, out);
    out.save_to(out_path);
  } catch (const c10::Error& e) {
    return UnavailableError("cannot write " + out_path + ": " + e.what_without_backtrace());
  }
  return Status();
}

}  // namespace hpsweep::worker
