#include "worker/client_id.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace hpsweep::worker {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(ClientIdTest, OutsideSlurmIsHostPidGang) {
  EXPECT_EQ(DefaultClientId("node1", 42, 0, Env({})), "node1-42-gang0");
  EXPECT_EQ(SlurmJobOfClientId("node1-42-gang0"), "");
}

TEST(ClientIdTest, SlurmJobAndStepAreNamedAndReadBack) {
  const std::string id =
      DefaultClientId("node1", 42, 1, Env({{"SLURM_JOB_ID", "1234"}, {"SLURM_STEP_ID", "0"}}));
  EXPECT_EQ(id, "slurm-1234.0-node1-42-gang1");
  EXPECT_EQ(SlurmJobOfClientId(id), "1234");
}

TEST(ClientIdTest, ArrayTasksNameTheArrayJobAndTask) {
  const std::string id = DefaultClientId(
      "n", 7, 0,
      Env({{"SLURM_JOB_ID", "1240"}, {"SLURM_ARRAY_JOB_ID", "1234"}, {"SLURM_ARRAY_TASK_ID", "3"}}));
  EXPECT_EQ(id, "slurm-1234_3-n-7-gang0");
  EXPECT_EQ(SlurmJobOfClientId(id), "1234_3");
}

TEST(ClientIdTest, OddCharactersAreDropped) {
  const std::string id =
      DefaultClientId("a b", 1, 0, Env({{"SLURM_JOB_ID", "12 ;x-y"}, {"SLURM_STEP_ID", "0"}}));
  EXPECT_EQ(id, "slurm-12x_y.0-ab-1-gang0");
  EXPECT_EQ(SlurmJobOfClientId(id), "12x_y");
  EXPECT_EQ(SlurmJobOfClientId("slurm-"), "");
}

}  // namespace
}  // namespace hpsweep::worker
