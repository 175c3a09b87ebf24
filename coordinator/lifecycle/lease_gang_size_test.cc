// A worker gang leases only trials of sweeps whose resources.ranks_per_trial
// is its size (TrialManager's ask path).
#include <memory>
#include <string>

#include "common/clock.h"
#include "coordinator/store/memory_store.h"
#include "coordinator/store/mutation.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_manager.h"
#include "coordinator/lifecycle/sweep_service_testing.h"
#include "coordinator/lifecycle/trial_manager.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

Json ModelSweep(const std::string& name, int ranks_per_trial) {
  return {{"name", name},
          {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
          {"method", "random"},
          {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
          {"max_trials", 4},
          {"program", {{"model", "mlp"}}},
          {"resources", {{"ranks_per_trial", ranks_per_trial}}}};
}

class LeaseGangSizeTest : public testing::Test {
 protected:
  LeaseGangSizeTest() : store_(NewMemoryStore()) {}

  uint64_t Create(const Json& spec) {
    return coordinator::Apply(*store_, sweeps_->CreateSweep(spec)).id;
  }
  StatusOr<Mutation<proto::AskResponse>> Ask(const std::string& client, int ranks,
                                             uint64_t sweep_id = 0) {
    proto::AskRequest r = AskFor(client, 1);
    r.kind = "worker";
    r.ranks = ranks;
    r.sweep_id = sweep_id;
    return AskNow(*trials_, r);
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  EventLog events_{&clock_};
  std::unique_ptr<SweepManager> sweeps_ =
      std::make_unique<SweepManager>(&clock_, SweepManagerOptions(), &events_);
  std::unique_ptr<TrialManager> trials_ =
      std::make_unique<TrialManager>(&clock_, TrialManagerOptions(), sweeps_.get(), &events_);
};

TEST_F(LeaseGangSizeTest, OneRankGangDoesNotLeaseATwoRankTrial) {
  const uint64_t id = Create(ModelSweep("two", 2));
  auto m = Ask("gang-of-1", 1, id);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(m.status().message().find("--gang-size 2"), std::string::npos) << m.status();
  // Nothing was leased or created.
  EXPECT_EQ(sweeps_->FindRun(id).value()->sweep.counters.created, 0);
  // Any-sweep asks are refused the same way when only other sizes have work.
  auto any = Ask("gang-of-1", 1);
  ASSERT_FALSE(any.ok());
  EXPECT_EQ(any.status().code(), StatusCode::kFailedPrecondition);
  // A bigger gang is refused too: a trial runs on exactly its ranks.
  EXPECT_EQ(Ask("gang-of-4", 4, id).status().code(), StatusCode::kFailedPrecondition);
  // The right size leases.
  auto right = Ask("gang-of-2", 2, id);
  ASSERT_TRUE(right.ok()) << right.status();
  ASSERT_EQ(right->response.trials.size(), 1u);
  EXPECT_EQ(right->response.trials[0].trial.sweep_id, id);
}

TEST_F(LeaseGangSizeTest, AnySweepAskSkipsSweepsOfAnotherSize) {
  const uint64_t two = Create(ModelSweep("two", 2));
  const uint64_t one = Create(ModelSweep("one", 1));
  for (int i = 0; i < 3; ++i) {
    proto::AskResponse r = coordinator::Apply(*store_, Ask("solo-" + std::to_string(i), 1));
    ASSERT_EQ(r.trials.size(), 1u);
    EXPECT_EQ(r.trials[0].trial.sweep_id, one);
  }
  auto pair = Ask("pair", 2);
  ASSERT_TRUE(pair.ok()) << pair.status();
  ASSERT_EQ(pair->response.trials.size(), 1u);
  EXPECT_EQ(pair->response.trials[0].trial.sweep_id, two);
}

TEST_F(LeaseGangSizeTest, ExternalClientsAreNotGangs) {
  Json spec = ModelSweep("ext", 2);
  spec["program"] = {{"external", true}};
  const uint64_t id = Create(spec);
  proto::AskRequest r = AskFor("client", 1);
  r.sweep_id = id;
  auto m = AskNow(*trials_, r);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->response.trials.size(), 1u);
}

}  // namespace
}  // namespace hpsweep::coordinator
