// End-to-end population-based training: a real coordinator and 2 worker
// gangs (mpirun jobs) run a `method: pbt` sweep of the zoo's mlp. One of the
// two initial trials learns nothing (its learning rate is ~1e-6: the seed
// fixes the random initial population), so PBT exploits it: it ends pruned
// and a child starts from the other trial's checkpoint with a perturbed
// learning rate. The coordinator is killed with SIGKILL while the child
// trains and restarted on its port; the sweep then runs to completion.
//
// Checks: the child's lineage (parent, the parent's checkpoint and the
// reported step it covers) is stored and survives the kill; the worker log
// says it started from the parent's checkpoint; the child's reports continue
// the parent's step count, and its first value continues the parent's curve
// rather than starting over.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <thread>

#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "proto/api_client.h"
#include "tests/coordinator_process.h"

namespace hpsweep {
namespace {

using proto::Json;

Json PbtSweep() {
  return {{"name", "pbt-e2e"},
          {"metric", {{"name", "val_loss"}, {"goal", "minimize"}}},
          {"method", "pbt"},
          // Seed 15 samples learning rates 1.9e-6 (trial 1) and 0.075
          // (trial 2) for the initial population (random searcher).
          {"seed", 15},
          {"parameters", {{"lr", {{"distribution", "log_uniform"}, {"min", 1e-6}, {"max", 0.1}}}}},
          {"max_trials", 3},
          {"method_options",
           {{"population_size", 2},
            {"perturbation_interval", 2},
            {"resample_probability", 0},
            {"hyperparam_mutations", {"lr"}}}},
          {"program",
           {{"model", "mlp"},
            {"args",
             {{"epochs", 8},
              {"in_features", 16},
              {"hidden", {128, 128}},
              // Epochs long enough (about a second each) that both
              // members of the population are live at the perturbation
              // points whatever order the two workers start in: PBT judges a
              // trial against the live population only.
              {"train_size", 32768},
              {"val_size", 256},
              {"batch_size", 32}}}}}};
}

class Coordinator {
 public:
  explicit Coordinator(std::string dir) : dir_(std::move(dir)) {}
  // port 0: a free one.
  void Start(int port) {
    auto connection = StartCoordinator(process_, Runfile("coordinator/hpsweep-coordinator"), dir_,
                                       dir_ + "/coordinator.log", 30, port);
    ASSERT_TRUE(connection.ok()) << connection.status();
    connection_ = *connection;
    client_ = std::move(proto::CoordinatorClient::Create(connection_).value());
  }
  int Port() const { return std::stoi(connection_.url.substr(connection_.url.rfind(':') + 1)); }
  proto::CoordinatorClient& client() { return *client_; }
  Subprocess& process() { return process_; }

 private:
  std::string dir_;
  Subprocess process_;
  proto::Connection connection_;
  std::unique_ptr<proto::CoordinatorClient> client_;
};

// The value of `curve` at `step`, or NaN.
double At(const std::vector<proto::MetricPoint>& curve, int64_t step) {
  for (const auto& p : curve) {
    if (p.step == step) return p.values.at("val_loss");
  }
  return std::nan("");
}

TEST(PbtE2eTest, AChildStartsFromItsParentsCheckpointAndSurvivesACoordinatorKill) {
  const std::string dir = MakeTempDir("pbt_e2e");
  Coordinator coordinator(dir);
  ASSERT_NO_FATAL_FAILURE(coordinator.Start(0));
  const int port = coordinator.Port();
  auto sweep = coordinator.client().CreateSweep(PbtSweep());
  ASSERT_TRUE(sweep.ok()) << sweep.status();

  Subprocess workers[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(workers[i]
                    .Start({"mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                            "-np", "1", "-x", "OPENBLAS_NUM_THREADS",
                            Runfile("worker/hpsweep-worker"), "--data-dir", dir, "--sweep",
                            std::to_string(sweep->id), "--idle-wait", "30", "--lease-seconds", "30"},
                           dir + "/worker-" + std::to_string(i) + ".log", MpiTestEnvironment())
                    .ok());
  }
  // Wait until the child has reported, then kill the coordinator.
  proto::Trial child;
  for (int i = 0; i < 3000 && child.last_step < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto trials = coordinator.client().AllTrials(sweep->id);
    if (!trials.ok()) continue;
    for (const auto& t : *trials) {
      if (t.parent) child = t;
    }
  }
  ASSERT_GE(child.last_step, 0) << "no child reported:\n"
                                << ReadFile(dir + "/worker-0.log") << ReadFile(dir + "/worker-1.log");
  ASSERT_TRUE(child.parent);
  const proto::TrialParent lineage = *child.parent;
  EXPECT_EQ(coordinator.process().Kill(SIGKILL), 128 + SIGKILL);
  ASSERT_NO_FATAL_FAILURE(coordinator.Start(port));

  for (Subprocess& w : workers) ASSERT_EQ(w.Wait(240), 0) << ReadFile(dir + "/worker-0.log");
  proto::CoordinatorClient& client = coordinator.client();
  EXPECT_EQ(client.GetSweep(sweep->id)->state, proto::SweepState::kCompleted);
  auto trials = client.AllTrials(sweep->id);
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 3u);
  std::map<uint64_t, proto::Trial> by_id;
  for (const auto& t : *trials) by_id[t.id] = t;

