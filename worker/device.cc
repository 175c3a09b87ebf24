#include "worker/device.h"

#include <cstdlib>
#include <string>

namespace hpsweep::worker {

StatusOr<std::optional<int>> LocalRankFromEnvironment(
    const std::function<const char*(const char*)>& getenv) {
  static constexpr const char* kNames[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                                           "SLURM_LOCALID"};
  for (const char* name : kNames) {
    const char* value = getenv ? getenv(name) : std::getenv(name);
    if (value == nullptr) continue;
    const std::string s = value;
    char* end = nullptr;
    const long v = s.empty() ? -1 : std::strtol(s.c_str(), &end, 10);
    if (s.empty() || end == nullptr || *end != '\0' || v < 0 || v > (1 << 20)) {
      return InvalidArgumentError(std::string(name) + " must be a non-negative integer, found \"" +
                                  s + "\"");
    }
    return std::optional<int>(static_cast<int>(v));
  }
  return std::optional<int>();
}

StatusOr<int> PickCudaDevice(int local_rank, int local_ranks_on_host, int visible_devices,
                             bool allow_sharing) {
  if (visible_devices <= 0) {
    return FailedPreconditionError("no CUDA device is visible (" + DescribeVisibleDevices() + ")");
  }
  if (local_rank < 0) {
    return InvalidArgumentError("local rank must be >= 0, found " + std::to_string(local_rank));
  }
  if (!allow_sharing && local_ranks_on_host > visible_devices) {
    return FailedPreconditionError(
        std::to_string(local_ranks_on_host) + " ranks on this host but " +
        std::to_string(visible_devices) + " visible CUDA device(s) (" + DescribeVisibleDevices() +
        "); NCCL needs a device per rank: start at most " + std::to_string(visible_devices) +
        " ranks per host, or give each rank its own device");
  }
  return local_rank % visible_devices;
}

std::string DescribeVisibleDevices() {
  const char* v = std::getenv("CUDA_VISIBLE_DEVICES");
  return v == nullptr ? std::string("CUDA_VISIBLE_DEVICES unset")
                      : std::string("CUDA_VISIBLE_DEVICES=") + v;
}

}  // namespace hpsweep::worker
