// A gang of two MPI ranks (MpiCollectives) against the in-memory coordinator
// (worker/fake_coordinator.h), which lives on rank 0, the gang leader: the
// lease protocol of a real multi-rank worker job without HTTP. It covers what
// the one-rank gang_test cannot: the leader renews the lease while every rank
// trains, only rank 0's reports reach the coordinator, a stop decision ends
// the trial on every rank, and a failure on one rank (here rank 1, not the
// leader) fails the trial on all with that rank's reason.
#include <mpi.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/messages.h"
#include "tests/mpi_test_main.h"
#include "worker/fake_coordinator.h"
#include "worker/gang.h"
#include "worker/gang_testing.h"
#include "worker/mpi_collectives.h"

namespace hpsweep::worker {
namespace {

namespace fs = std::filesystem;

int WorldRank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

proto::LeasedTrial MlpTrial(uint64_t id) { return testing::MlpTrial(id, 8); }

// A command trial running `script` with /bin/sh on every rank.
proto::LeasedTrial ShellTrial(uint64_t id, const std::string& script) {
  proto::LeasedTrial t;
  t.trial.id = id;
  t.trial.sweep_id = 1;
  t.trial.number = id - 1;
  t.program.command = {"/bin/sh", "-c", script};
  t.program.stop_grace_seconds = 2;
  t.metric.name = "val_loss";
  return t;
}

GangOptions Options() { return testing::TestGangOptions("gang-mpi-test"); }

// A folder every rank sees (the test's TEST_TMPDIR travels with mpirun).
std::string SharedDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / ("gang_mpi_test_" + name);
  if (WorldRank() == 0) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return dir.string();
}

// Runs one gang over MPI_COMM_WORLD; rank 0 holds the fake's client.
class GangMpiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto comm = MpiCollectives::Create(MPI_COMM_WORLD, MpiCollectivesOptions());
    ASSERT_TRUE(comm.ok()) << comm.status();
    comm_ = std::move(*comm);
    ASSERT_EQ(comm_->size(), 2) << "run with mpi_test(np = 2)";
  }

  // Runs the gang to the end on every rank; its stats on this rank.
  GangStats RunGang(GangOptions options = Options()) {
    Gang gang(comm_.get(), comm_->rank() == 0 ? fake_.NewClient() : nullptr, std::move(options));
    const Status status = gang.Run();
    EXPECT_TRUE(status.ok()) << "rank " << comm_->rank() << ": " << status;
    return gang.stats();
  }

  bool leader() const { return comm_->rank() == 0; }

  FakeCoordinator fake_;  // only rank 0's is asked
  std::unique_ptr<MpiCollectives> comm_;
};

TEST_F(GangMpiTest, ModelTrialsReportFromTheLeaderOnlyAndCountOnEveryRank) {
  if (leader()) {
    fake_.AddTrial(MlpTrial(1));
    fake_.AddTrial(MlpTrial(2));
  }
  const GangStats stats = RunGang();
  // Every rank knows how each trial ended, not only the leader.
  EXPECT_EQ(stats.trials_completed, 2) << "rank " << comm_->rank();
  EXPECT_EQ(stats.trials_failed, 0);
  if (!leader()) return;
  const FakeCoordinator::Record r = fake_.record();
  EXPECT_EQ(r.asks, 3) << "two trials, then done: one gang asks, not one per rank";
  for (uint64_t id : {1u, 2u}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(r.report_steps.at(id), (std::vector<int64_t>{1, 2, 3}))
        << "one report per epoch, from the leader alone";
    ASSERT_EQ(r.completed.count(id), 1u);
    EXPECT_EQ(r.completed.at(id).count("val_loss"), 1u);
  }
  EXPECT_TRUE(r.failed.empty());
  EXPECT_EQ(r.refused_after_lease_lost, 0);
}

