// Mixed precision for training: bf16 autocast around the forward pass, the
// way torch.autocast(device_type, dtype=torch.bfloat16) is used in Python.
// Parameters, gradients and optimizer state stay fp32; matmuls and
// convolutions run in bf16. No loss scaling is needed for bf16 (its exponent
// range is fp32's).
//
// Works on LibTorch 1.13 (Debian's) and 2.x (the GPU machine's); the only
// version-dependent code is in autocast.cc.
//
// Thread safety: autocast state is per thread; a guard affects only the
// thread that made it, and must be destroyed on that thread.
#ifndef HPSWEEP_WORKER_AUTOCAST_H_
#define HPSWEEP_WORKER_AUTOCAST_H_

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

#include <string>

#include "common/status.h"

namespace hpsweep::worker {

// Training precision of a trial (a sweep's program.precision).
enum class Precision {
  kFp32,  // "fp32": everything in fp32
  kBf16,  // "bf16": bf16 autocast around the forward pass
};

// "fp32" / "bf16" -> Precision; INVALID_ARGUMENT naming the allowed values.
StatusOr<Precision> ParsePrecision(const std::string& name);

// While alive, autocast to `dtype` is on for `device` (CPU or CUDA) on this
// thread; the previous setting comes back on destruction, and the cast cache
// is cleared when the outermost guard ends. A guard with enabled=false does
// nothing.
class AutocastGuard {
 public:
  AutocastGuard(bool enabled, c10::DeviceType device, c10::ScalarType dtype = c10::kBFloat16);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_;
  c10::DeviceType device_;
  bool previous_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::kFloat;
};

}  // namespace hpsweep::worker

#endif  // HPSWEEP_WORKER_AUTOCAST_H_
