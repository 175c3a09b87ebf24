#include "tests/coordinator_process.h"

#include <filesystem>

namespace hpsweep {

StatusOr<proto::Connection> StartCoordinator(Subprocess& process, const std::string& binary,
                                             const std::string& dir, const std::string& log_path,
                                             double timeout_seconds, int port) {
  const std::string endpoint = dir + "/endpoint";
  std::error_code ec;
  std::filesystem::remove(endpoint, ec);  // a previous run's file would look like readiness
  HPS_RETURN_IF_ERROR(process.Start({binary, "--data-dir", dir, "--port", std::to_string(port)}, log_path));
  const int polls = static_cast<int>(timeout_seconds / 0.01);
  for (int i = 0; i < polls && ReadFile(endpoint).empty(); ++i) {
    if (process.Wait(0.01) != -1) {
      return UnavailableError("the coordinator exited before serving:\n" + ReadFile(log_path));
    }
  }
  if (ReadFile(endpoint).empty()) {
    return UnavailableError("the coordinator did not come up in time:\n" + ReadFile(log_path));
  }
  return proto::ResolveConnection("", "", dir);
}

const std::vector<std::string>& MpiTestEnvironment() {
  static const std::vector<std::string> kEnvironment = {
      "OMPI_ALLOW_RUN_AS_ROOT=1",
      "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
      "OMPI_MCA_btl=self,vader,tcp",
      "OMPI_MCA_btl_vader_single_copy_mechanism=none",
      "OPENBLAS_NUM_THREADS=1",
  };
  return kEnvironment;
}

}  // namespace hpsweep
