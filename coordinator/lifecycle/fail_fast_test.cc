// The fail-fast counter, and the rule as the sweep and trial managers apply
// it: a sweep fails after max_consecutive_failures failed trials in a row,
// with its reason stored, and recovers the same after a restart.
#include "coordinator/lifecycle/fail_fast.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "coordinator/store/memory_store.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_manager.h"
#include "coordinator/lifecycle/sweep_service_testing.h"
#include "coordinator/lifecycle/trial_manager.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::SweepState;
using proto::TrialState;

TEST(FailFastTest, TripsAfterLimitFailuresInARow) {
  FailFast f(3);
  f.Record(TrialState::kFailed);
  f.Record(TrialState::kFailed);
  EXPECT_FALSE(f.tripped());
  f.Record(TrialState::kFailed);
  EXPECT_TRUE(f.tripped());
  EXPECT_EQ(f.consecutive(), 3);
}

TEST(FailFastTest, ACompletedOrPrunedTrialStartsTheCountAgain) {
  for (TrialState success : {TrialState::kCompleted, TrialState::kPruned}) {
    FailFast f(2);
    f.Record(TrialState::kFailed);
    f.Record(success);
    f.Record(TrialState::kFailed);
    EXPECT_FALSE(f.tripped()) << proto::TrialStateName(success);
    f.Record(TrialState::kFailed);
    EXPECT_TRUE(f.tripped());
  }
}

TEST(FailFastTest, CancelledAndUnfinishedStatesCountNeitherWay) {
  FailFast f(2);
  f.Record(TrialState::kFailed);
  for (TrialState s : {TrialState::kCancelled, TrialState::kPending, TrialState::kLeased,
                       TrialState::kRunning}) {
    f.Record(s);
  }
  EXPECT_EQ(f.consecutive(), 1);
  f.Record(TrialState::kFailed);
  EXPECT_TRUE(f.tripped());
}

TEST(FailFastTest, ZeroNeverTripsAndResetStartsOver) {
  FailFast never(0);
  for (int i = 0; i < 1000; ++i) never.Record(TrialState::kFailed);
  EXPECT_FALSE(never.tripped());
  FailFast f(1);
  f.Record(TrialState::kFailed);
  EXPECT_TRUE(f.tripped());
  f.Reset();
  EXPECT_FALSE(f.tripped());
}

TEST(FailFastTest, ReasonNamesTheCountTheLimitAndTheLastError) {
  FailFast f(2);
  f.Record(TrialState::kFailed);
  f.Record(TrialState::kFailed);
  EXPECT_EQ(FailFastReason(f, 7, "cannot open data.npy"),
            "stopped after 2 trials failed in a row (max_consecutive_failures 2); the last, "
            "trial 7: cannot open data.npy");
}

