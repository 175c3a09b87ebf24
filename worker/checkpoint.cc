#include "worker/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

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

// GetRngState's form when CUDA generators are included: the magic, then
// per generator (CPU first, then CUDA device 0, 1, ...) an 8-byte
// little-endian length and the state bytes. A CPU generator's state starts
// with its 64-bit seed; that it also matches the 15 magic bytes is a 2^-64
// chance at most, and only for a seed spelling "hpsweep-".
constexpr char kRngMagic[] = "hpsweep-rng-v2";
constexpr size_t kRngMagicSize = sizeof(kRngMagic);  // with the NUL

int VisibleCudaDevices() { return static_cast<int>(torch::cuda::device_count()); }

at::Generator CudaGenerator(int device) {
  return at::globalContext().defaultGenerator(c10::Device(c10::DeviceType::CUDA,
                                                          static_cast<c10::DeviceIndex>(device)));
}

void AppendPart(std::string* out, const std::string& part) {
  uint64_t n = part.size();
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out->append(part);
}

}  // namespace

std::string GetRngState() {
  const int devices = VisibleCudaDevices();
  if (devices == 0) return GetCpuRngState();
  std::string out(kRngMagic, kRngMagicSize);
  AppendPart(&out, GetCpuRngState());
  for (int d = 0; d < devices; ++d) {
    at::Generator gen = CudaGenerator(d);
    std::lock_guard<std::mutex> lock(gen.mutex());
    AppendPart(&out, TensorBytes(gen.get_state()));
  }
  return out;
}

Status SetRngState(const std::string& state) {
  if (state.size() < kRngMagicSize || std::memcmp(state.data(), kRngMagic, kRngMagicSize) != 0) {
    return SetCpuRngState(state);
  }
  std::vector<std::string> parts;
  size_t pos = kRngMagicSize;
  while (pos < state.size()) {
    if (state.size() - pos < 8) return DataLossError("RNG state: truncated length");
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(state[pos + i])) << (8 * i);
    pos += 8;
    if (n > state.size() - pos) return DataLossError("RNG state: truncated generator state");
    parts.push_back(state.substr(pos, n));
    pos += n;
  }
  if (parts.empty()) return DataLossError("RNG state: no CPU generator state");
  HPS_RETURN_IF_ERROR(SetCpuRngState(parts[0]));
  const int devices = VisibleCudaDevices();
  for (size_t i = 1; i < parts.size() && static_cast<int>(i) - 1 < devices; ++i) {
    try {
      at::Generator gen = CudaGenerator(static_cast<int>(i) - 1);
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(BytesTensor(parts[i]));
    } catch (const c10::Error& e) {
      return DataLossError("restoring CUDA device " + std::to_string(i - 1) + "'s RNG state: " +
                           e.what_without_backtrace());
    }
  }
  return Status::Ok();
}

void SeedRngs(uint64_t seed) {
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  }
  const int devices = VisibleCudaDevices();
  for (int d = 0; d < devices; ++d) {
    at::Generator gen = CudaGenerator(d);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  }
}

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
