// End-to-end early stopping: `hpsweep run` of an ASHA sweep with 2 worker
// jobs. Half the grid trains with a learning rate too small to learn, so
// ASHA must stop some trials at their first rung whatever order the two
// workers report in. Checks what the coordinator stored (pruned trials with
// step, rung and reason; nothing reported after the stop), what the workers
// logged, and what `hpsweep run` printed.
#include <signal.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "proto/api_client.h"
#include "tests/coordinator_process.h"

namespace hpsweep {
namespace {

using proto::Json;

Json AshaSweep() {
  return {{"name", "asha-e2e"},
          {"metric", {{"name", "val_loss"}, {"goal", "minimize"}}},
          {"method", "grid"},
          {"parameters",
           {{"lr", {{"values", {0.05, 1e-7}}}}, {"batch_size", {{"values", {32, 48, 64}}}},
            {"optimizer", {{"values", {"adam", "sgd"}}}}}},
          {"program",
           {{"model", "mlp"},
            {"args",
             {{"epochs", 4}, {"in_features", 16}, {"train_size", 512}, {"val_size", 128}}}}},
          {"early_terminate", {{"type", "asha"}, {"min_iter", 1}, {"eta", 3}}}};
}

TEST(StoppingE2eTest, AshaSweepPrunesTrialsThatStopAtOnce) {
  const std::string dir = MakeTempDir("stopping_e2e");
  const std::string sweep = dir + "/sweep.json";
  std::ofstream(sweep) << AshaSweep().dump(2);
  std::vector<std::string> environment = MpiTestEnvironment();
  environment.push_back("HPSWEEP_WORKER=" + Runfile("worker/hpsweep-worker"));
  Subprocess run;
  ASSERT_TRUE(run.Start({Runfile("tools/cli/hpsweep"), "run", sweep, "--workers", "2",
                         "--data-dir", dir + "/data"},
                        dir + "/run.log", environment)
                  .ok());
  ASSERT_EQ(run.Wait(400), 0) << ReadFile(dir + "/run.log");
  const std::string out = ReadFile(dir + "/run.log");

  Subprocess coordinator;
  auto connection = StartCoordinator(coordinator, Runfile("coordinator/hpsweep-coordinator"),
                                     dir + "/data", dir + "/coordinator.log");
  ASSERT_TRUE(connection.ok()) << connection.status();
  auto client = proto::CoordinatorClient::Create(*connection);
  ASSERT_TRUE(client.ok());
  auto trials = (*client)->AllTrials(1);
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 12u);
  int pruned = 0, completed = 0;
  for (const proto::Trial& t : *trials) {
    SCOPED_TRACE("trial " + std::to_string(t.id));
    auto curve = (*client)->TrialMetrics(t.id);
    ASSERT_TRUE(curve.ok()) << curve.status();
    ASSERT_FALSE(curve->empty());
    // Reports count epochs: 1, 2, ...
    for (size_t i = 0; i < curve->size(); ++i) EXPECT_EQ((*curve)[i].step, static_cast<int64_t>(i) + 1);
    if (t.state == proto::TrialState::kPruned) {
      ++pruned;
      ASSERT_TRUE(t.prune.has_value());
      EXPECT_NE(t.prune->reason.find("asha: rung"), std::string::npos) << t.prune->reason;
      // Rungs at epochs 1 and 3 (min_iter 1, eta 3).
      EXPECT_EQ(t.prune->step, t.prune->rung == 0 ? 1 : 3);
      EXPECT_EQ(curve->back().step, t.prune->step) << "nothing reported after the stop";
      EXPECT_FALSE(t.objective.has_value());
    } else {
      EXPECT_EQ(t.state, proto::TrialState::kCompleted) << t.error;
      EXPECT_EQ(curve->size(), 4u);
      ++completed;
    }
  }
  coordinator.Kill(SIGTERM);
  EXPECT_GE(pruned, 1) << out;
  EXPECT_GE(completed, 1) << out;
  EXPECT_NE(out.find(std::to_string(pruned) + " pruned"), std::string::npos) << out;
  EXPECT_NE(out.find("pruned " + std::to_string(pruned) + " trial"), std::string::npos) << out;
  std::string logs;
  for (const char* name : {"worker-0.log", "worker-1.log"}) logs += ReadFile(dir + "/data/logs/" + name);
  EXPECT_NE(logs.find("by the coordinator"), std::string::npos) << logs;
}

}  // namespace
}  // namespace hpsweep
