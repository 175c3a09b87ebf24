#include "worker/device.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace hpsweep::worker {
namespace {

std::function<const char*(const char*)> Env(std::map<std::string, std::string> vars) {
  auto owned = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [owned](const char* name) -> const char* {
    auto it = owned->find(name);
    return it == owned->end() ? nullptr : it->second.c_str();
  };
}

TEST(LocalRankTest, ReadsLaunchersInOrder) {
  auto none = LocalRankFromEnvironment(Env({}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto slurm = LocalRankFromEnvironment(Env({{"SLURM_LOCALID", "3"}}));
  ASSERT_TRUE(slurm.ok());
  EXPECT_EQ(slurm->value(), 3);
  // Open MPI's own variable wins over Slurm's (srun --mpi=pmix sets both).
  auto both = LocalRankFromEnvironment(
      Env({{"SLURM_LOCALID", "3"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}}));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->value(), 1);
  auto mpich = LocalRankFromEnvironment(Env({{"MPI_LOCALRANKID", "2"}}));
  ASSERT_TRUE(mpich.ok());
  EXPECT_EQ(mpich->value(), 2);
}

TEST(LocalRankTest, GarbageNamesTheVariable) {
  for (const char* bad : {"", "x", "-1", "2a", "99999999999"}) {
    auto r = LocalRankFromEnvironment(Env({{"OMPI_COMM_WORLD_LOCAL_RANK", bad}}));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("OMPI_COMM_WORLD_LOCAL_RANK"), std::string::npos);
  }
}

TEST(PickCudaDeviceTest, LocalRankModuloVisibleDevices) {
  struct Case {
    int local_rank, ranks_on_host, visible, want;
  };
  for (const Case& c : {Case{0, 4, 4, 0}, Case{3, 4, 4, 3}, Case{1, 2, 8, 1},
                        // One device per rank given by the launcher
                        // (CUDA_VISIBLE_DEVICES per rank): always index 0.
                        Case{5, 0, 1, 0}, Case{6, 0, 4, 2}}) {
    auto d = PickCudaDevice(c.local_rank, c.ranks_on_host, c.visible);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(*d, c.want) << c.local_rank << " of " << c.visible;
  }
}

TEST(PickCudaDeviceTest, RefusesNoDeviceAndSharedDevices) {
  EXPECT_EQ(PickCudaDevice(0, 1, 0).status().code(), StatusCode::kFailedPrecondition);
  auto shared = PickCudaDevice(2, 3, 2);
  EXPECT_EQ(shared.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(shared.status().message().find("3 ranks on this host but 2"), std::string::npos)
      << shared.status();
  auto allowed = PickCudaDevice(2, 3, 2, /*allow_sharing=*/true);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(*allowed, 0);
  EXPECT_EQ(PickCudaDevice(-1, 0, 2).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hpsweep::worker
