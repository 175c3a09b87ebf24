#include "worker/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <mutex>
#include <string>
#include <utility>

namespace hpsweep::worker {
namespace {

torch::Tensor BytesTensor(const std::string& s) {
  return torch::from_blob(const_cast<char*>(s.data()), {static_cast<int64_t>(s.size())}, torch::kUInt8)
      .clone();
}

std::string TensorBytes(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous().to(torch::kUInt8);
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

int64_t ReadInt(torch::serialize::InputArchive& a, const char* key) {
  c10::IValue v;
  a.read(key, v);
  return v.toInt();
}

}  // namespace

std::string GetCpuRngState() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return TensorBytes(gen.get_state());
}

Status SetCpuRngState(const std::string& state) {
  try {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(BytesTensor(state));
  } catch (const c10::Error& e) {
    return DataLossError(std::string("restoring the RNG state: ") + e.what_without_backtrace());
  }
  return Status::Ok();
}

StatusOr<std::string> EncodeCheckpoint(models::Workload& workload,
                                       const CheckpointContents& contents) {
  try {
    torch::serialize::OutputArchive root;
    torch::serialize::OutputArchive model;
    HPS_RETURN_IF_ERROR(workload.Save(model).WithContext("saving the workload"));
    root.write("workload", model);
    torch::serialize::OutputArchive trainer;
    const TrainState& s = contents.state;
    trainer.write("epoch", c10::IValue(s.epoch));
    trainer.write("step_in_epoch", c10::IValue(s.step_in_epoch));
    trainer.write("global_step", c10::IValue(s.global_step));
    trainer.write("samples_consumed", c10::IValue(s.samples_consumed));
    trainer.write("seed", c10::IValue(static_cast<int64_t>(s.seed)));
    trainer.write("world_size", c10::IValue(static_cast<int64_t>(contents.world_size)));
    for (size_t r = 0; r < contents.rng_states.size(); ++r) {
      trainer.write("rng_" + std::to_string(r), BytesTensor(contents.rng_states[r]), /*is_buffer=*/true);
    }
    root.write("hpsweep_trainer", trainer);
    std::string bytes;
    root.save_to([&bytes](const void* data, size_t n) {
      bytes.append(static_cast<const char*>(data), n);
      return n;
    });
    return bytes;
  } catch (const c10::Error& e) {
    return InternalError(std::string("writing a checkpoint: ") + e.what_without_backtrace());
  }
}

StatusOr<CheckpointContents> DecodeCheckpoint(const std::string& bytes, models::Workload& workload) {
  CheckpointContents c;
  try {
    torch::serialize::InputArchive root;
    root.load_from(bytes.data(), bytes.size());
    torch::serialize::InputArchive trainer;
    if (!root.try_read("hpsweep_trainer", trainer)) {
      return DataLossError("not an hpsweep checkpoint (no trainer state)");
    }
    c.state.epoch = ReadInt(trainer, "epoch");
    c.state.step_in_epoch = ReadInt(trainer, "step_in_epoch");
    c.state.global_step = ReadInt(trainer, "global_step");
    c.state.samples_consumed = ReadInt(trainer, "samples_consumed");
    c.state.seed = static_cast<uint64_t>(ReadInt(trainer, "seed"));
    c.world_size = static_cast<int>(ReadInt(trainer, "world_size"));
    for (int r = 0; r < c.world_size; ++r) {
      torch::Tensor t;
      if (!trainer.try_read("rng_" + std::to_string(r), t, /*is_buffer=*/true)) break;
      c.rng_states.push_back(TensorBytes(t));
    }
    torch::serialize::InputArchive model;
    root.read("workload", model);
    HPS_RETURN_IF_ERROR(workload.Load(model).WithContext("loading the workload"));
  } catch (const c10::Error& e) {
    return DataLossError(std::string("reading a checkpoint: ") + e.what_without_backtrace());
  }
  return c;
}

}  // namespace hpsweep::worker
