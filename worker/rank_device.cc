#include "worker/rank_device.h"

#include <torch/cuda.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/logging.h"
#include "worker/device.h"

namespace hpsweep::worker {
namespace {

// Every rank of `comm`'s string, indexed by rank.
std::vector<std::string> AllgatherStrings(MPI_Comm comm, const std::string& mine) {
  int size = 0;
  MPI_Comm_size(comm, &size);
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(static_cast<size_t>(size)), offsets(static_cast<size_t>(size));
  MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, comm);
  int total = 0;
  for (int r = 0; r < size; ++r) {
    offsets[static_cast<size_t>(r)] = total;
    total += lens[static_cast<size_t>(r)];
  }
  std::string all(static_cast<size_t>(total), '\0');
  MPI_Allgatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(), MPI_CHAR, comm);
  std::vector<std::string> out;
  for (int r = 0; r < size; ++r) {
    out.push_back(all.substr(static_cast<size_t>(offsets[static_cast<size_t>(r)]),
                             static_cast<size_t>(lens[static_cast<size_t>(r)])));
  }
  return out;
}

// Local rank and count among the ranks on this host that see the same
// CUDA_VISIBLE_DEVICES.
void LocalPosition(MPI_Comm world, int* local_rank, int* local_ranks) {
  MPI_Comm host = MPI_COMM_NULL;
  MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host);
  int host_rank = 0;
  MPI_Comm_rank(host, &host_rank);
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  const std::string mine = visible == nullptr ? std::string("\x01unset") : std::string(visible);
  const std::vector<std::string> all = AllgatherStrings(host, mine);
  *local_rank = 0;
  *local_ranks = 0;
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r] != mine) continue;
    if (static_cast<int>(r) < host_rank) ++*local_rank;
    ++*local_ranks;
  }
  MPI_Comm_free(&host);
}

}  // namespace

StatusOr<RankDevice> ChooseRankDevice(MPI_Comm world, const std::string& requested) {
  RankDevice out;
  Status local;
  if (!requested.empty() && requested != "cpu" && requested != "cuda") {
    local = InvalidArgumentError("--device must be cpu or cuda, found \"" + requested + "\"");
  }
  const int visible = static_cast<int>(torch::cuda::device_count());
  const bool cuda = local.ok() && (requested == "cuda" || (requested.empty() && visible > 0));
  // Collective on every rank, whatever it decided, so that no rank waits.
  LocalPosition(world, &out.local_rank, &out.local_ranks);
  if (local.ok() && cuda) {
    StatusOr<std::optional<int>> env = LocalRankFromEnvironment();
    if (env.ok() && env->has_value() && out.local_ranks > 1 && **env != out.local_rank) {
      HPS_LOG(WARNING) << "the launcher says local rank " << **env << ", the host split says "
                       << out.local_rank << "; using the split";
    }
    StatusOr<int> index = PickCudaDevice(out.local_rank, out.local_ranks, visible);
    if (index.ok()) {
      out.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(*index));
    } else {
      local = index.status();
    }
  }
  out.describe = out.device.str() + " (local rank " + std::to_string(out.local_rank) + " of " +
                 std::to_string(out.local_ranks) + ", " + DescribeVisibleDevices() + ")";
  // Agree: the lowest failing rank's error for everyone.
  int failed = local.ok() ? 0 : 1, any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, world);
  if (!local.ok()) return local;
  if (any != 0) return FailedPreconditionError("another rank could not choose its device");
  return out;
}

}  // namespace hpsweep::worker
