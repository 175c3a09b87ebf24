// A one-rank gang against the in-memory coordinator (worker/fake_coordinator.h):
// the lease protocol without HTTP or MPI. Multi-rank training itself is
// covered by trainer_mpi_test and the end-to-end tests under tests/.
#include "worker/gang.h"
#include "worker/gang_testing.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "proto/messages.h"
#include "worker/collectives.h"
#include "worker/fake_coordinator.h"

namespace hpsweep::worker {
namespace {

// A gang of one rank: every collective is the identity.
class SoloCollectives final : public Collectives {
 public:
  struct Done final : PendingCollective {
    Status Wait() override { return Status::Ok(); }
  };
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Status Broadcast(const std::vector<torch::Tensor>&, int) override { return Status::Ok(); }
  std::unique_ptr<PendingCollective> AllreduceAsync(torch::Tensor, ReduceOp) override {
    return std::make_unique<Done>();
  }
  StatusOr<std::vector<std::string>> AllgatherBytes(const std::string& bytes) override {
    return std::vector<std::string>{bytes};
  }
  Status BroadcastBytes(std::string*, int) override { return Status::Ok(); }
  Status Barrier() override { return Status::Ok(); }
};

proto::LeasedTrial MlpTrial(uint64_t id) { return testing::MlpTrial(id, 16); }

GangOptions Options() { return testing::TestGangOptions("gang-test"); }

TEST(GangTest, LeasesTrainsReportsAndCompletes) {
  FakeCoordinator fake;
  fake.AddTrial(MlpTrial(1));
  fake.AddTrial(MlpTrial(2));
  SoloCollectives comm;
  Gang gang(&comm, fake.NewClient(), Options());
  ASSERT_TRUE(gang.Run().ok());

  const FakeCoordinator::Record r = fake.record();
  EXPECT_EQ(gang.stats().trials_completed, 2);
  EXPECT_EQ(gang.stats().trials_failed, 0);
  for (uint64_t id : {1u, 2u}) {
    SCOPED_TRACE(id);
    ASSERT_EQ(r.reports.count(id), 1u);
    EXPECT_EQ(r.reports.at(id).size(), 3u) << "one report per epoch";
    EXPECT_EQ(r.reports.at(id).back().count("val_loss"), 1u);
    EXPECT_EQ(r.reports.at(id).back().count("train_loss"), 1u);
    ASSERT_EQ(r.completed.count(id), 1u);
    EXPECT_EQ(r.completed.at(id).count("val_loss"), 1u);
    EXPECT_EQ(r.checkpoint_steps.at(id), (std::vector<int64_t>{4, 8, 12}))
        << "a checkpoint at each epoch end, the last included: the trained model";
  }
  EXPECT_TRUE(r.failed.empty());
  EXPECT_TRUE(r.released.empty());
}

TEST(GangTest, AModelThatCannotBeBuiltFailsItsTrialAndTheGangGoesOn) {
  FakeCoordinator fake;
  proto::LeasedTrial bad = MlpTrial(1);
  bad.program.args["widht"] = 3;
  fake.AddTrial(bad);
  fake.AddTrial(MlpTrial(2));
  SoloCollectives comm;
  Gang gang(&comm, fake.NewClient(), Options());
  ASSERT_TRUE(gang.Run().ok());

  const FakeCoordinator::Record r = fake.record();
  ASSERT_EQ(r.failed.count(1), 1u);
  EXPECT_NE(r.failed.at(1).find("widht"), std::string::npos) << r.failed.at(1);
  EXPECT_EQ(r.completed.count(2), 1u);
}

TEST(GangTest, ALeaseLostMidTrialStopsThatTrialWithoutCompletingIt) {
  FakeCoordinator fake;
  fake.AddTrial(MlpTrial(1));
  fake.AddTrial(MlpTrial(2));
  fake.set_lose_lease_at_report(2);  // trial 1, epoch 2
  SoloCollectives comm;
  Gang gang(&comm, fake.NewClient(), Options());
  ASSERT_TRUE(gang.Run().ok());

  const FakeCoordinator::Record r = fake.record();
  EXPECT_EQ(r.reports.at(1).size(), 1u) << "the second report found the lease lost";
  EXPECT_EQ(r.completed.count(1), 0u);
  EXPECT_EQ(r.failed.count(1), 0u);
  EXPECT_TRUE(r.released.empty()) << "a lost lease is not the gang's to give back";
  EXPECT_EQ(gang.stats().trials_stopped, 1);
  EXPECT_EQ(r.completed.count(2), 1u) << "the gang goes on with the next trial";
}

// Early stopping: a report answered "stop" ends the trial there. Nothing
// more is reported, checkpointed, completed, failed or released for it.
TEST(GangTest, APrunedTrialStopsAtOnceAndCompletesNothing) {
  FakeCoordinator fake;
  fake.AddTrial(MlpTrial(1));
  fake.AddTrial(MlpTrial(2));
  fake.set_prune_at_report(1);  // trial 1, epoch 1
  SoloCollectives comm;
  Gang gang(&comm, fake.NewClient(), Options());
  ASSERT_TRUE(gang.Run().ok());

  const FakeCoordinator::Record r = fake.record();
  EXPECT_EQ(r.report_steps.at(1), std::vector<int64_t>{1}) << "reports count epochs";
  EXPECT_EQ(r.completed.count(1), 0u);
  EXPECT_EQ(r.failed.count(1), 0u);
  EXPECT_TRUE(r.released.empty());
  EXPECT_EQ(r.checkpoint_steps.count(1), 0u) << "no checkpoint after the stop";
  EXPECT_EQ(gang.stats().trials_stopped, 1);
  EXPECT_EQ(r.report_steps.at(2), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(r.completed.count(2), 1u) << "the gang goes on with the next trial";
}

TEST(GangTest, AGracefulStopUploadsTheStepItStopsAtAndGivesTheTrialBack) {
  FakeCoordinator fake;
  fake.AddTrial(MlpTrial(1));
  fake.AddTrial(MlpTrial(2));
  SoloCollectives comm;
  Gang gang(&comm, fake.NewClient(), Options());
  fake.set_on_report([&gang](int64_t n) {
    if (n == 2) gang.RequestStop();  // trial 1, during epoch 2's report
  });
  ASSERT_TRUE(gang.Run().ok());

  const FakeCoordinator::Record r = fake.record();
  EXPECT_EQ(r.checkpoint_steps.at(1), (std::vector<int64_t>{4, 8}))
      << "the epoch it stopped at is checkpointed, not lost";
  EXPECT_EQ(r.released, std::vector<uint64_t>{1});
  EXPECT_EQ(r.completed.count(1), 0u);
  EXPECT_EQ(r.reports.count(2), 0u) << "no next trial after a stop";
}

TEST(GangTest, AnUnreachableCoordinatorEndsTheGangWithUnavailable) {
  FakeCoordinator fake;
  fake.set_failure(UnavailableError("connection refused"));
  SoloCollectives comm;
  GangOptions options = Options();
  options.unreachable_wait_seconds = 1;
  options.idle_wait_seconds = 30;
  Gang gang(&comm, fake.NewClient(), options);
  const Status status = gang.Run();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("fake://coordinator was unreachable"), std::string::npos)
      << status;
  EXPECT_GE(fake.record().asks, 2);
}

TEST(GangTest, ARefusedGangStopsAtOnceWithTheCoordinatorsCode) {
  FakeCoordinator fake;
  fake.set_failure(UnauthenticatedError("bad token"));
  SoloCollectives comm;
  Gang gang(&comm, fake.NewClient(), Options());
  const Status status = gang.Run();
  EXPECT_EQ(status.code(), StatusCode::kUnauthenticated) << status;
  EXPECT_EQ(fake.record().asks, 1);
}

TEST(GangTest, ExitsAfterTheIdleWaitWhenThereIsNoWork) {
  FakeCoordinator fake;
  fake.set_done_when_empty(false);
  SoloCollectives comm;
  Gang gang(&comm, fake.NewClient(), Options());
  EXPECT_TRUE(gang.Run().ok());
  EXPECT_GE(fake.record().asks, 2);
}

TEST(GangTest, AStopRequestedBeforeRunExitsWithoutAsking) {
  FakeCoordinator fake;
  fake.AddTrial(MlpTrial(1));
  SoloCollectives comm;
  Gang gang(&comm, fake.NewClient(), Options());
  gang.RequestStop();
  EXPECT_TRUE(gang.Run().ok());
  EXPECT_EQ(fake.record().asks, 0);
}

}  // namespace
}  // namespace hpsweep::worker
