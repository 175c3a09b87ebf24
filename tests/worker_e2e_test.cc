// End-to-end worker tests: a real coordinator and real `mpirun` worker jobs.
// A worker killed mid-trial: the trial is re-leased and resumes from its
// checkpoint, not from step 0.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "proto/api_client.h"
#include "common/subprocess.h"
#include "tests/coordinator_process.h"

namespace hpsweep {
namespace {

using proto::Json;
using ::hpsweep::MakeTempDir;
using ::hpsweep::ReadFile;
using ::hpsweep::Runfile;
using ::hpsweep::Subprocess;


class WorkerE2eTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir(testing::UnitTest::GetInstance()->current_test_info()->name());
    auto connection = StartCoordinator(coordinator_, Runfile("coordinator/hpsweep-coordinator"),
                                       dir_, dir_ + "/coordinator.log");
    ASSERT_TRUE(connection.ok()) << connection.status();
    client_ = std::move(proto::CoordinatorClient::Create(*connection).value());
  }

  Status StartWorker(Subprocess& worker, int ranks, const std::string& log) {
    return worker.Start({"mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                         "-np", std::to_string(ranks), "-x", "OPENBLAS_NUM_THREADS",
                         Runfile("worker/hpsweep-worker"), "--data-dir", dir_, "--idle-wait", "20",
                         "--lease-seconds", "4"},
                        dir_ + "/" + log, MpiTestEnvironment());
  }

  std::string dir_;
  Subprocess coordinator_;
  std::unique_ptr<proto::CoordinatorClient> client_;
};

// `ranks`: resources.ranks_per_trial, the only gang size that leases its trials.
Json MlpSweep(int max_trials, int epochs, int ranks = 1) {
  return {{"name", "worker-e2e"},
          {"resources", {{"ranks_per_trial", ranks}}},
          {"metric", {{"name", "val_loss"}, {"goal", "minimize"}}},
          {"method", "random"},
          {"seed", 3},
          {"parameters", {{"lr", {{"distribution", "log_uniform"}, {"min", 0.01}, {"max", 0.05}}}}},
          {"max_trials", max_trials},
          {"max_restarts", 2},
          {"program",
           {{"model", "mlp"},
            {"args",
             {{"epochs", epochs},
              {"in_features", 32},
              {"hidden", {128, 128}},
              {"train_size", 2048},
              {"val_size", 256},
              {"batch_size", 64}}}}}};
}

TEST_F(WorkerE2eTest, TwoRankGangRunsASweepToCompletion) {
  auto sweep = client_->CreateSweep(MlpSweep(3, 2, /*ranks=*/2));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  Subprocess worker;
  ASSERT_TRUE(StartWorker(worker, 2, "worker.log").ok());
  ASSERT_EQ(worker.Wait(240), 0) << ReadFile(dir_ + "/worker.log");
  auto trials = client_->AllTrials(sweep->id);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 3u);
  for (const auto& t : *trials) {
    EXPECT_EQ(t.state, proto::TrialState::kCompleted) << t.error;
    ASSERT_TRUE(t.objective.has_value());
    EXPECT_LT(*t.objective, std::log(10.0)) << "beats chance on the synthetic task";
    auto curve = client_->TrialMetrics(t.id);
    ASSERT_TRUE(curve.ok());
    EXPECT_EQ(curve->size(), 2u) << "one report per epoch";
    EXPECT_EQ(t.checkpoint_step, 64) << "the last step (end of epoch 2 of 2, 32 steps each) is kept";
  }
  EXPECT_EQ(client_->GetSweep(sweep->id)->state, proto::SweepState::kCompleted);
}

TEST_F(WorkerE2eTest, KilledWorkersTrialResumesFromItsCheckpoint) {
  auto sweep = client_->CreateSweep(MlpSweep(1, 400));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  Subprocess first;
  ASSERT_TRUE(StartWorker(first, 1, "first.log").ok());
  // Wait for a few epochs' checkpoints, then kill the whole worker job.
  uint64_t trial_id = 0;
  int64_t checkpoint_at_kill = -1;
  for (int i = 0; i < 6000; ++i) {
    auto page = client_->ListTrials(sweep->id, "", 10);
    if (page.ok() && !page->trials.empty()) {
      trial_id = page->trials[0].id;
      checkpoint_at_kill = page->trials[0].checkpoint_step;
      if (checkpoint_at_kill >= 5 * 32) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(checkpoint_at_kill, 5 * 32) << ReadFile(dir_ + "/first.log");
  first.Kill(SIGKILL);
  const int64_t killed_at = RealClock().NowMicros();
  const proto::Trial at_kill = *client_->GetTrial(trial_id);
  ASSERT_NE(at_kill.state, proto::TrialState::kCompleted) << "the trial ended before the kill";

  Subprocess second;
  ASSERT_TRUE(StartWorker(second, 1, "second.log").ok());
  ASSERT_EQ(second.Wait(300), 0) << ReadFile(dir_ + "/second.log");
  const proto::Trial done = *client_->GetTrial(trial_id);
  EXPECT_EQ(done.state, proto::TrialState::kCompleted) << done.error;
  EXPECT_EQ(done.attempt, 1) << "re-leased once after the lease expired";
  // Every report of the second attempt comes after the checkpoint it resumed
  // from: a restart from step 0 would report epoch 1 again. Reports count
  // epochs; checkpoints count global steps (32 per epoch).
  auto curve = client_->TrialMetrics(trial_id);
  ASSERT_TRUE(curve.ok());
  int64_t first_step_after_kill = -1;
  for (const auto& p : *curve) {
    if (p.time_us > killed_at && (first_step_after_kill < 0 || p.step < first_step_after_kill)) {
      first_step_after_kill = p.step;
    }
  }
  ASSERT_GT(first_step_after_kill, 0);
  EXPECT_GT(first_step_after_kill, checkpoint_at_kill / 32);
  EXPECT_NE(ReadFile(dir_ + "/second.log").find("resuming from its checkpoint"), std::string::npos);
}

}  // namespace
}  // namespace hpsweep