  // The lineage, as stored before the kill and read back after it.
  const proto::Trial& after = by_id.at(child.id);
  ASSERT_TRUE(after.parent);
  EXPECT_EQ(after.parent->trial_id, lineage.trial_id);
  EXPECT_EQ(after.parent->checkpoint_step, lineage.checkpoint_step);
  EXPECT_EQ(after.parent->start_step, lineage.start_step);
  EXPECT_EQ(after.state, proto::TrialState::kCompleted) << after.error;
  const proto::Trial& parent = by_id.at(lineage.trial_id);
  const proto::Trial& replaced = by_id.at(lineage.replaced_trial_id);
  EXPECT_LT(replaced.params["lr"].get<double>(), 1e-4) << "the trial that learned nothing";
  EXPECT_GT(parent.params["lr"].get<double>(), 1e-2);
  EXPECT_EQ(replaced.state, proto::TrialState::kPruned);
  ASSERT_TRUE(replaced.prune);
  EXPECT_NE(replaced.prune->reason.find("pbt:"), std::string::npos) << replaced.prune->reason;
  // Explore: the learning rate perturbed by 1.2 or 0.8 (resample_probability 0).
  const double ratio = after.params["lr"].get<double>() / parent.params["lr"].get<double>();
  EXPECT_TRUE(std::abs(ratio - 1.2) < 1e-9 || std::abs(ratio - 0.8) < 1e-9) << ratio;
  EXPECT_GE(lineage.start_step, 1);
  EXPECT_LT(lineage.start_step, 8);

  // The worker started it from the parent's checkpoint...
  const std::string logs = ReadFile(dir + "/worker-0.log") + ReadFile(dir + "/worker-1.log");
  EXPECT_NE(logs.find("trial " + std::to_string(child.id) + ": starting from parent trial " +
                      std::to_string(parent.id) + "'s checkpoint at step " +
                      std::to_string(lineage.checkpoint_step) + " (reported step " +
                      std::to_string(lineage.start_step) + ")"),
            std::string::npos)
      << logs;
  // ...so it reports from the step after its start, up to the last epoch.
  auto child_curve = client.TrialMetrics(child.id);
  auto parent_curve = client.TrialMetrics(parent.id);
  ASSERT_TRUE(child_curve.ok() && parent_curve.ok());
  ASSERT_FALSE(child_curve->empty());
  EXPECT_EQ(child_curve->front().step, lineage.start_step + 1) << "the count continues";
  // (Reports sent while the coordinator was down are lost; the steps that
  // were stored still count on from the start.)
  for (size_t i = 1; i < child_curve->size(); ++i) {
    EXPECT_GT((*child_curve)[i].step, (*child_curve)[i - 1].step);
    EXPECT_LE((*child_curve)[i].step, 8);
  }
  // Its first value continues the parent's curve: near the parent's value
  // at that step, not near an untrained model's (the replaced trial's first
  // report: a learning rate of ~1e-6 leaves the model as initialised).
  const int64_t first = child_curve->front().step;
  const double child_first = child_curve->front().values.at("val_loss");
  auto replaced_curve = client.TrialMetrics(replaced.id);
  ASSERT_TRUE(replaced_curve.ok());
  const double parent_then = At(*parent_curve, first);
  const double untrained = At(*replaced_curve, 1);
  ASSERT_FALSE(std::isnan(parent_then)) << "parent reported step " << first;
  ASSERT_FALSE(std::isnan(untrained));
  EXPECT_LT(std::abs(child_first - parent_then), std::abs(child_first - untrained))
      << "child " << child_first << " at step " << first << "; parent " << parent_then
      << " there; untrained " << untrained;
  coordinator.process().Kill(SIGTERM);
}

}  // namespace
}  // namespace hpsweep