// The managers as the service composes them, over the in-memory store.
class FailFastSweepTest : public testing::Test {
 protected:
  Json Sweep(int limit) {
    return {{"name", "ff"},
            {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
            {"method", "random"},
            {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
            {"max_trials", 20},
            {"max_consecutive_failures", limit},
            {"program", {{"external", true}}}};
  }
  uint64_t Create(const Json& spec) { return Apply(*store_, sweeps_->CreateSweep(spec)).id; }
  proto::Trial Lease(const std::string& client) {
    proto::AskResponse r = Apply(*store_, AskNow(*trials_, AskFor(client, 1, 30)));
    EXPECT_EQ(r.trials.size(), 1u);
    return r.trials.empty() ? proto::Trial() : r.trials[0].trial;
  }
  void FailOne(const std::string& error) {
    const proto::Trial t = Lease("w");
    Apply(*store_, trials_->Fail(t.id, {"w", error}));
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_ = NewMemoryStore();
  EventLog events_{&clock_};
  std::unique_ptr<SweepManager> sweeps_ =
      std::make_unique<SweepManager>(&clock_, SweepManagerOptions(), &events_);
  std::unique_ptr<TrialManager> trials_ =
      std::make_unique<TrialManager>(&clock_, TrialManagerOptions(), sweeps_.get(), &events_);
};

TEST_F(FailFastSweepTest, TheSweepFailsWithItsReasonAndStopsTheTrialsStillRunning) {
  const uint64_t id = Create(Sweep(3));
  const proto::Trial running = Lease("other");
  FailOne("no such file: data.npy");
  FailOne("no such file: data.npy");
  EXPECT_EQ(sweeps_->GetSweep(id)->state, SweepState::kRunning);
  EXPECT_EQ(sweeps_->GetSweep(id)->last_failure, "no such file: data.npy");
  clock_.AdvanceSeconds(1);
  FailOne("no such file: data.npy (3)");

  const proto::Sweep s = *sweeps_->GetSweep(id);
  EXPECT_EQ(s.state, SweepState::kFailed);
  EXPECT_NE(s.reason.find("stopped after 3 trials failed in a row (max_consecutive_failures 3)"),
            std::string::npos)
      << s.reason;
  EXPECT_NE(s.reason.find("no such file: data.npy (3)"), std::string::npos) << s.reason;
  EXPECT_EQ(s.counters.failed, 3);
  EXPECT_EQ(s.counters.cancelled, 1) << "the trial still running is stopped";
  EXPECT_EQ(sweeps_->GetTrial(running.id)->state, TrialState::kCancelled);
  auto beat = trials_->Heartbeat(running.id, {"other"});
  ASSERT_TRUE(beat.ok());
  EXPECT_TRUE(beat->response.stop);
  auto ask = AskNow(*trials_, AskFor("w"));
  ASSERT_TRUE(ask.ok());
  EXPECT_TRUE(ask->response.trials.empty()) << "a failed sweep leases nothing";

  // The state and the reason are stored; a restart keeps them.
  auto recovered = std::make_unique<SweepManager>(&clock_, SweepManagerOptions(), &events_);
  ASSERT_TRUE(recovered->Recover(*store_).ok());
  const proto::Sweep again = *recovered->GetSweep(id);
  EXPECT_EQ(again.state, SweepState::kFailed);
  EXPECT_EQ(again.reason, s.reason);
  EXPECT_EQ(again.last_failure, "no such file: data.npy (3)");
}

TEST_F(FailFastSweepTest, ACompletedTrialBetweenFailuresKeepsTheSweepGoing) {
  const uint64_t id = Create(Sweep(2));
  FailOne("diverged");
  const proto::Trial ok = Lease("w");
  Apply(*store_, trials_->Complete(ok.id, {"w", {{"loss", 0.5}}}));
  FailOne("diverged");
  EXPECT_EQ(sweeps_->GetSweep(id)->state, SweepState::kRunning);
  FailOne("diverged");
  EXPECT_EQ(sweeps_->GetSweep(id)->state, SweepState::kFailed);
}

TEST_F(FailFastSweepTest, RetryRequeuesTheFailedAndTheCancelledAndReopensTheSweep) {
  const uint64_t id = Create(Sweep(2));
  const proto::Trial running = Lease("other");
  FailOne("bad path");
  FailOne("bad path");
  ASSERT_EQ(sweeps_->GetSweep(id)->state, SweepState::kFailed);
  const proto::Sweep retried = Apply(*store_, sweeps_->RetrySweep(id));
  EXPECT_EQ(retried.state, SweepState::kRunning);
  EXPECT_TRUE(retried.reason.empty());
  EXPECT_EQ(retried.counters.failed, 0);
  EXPECT_EQ(retried.counters.cancelled, 0);
  EXPECT_EQ(retried.counters.pending, 3) << "two failed and the one fail-fast cancelled";
  const proto::Trial again = *sweeps_->GetTrial(running.id);
  EXPECT_EQ(again.state, TrialState::kPending);
  EXPECT_TRUE(again.error.empty());
  // The requeued trials are leased before any new one, with their parameters.
  const proto::Trial next = Lease("w");
  EXPECT_LE(next.id, 3u);
  // A restart keeps what retry stored.
  auto recovered = std::make_unique<SweepManager>(&clock_, SweepManagerOptions(), &events_);
  ASSERT_TRUE(recovered->Recover(*store_).ok());
  EXPECT_EQ(recovered->GetSweep(id)->state, SweepState::kRunning);
}

TEST_F(FailFastSweepTest, ACancelledSweepIsNotRetried) {
  const uint64_t id = Create(Sweep(2));
  Apply(*store_, sweeps_->CancelSweep(id));
  EXPECT_EQ(sweeps_->RetrySweep(id).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(FailFastSweepTest, ZeroTurnsFailFastOff) {
  const uint64_t id = Create(Sweep(0));
  for (int i = 0; i < 8; ++i) FailOne("diverged");
  EXPECT_EQ(sweeps_->GetSweep(id)->state, SweepState::kRunning);
}

TEST_F(FailFastSweepTest, ARestartCarriesTheCountOver) {
  const uint64_t id = Create(Sweep(3));
  FailOne("a");
  clock_.AdvanceSeconds(1);
  FailOne("b");
  trials_.reset();
  sweeps_ = std::make_unique<SweepManager>(&clock_, SweepManagerOptions(), &events_);
  trials_ = std::make_unique<TrialManager>(&clock_, TrialManagerOptions(), sweeps_.get(), &events_);
  ASSERT_TRUE(sweeps_->Recover(*store_).ok());
  trials_->Recover();
  EXPECT_EQ(sweeps_->GetSweep(id)->last_failure, "b");
  clock_.AdvanceSeconds(1);
  FailOne("c");
  EXPECT_EQ(sweeps_->GetSweep(id)->state, SweepState::kFailed);
}

}  // namespace
}  // namespace hpsweep::coordinator
