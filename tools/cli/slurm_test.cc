#include "tools/cli/slurm.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hpsweep::cli {
namespace {

SlurmJobSpec Job() {
  SlurmJobSpec job;
  job.sweep_id = 7;
  job.sweep_name = "demo";
  job.ranks_per_trial = 2;
  job.worker_binary = "/opt/hpsweep/hpsweep-worker";
  job.coordinator_url = "http://10.0.0.5:8470";
  job.base_dir = "/home/me/sweeps";
  return job;
}

SlurmOptions Options() {
  SlurmOptions o;
  o.enabled = true;
  o.dir = "/home/me/hpsweep-slurm";
  return o;
}

TEST(SlurmTest, ScriptStartsWorkersWithPmixAndTheJobShape) {
  SlurmOptions o = Options();
  o.nodes = 2;
  o.ntasks_per_node = 4;
  o.gang_size = 4;
  o.time = "1:00:00";
  o.partition = "gpu";
  o.account = "proj";
  o.lease_seconds = 30;
  auto script = SlurmScript(o, Job());
  ASSERT_TRUE(script.ok()) << script.status();
  for (const char* line :
       {"#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=4\n", "#SBATCH --time=1:00:00\n",
        "#SBATCH --partition=gpu\n", "#SBATCH --account=proj\n", "#SBATCH --signal=TERM@120\n",
        "#SBATCH --output=/home/me/hpsweep-slurm/sweep7-%j.out\n",
        "srun --mpi=pmix --kill-on-bad-exit=1 '/opt/hpsweep/hpsweep-worker'",
        "--coordinator 'http://10.0.0.5:8470' --sweep 7 --gang-size 4",
        "--base-dir '/home/me/sweeps' --lease-seconds 30\n"}) {
    EXPECT_NE(script->find(line), std::string::npos) << line << "\n" << *script;
  }
  EXPECT_EQ(script->find("--array"), std::string::npos);
  EXPECT_EQ(script->find("--token-file"), std::string::npos);
}

TEST(SlurmTest, DefaultsComeFromTheSweepAndJobsMakeAnArray) {
  SlurmOptions o = Options();
  o.jobs = 3;
  SlurmJobSpec job = Job();
  job.token_file = "/shared/it's/token";
  auto script = SlurmScript(o, job);
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_NE(script->find("#SBATCH --ntasks-per-node=2\n"), std::string::npos);
  EXPECT_NE(script->find("--gang-size 2"), std::string::npos);
  EXPECT_NE(script->find("#SBATCH --array=0-2\n"), std::string::npos);
  EXPECT_NE(script->find("sweep7-%A_%a.out"), std::string::npos);
  EXPECT_NE(script->find("--token-file '/shared/it'\\''s/token'"), std::string::npos);
}

TEST(SlurmTest, BadOptionsNameTheFlag) {
  SlurmOptions o = Options();
  o.ntasks_per_node = 3;
  o.gang_size = 2;
  EXPECT_EQ(SlurmScript(o, Job()).status().field(), "--gang-size");
  o = Options();
  o.gang_size = 1;  // smaller than ranks_per_trial
  EXPECT_EQ(SlurmScript(o, Job()).status().field(), "--gang-size");
  o = Options();
  o.time = "1h";
  EXPECT_EQ(SlurmScript(o, Job()).status().field(), "--time");
  o = Options();
  o.partition = "a b";
  EXPECT_EQ(SlurmScript(o, Job()).status().field(), "--partition");
  for (const char* ok : {"30", "30:00", "1:00:00", "2-12", "2-12:30:00", "infinite"}) {
    o = Options();
    o.time = ok;
    EXPECT_TRUE(SlurmScript(o, Job()).ok()) << ok;
  }
}

TEST(SlurmTest, ValueLessAndRepeatedFlagsAreTakenOut) {
  std::vector<std::string> args = {"submit", "s.json", "--slurm", "--sbatch-arg", "--gres=gpu:2",
                                   "--sbatch-arg=--qos=low", "--nodes", "2"};
  SlurmOptions o;
  ASSERT_TRUE(TakeSlurmFlags(&args, &o).ok());
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.sbatch_args, (std::vector<std::string>{"--gres=gpu:2", "--qos=low"}));
  EXPECT_EQ(args, (std::vector<std::string>{"submit", "s.json", "--nodes", "2"}));
  std::vector<std::string> bad = {"submit", "--sbatch-arg"};
  EXPECT_FALSE(TakeSlurmFlags(&bad, &o).ok());
}

TEST(SlurmTest, LiveWorkersAreGroupedByJob) {
  std::vector<proto::Trial> live(3);
  live[0].id = 4;
  live[0].lease_owner = "slurm-12.0-n1-100-gang0";
  live[1].id = 5;
  live[1].lease_owner = "slurm-12.0-n1-100-gang1";
  live[2].id = 6;
  live[2].lease_owner = "laptop-9-gang0";
  const std::string text = LiveWorkersText(live);
  EXPECT_NE(text.find("slurm job 12: 2 gang(s), trials 4 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("worker laptop-9-gang0: trial 6\n"), std::string::npos) << text;
  EXPECT_EQ(LiveWorkersText({}), "");
}

}  // namespace
}  // namespace hpsweep::cli