TEST_F(GangMpiTest, AStopDecisionEndsTheTrialOnEveryRank) {
  if (leader()) {
    fake_.AddTrial(MlpTrial(1));
    fake_.AddTrial(MlpTrial(2));
    fake_.set_prune_at_report(1);  // trial 1, epoch 1
  }
  // Were the stop not shared, rank 1 would train epoch 2 alone and wait in
  // its gradient allreduce forever (the test would time out).
  const GangStats stats = RunGang();
  EXPECT_EQ(stats.trials_stopped, 1) << "rank " << comm_->rank();
  EXPECT_EQ(stats.trials_completed, 1) << "rank " << comm_->rank();
  if (!leader()) return;
  const FakeCoordinator::Record r = fake_.record();
  EXPECT_EQ(r.report_steps.at(1), std::vector<int64_t>{1});
  EXPECT_EQ(r.completed.count(1), 0u);
  EXPECT_EQ(r.checkpoint_steps.count(1), 0u) << "nothing stored after the stop";
  EXPECT_EQ(r.report_steps.at(2), (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(GangMpiTest, AModelThatCannotBeBuiltOnOneRankFailsTheTrialOnAll) {
  // Rank 1 resolves the module against a folder without it (a node missing a
  // file); rank 0 finds it.
  const std::string empty = SharedDir("no_module");
  if (leader()) {
    proto::LeasedTrial t = MlpTrial(1);
    t.program.model = "torchscript";
    t.program.args = {{"module", "models/testdata/tiny_regressor.pt"},
                      {"train_data", "models/testdata/regression.npy"},
                      {"epochs", 1}};
    fake_.AddTrial(t);
    fake_.AddTrial(MlpTrial(2));
  }
  GangOptions options = Options();
  options.base_dir = leader() ? fs::current_path().string() : empty;
  const GangStats stats = RunGang(options);
  EXPECT_EQ(stats.trials_failed, 1) << "rank " << comm_->rank();
  EXPECT_EQ(stats.trials_completed, 1) << "rank " << comm_->rank();
  if (!leader()) return;
  const FakeCoordinator::Record r = fake_.record();
  ASSERT_EQ(r.failed.count(1), 1u);
  EXPECT_NE(r.failed.at(1).find(empty), std::string::npos)
      << "the reason is rank 1's: " << r.failed.at(1);
  EXPECT_EQ(r.reports.count(1), 0u);
  EXPECT_EQ(r.completed.count(2), 1u) << "the gang goes on together";
}

TEST_F(GangMpiTest, ACommandTrialRenewsItsLeaseAndRelaysRankZerosReports) {
  // Each rank reports its own value ($RANK, not ${RANK}: the worker expands
  // ${name} in a command as a parameter); rank 0's counts. The sleep outlasts
  // the heartbeat period (lease_seconds / 4 = 1 s) a few times over.
  if (leader()) {
    fake_.AddTrial(ShellTrial(1, "sleep 3; echo \"hpsweep: step=1 val_loss=1$RANK\""));
  }
  const GangStats stats = RunGang();
  EXPECT_EQ(stats.trials_completed, 1) << "rank " << comm_->rank();
  if (!leader()) return;
  const FakeCoordinator::Record r = fake_.record();
  EXPECT_GE(r.heartbeats, 1) << "the leader renewed the lease while the command ran";
  EXPECT_EQ(r.refused_after_lease_lost, 0);
  ASSERT_EQ(r.reports.count(1), 1u);
  ASSERT_EQ(r.reports.at(1).size(), 1u) << "rank 1's report is not relayed";
  EXPECT_EQ(r.reports.at(1)[0].at("val_loss"), 10.0) << "rank 0's value";
  ASSERT_EQ(r.completed.count(1), 1u);
  EXPECT_EQ(r.completed.at(1).at("val_loss"), 10.0);
}

TEST_F(GangMpiTest, ACommandFailingOnOneRankFailsTheTrialAndStopsTheOthers) {
  // Rank 1 fails at once; rank 0 would run for a minute unless stopped, and
  // leaves a mark when it is.
  const std::string marks = SharedDir("marks");
  if (leader()) {
    fake_.AddTrial(ShellTrial(
        1, "if [ \"$RANK\" = 1 ]; then echo 'rank one broke' >&2; exit 3; fi; "
           "trap 'touch " + marks + "/stopped-$RANK; exit 143' TERM; "
           "sleep 60 & wait"));
    fake_.AddTrial(ShellTrial(2, "echo \"hpsweep: step=1 val_loss=0.5\""));
  }
  const GangStats stats = RunGang();
  EXPECT_EQ(stats.trials_failed, 1) << "rank " << comm_->rank();
  EXPECT_EQ(stats.trials_completed, 1) << "rank " << comm_->rank();
  MPI_Barrier(MPI_COMM_WORLD);
  if (!leader()) return;
  EXPECT_TRUE(fs::exists(marks + "/stopped-0")) << "rank 0's command was stopped";
  const FakeCoordinator::Record r = fake_.record();
  ASSERT_EQ(r.failed.count(1), 1u);
  const std::string& reason = r.failed.at(1);
  EXPECT_NE(reason.find("rank 1: "), std::string::npos) << reason;
  EXPECT_NE(reason.find("rank one broke"), std::string::npos) << "stderr's tail: " << reason;
  EXPECT_EQ(r.completed.count(1), 0u);
  EXPECT_EQ(r.completed.count(2), 1u) << "the gang goes on together";
}

TEST_F(GangMpiTest, AStopDecisionTerminatesTheCommandOnEveryRank) {
  const std::string marks = SharedDir("stop_marks");
  if (leader()) {
    fake_.AddTrial(ShellTrial(
        1, "trap 'touch " + marks + "/stopped-$RANK; exit 143' TERM; "
           "echo \"hpsweep: step=1 val_loss=0.5\"; sleep 60 & wait"));
    fake_.set_prune_at_report(1);
  }
  const GangStats stats = RunGang();
  EXPECT_EQ(stats.trials_stopped, 1) << "rank " << comm_->rank();
  EXPECT_EQ(stats.trials_failed, 0) << "rank " << comm_->rank();
  EXPECT_TRUE(fs::exists(marks + "/stopped-" + std::to_string(comm_->rank())))
      << "rank " << comm_->rank() << "'s command got SIGTERM";
  if (!leader()) return;
  const FakeCoordinator::Record r = fake_.record();
  EXPECT_EQ(r.completed.count(1), 0u);
  EXPECT_EQ(r.failed.count(1), 0u);
  EXPECT_TRUE(r.released.empty()) << "a pruned trial is not given back";
}

}  // namespace
}  // namespace hpsweep::worker

HPSWEEP_MPI_TEST_MAIN()
