// End-to-end test of `hpsweep run`: a whole sweep on this machine with 2
// worker jobs, the printed best trial checked against the store, and an
// interrupted run that resumes without redoing completed trials.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "common/subprocess.h"
#include "tests/coordinator_process.h"
#include "gtest/gtest.h"
#include "proto/api_client.h"

namespace hpsweep {
namespace {

using proto::Json;

Json TinySweep(const std::string& name, int trials, int epochs) {
  return {{"name", name},
          {"metric", {{"name", "val_loss"}, {"goal", "minimize"}}},
          {"method", "random"},
          {"seed", 5},
          {"parameters",
           {{"lr", {{"distribution", "log_uniform"}, {"min", 0.003}, {"max", 0.3}}},
            {"hidden", {{"values", {Json::array({32}), Json::array({64, 64})}}}}}},
          {"max_trials", trials},
          {"program",
           {{"model", "mlp"},
            {"args",
             {{"epochs", epochs},
              {"in_features", 16},
              {"train_size", 1024},
              {"val_size", 128},
              {"batch_size", 64}}}}}};
}

class RunE2eTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir(testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  std::string WriteSweep(const Json& sweep) {
    const std::string path = dir_ + "/sweep.json";
    std::ofstream(path) << sweep.dump(2);
    return path;
  }

  Status StartRun(Subprocess& run, const std::string& sweep, const std::string& log) {
    std::vector<std::string> environment = MpiTestEnvironment();
    environment.push_back("HPSWEEP_WORKER=" + Runfile("worker/hpsweep-worker"));
    return run.Start({Runfile("tools/cli/hpsweep"), "run", sweep, "--workers", "2", "--data-dir",
                      dir_ + "/data"},
                     dir_ + "/" + log, environment);
  }

  // Every trial, read by a coordinator started on the data directory.
  std::vector<proto::Trial> StoredTrials() {
    Subprocess coordinator;
    auto connection = StartCoordinator(coordinator, Runfile("coordinator/hpsweep-coordinator"),
                                       dir_ + "/data", dir_ + "/coordinator.log");
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (!connection.ok()) return {};
    auto client = proto::CoordinatorClient::Create(*connection);
    EXPECT_TRUE(client.ok());
    auto trials = (*client)->AllTrials(1);
    EXPECT_TRUE(trials.ok()) << trials.status() << ReadFile(dir_ + "/coordinator.log");
    coordinator.Kill(SIGTERM);
    return trials.ok() ? *trials : std::vector<proto::Trial>();
  }

  std::string dir_;
};

TEST_F(RunE2eTest, RunsASweepAndPrintsTheBestStoredTrial) {
  const std::string sweep = WriteSweep(TinySweep("tiny", 6, 2));
  Subprocess run;
  ASSERT_TRUE(StartRun(run, sweep, "run.log").ok());
  ASSERT_EQ(run.Wait(300), 0) << ReadFile(dir_ + "/run.log");
  const std::string out = ReadFile(dir_ + "/run.log");
  const size_t table = out.find("best trials (val_loss, minimize):");
  ASSERT_NE(table, std::string::npos) << out;
  // The first row after the table header is the printed best trial.
  std::istringstream rows(out.substr(table));
  std::string line;
  std::getline(rows, line);  // title
  std::getline(rows, line);  // column header
  std::getline(rows, line);
  const uint64_t printed_best = std::stoull(line.substr(0, line.find(' ')));

  std::vector<proto::Trial> trials = StoredTrials();
  ASSERT_EQ(trials.size(), 6u);
  const proto::Trial* best = nullptr;
  for (const auto& t : trials) {
    EXPECT_EQ(t.state, proto::TrialState::kCompleted) << t.error;
    ASSERT_TRUE(t.objective.has_value());
    if (best == nullptr || *t.objective < *best->objective) best = &t;
  }
  EXPECT_EQ(printed_best, best->id);
  EXPECT_NE(out.find("sweep 1 is completed: 6 completed"), std::string::npos) << out;
}

TEST_F(RunE2eTest, InterruptedRunResumesWithoutRedoingCompletedTrials) {
  const std::string sweep = WriteSweep(TinySweep("resumable", 20, 80));
  Subprocess first;
  ASSERT_TRUE(StartRun(first, sweep, "first.log").ok());
  // Interrupt (Ctrl-C) once a few trials have completed.
  int64_t completed = 0;
  for (int i = 0; i < 3000 && completed < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto conn = proto::ResolveConnection("", "", dir_ + "/data");
    if (!conn.ok()) continue;
    auto client = proto::CoordinatorClient::Create(*conn);
    if (!client.ok()) continue;
    auto s = (*client)->GetSweep(1);
    if (s.ok()) completed = s->counters.completed;
  }
  ASSERT_GE(completed, 2) << ReadFile(dir_ + "/first.log");
  first.Signal(SIGINT);
  const int code = first.Wait(120);
  ASSERT_NE(code, -1) << "hpsweep run did not stop on Ctrl-C\n" << ReadFile(dir_ + "/first.log");
  std::map<uint64_t, double> done_before;
  for (const auto& t : StoredTrials()) {
    if (t.state == proto::TrialState::kCompleted) done_before[t.id] = *t.objective;
  }
  ASSERT_EQ(code, 130) << "interrupted before the end\n" << ReadFile(dir_ + "/first.log");
  ASSERT_LT(done_before.size(), 20u);

  Subprocess second;
  ASSERT_TRUE(StartRun(second, sweep, "second.log").ok());
  ASSERT_EQ(second.Wait(600), 0) << ReadFile(dir_ + "/second.log");
  EXPECT_NE(ReadFile(dir_ + "/second.log").find("resuming sweep 1"), std::string::npos);
  std::vector<proto::Trial> trials = StoredTrials();
  ASSERT_EQ(trials.size(), 20u) << "no trial created twice";
  for (const auto& t : trials) {
    EXPECT_EQ(t.state, proto::TrialState::kCompleted) << t.error;
    auto before = done_before.find(t.id);
    if (before != done_before.end()) {
      EXPECT_EQ(t.attempt, 0) << "trial " << t.id << " was redone";
      EXPECT_DOUBLE_EQ(*t.objective, before->second) << "trial " << t.id << " was redone";
    }
  }
}

}  // namespace
}  // namespace hpsweep
