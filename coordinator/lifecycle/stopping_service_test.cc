// Early stopping through the sweep service, as the API drives it: a bad
// early_terminate is refused naming the field; a report the policy stops is
// answered "stop" with the reason and the trial ends pruned with its step and
// rung; heartbeats and later calls see it; and after a coordinator restart
// the policy is rebuilt from the stored curves, so that a new trial is judged
// against the trials recorded before the restart.
#include <memory>
#include <string>

#include "coordinator/lifecycle/stored_service_test_base.h"
#include "coordinator/lifecycle/sweep_service_testing.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::TrialState;

Json SweepJson(const Json& early_terminate, bool maximize = false, int max_trials = 8) {
  return {{"name", "stopping"},
          {"metric", {{"name", "loss"}, {"goal", maximize ? "maximize" : "minimize"}}},
          {"method", "random"},
          {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
          {"max_trials", max_trials},
          {"program", {{"external", true}}},
          {"early_terminate", early_terminate}};
}

class StoppingServiceTest : public StoredServiceTest {
 protected:
  proto::Trial Lease(const std::string& client) {
    proto::AskResponse r = Apply(AskNow(*service_, AskFor(client, 1, 60)));
    EXPECT_EQ(r.trials.size(), 1u);
    return r.trials.empty() ? proto::Trial() : r.trials[0].trial;
  }
  proto::Decision Report(const proto::Trial& t, const std::string& client, int64_t step, double loss) {
    return Apply(service_->Report(t.id, {client, step, {{"loss", loss}, {"other", 1.0}}}));
  }
};

TEST_F(StoppingServiceTest, BadEarlyTerminateIsRefusedNamingTheFieldAndStoresNothing) {
  auto made = service_->CreateSweep(SweepJson({{"type", "hyperband"}, {"min_iter", 3}, {"eta", 1}}));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(made.status().field(), "/early_terminate/eta");
  made = service_->CreateSweep(SweepJson({{"type", "hyperbrand"}}));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().field(), "/early_terminate/type");
  EXPECT_TRUE(service_->ListSweeps().empty());
  EXPECT_TRUE(store_->LoadSweeps()->empty());
  // The next good sweep gets id 1: nothing was used up.
  EXPECT_EQ(Apply(service_->CreateSweep(SweepJson({{"type", "asha"}}))).id, 1u);
}

TEST_F(StoppingServiceTest, AStoppedReportPrunesTheTrialWithStepRungAndReason) {
  const uint64_t sweep =
      Apply(service_->CreateSweep(SweepJson({{"type", "asha"}, {"min_iter", 2}, {"eta", 3}}))).id;
  const proto::Trial a = Lease("a"), b = Lease("b");
  EXPECT_FALSE(Report(a, "a", 1, 0.9).stop) << "no rung below step 2";
  EXPECT_FALSE(Report(a, "a", 2, 0.5).stop) << "first at rung 0";
  EXPECT_FALSE(Report(b, "b", 1, 0.4).stop);
  proto::Decision d = Report(b, "b", 2, 0.8);
  ASSERT_TRUE(d.stop);
  EXPECT_NE(d.reason.find("trial pruned: asha: rung 0 (step 2)"), std::string::npos) << d.reason;

  proto::Trial pruned = *service_->GetTrial(b.id);
  EXPECT_EQ(pruned.state, TrialState::kPruned);
  ASSERT_TRUE(pruned.prune.has_value());
  EXPECT_EQ(pruned.prune->step, 2);
  EXPECT_EQ(pruned.prune->rung, 0);
  EXPECT_NE(pruned.prune->reason.find("ranks 2 of 2"), std::string::npos) << pruned.prune->reason;
  EXPECT_FALSE(pruned.objective.has_value());
  EXPECT_DOUBLE_EQ(pruned.final_values.at("loss"), 0.8);
  EXPECT_TRUE(pruned.lease_owner.empty());
  EXPECT_EQ(service_->GetSweep(sweep)->counters.pruned, 1);
  // Stored as it is answered, with its event.
  auto stored = store_->LoadTrials(sweep, 0, 0);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(proto::ToJson(stored->at(1)), proto::ToJson(pruned));
  bool event = false;
  auto events = store_->ReadEvents(0, 0);  // kept: a range-for over *temporary dangles
  ASSERT_TRUE(events.ok()) << events.status();
  for (const proto::Event& e : *events) {
    event |= e.type == "trial_pruned" && e.trial_id == b.id;
  }
  EXPECT_TRUE(event);

  // The worker's later calls: heartbeat and report say stop with the reason;
  // complete changes nothing; no checkpoint may be stored.
  proto::Decision beat = Apply(service_->Heartbeat(b.id, {"b"}));
  EXPECT_TRUE(beat.stop);
  EXPECT_NE(beat.reason.find("pruned: asha: rung 0"), std::string::npos) << beat.reason;
  EXPECT_TRUE(Report(b, "b", 3, 0.1).stop);
  EXPECT_EQ(Apply(service_->Complete(b.id, {"b", {{"loss", 0.1}}})).state, TrialState::kPruned);
  EXPECT_FALSE(service_->CheckCheckpointUpload(b.id, "b").ok());
  EXPECT_EQ(service_->GetTrial(b.id)->last_step, 2) << "the report after the stop was not recorded";
}

// Restart: rung records come back from the stored curves. Trial c reports a
// value that ranks 2nd of 3 at rung 0 with the records of a and b (stopped;
// keep 1) but would be first at an empty rung (continue).
TEST_F(StoppingServiceTest, AshaRungsAreRebuiltAfterARestart) {
  Apply(service_->CreateSweep(SweepJson({{"type", "asha"}, {"min_iter", 1}, {"eta", 3}}, true)));
  const proto::Trial a = Lease("a"), b = Lease("b");
  EXPECT_FALSE(Report(a, "a", 1, 0.9).stop);  // maximize: 0.9 is best
  EXPECT_TRUE(Report(b, "b", 1, 0.2).stop);
  Restart();
  const proto::Trial c = Lease("c");
  EXPECT_NE(c.id, b.id);
  proto::Decision d = Report(c, "c", 1, 0.5);
  EXPECT_TRUE(d.stop) << "rung 0 was rebuilt with a (0.9) and b (0.2)";
  EXPECT_NE(d.reason.find("ranks 2 of 3"), std::string::npos) << d.reason;
  // a's lease survived the restart; it is first at rung 1.
  EXPECT_FALSE(Report(a, "a", 3, 0.95).stop);
  EXPECT_EQ(service_->GetTrial(b.id)->state, TrialState::kPruned);
}

TEST_F(StoppingServiceTest, MedianCurvesOfCompletedTrialsAreRebuiltAfterARestart) {
  Apply(service_->CreateSweep(
      SweepJson({{"type", "median"}, {"min_trials", 2}, {"warmup_steps", 0}}, false)));
  for (const double level : {1.0, 2.0}) {
    const proto::Trial t = Lease("w");
    for (int64_t step = 1; step <= 3; ++step) EXPECT_FALSE(Report(t, "w", step, level / step).stop);
    Apply(service_->Complete(t.id, {"w", {{"loss", level / 3}}}));
  }
  Restart();
  const proto::Trial good = Lease("g"), bad = Lease("b");
  EXPECT_FALSE(Report(good, "g", 1, 1.2).stop) << "better than the median 1.5 at step 1";
  proto::Decision d = Report(bad, "b", 1, 1.8);
  EXPECT_TRUE(d.stop) << "worse than the median 1.5 of the 2 completed trials at step 1";
  EXPECT_EQ(service_->GetTrial(bad.id)->prune->rung, -1);
  EXPECT_EQ(service_->GetTrial(bad.id)->prune->step, 1);
}

// A sweep stored with an early_terminate this build refuses still loads
// (without early stopping) rather than disappearing.
TEST_F(StoppingServiceTest, AStoredSweepWithAnUnreadableBlockStillLoads) {
  const proto::Sweep made = Apply(service_->CreateSweep(SweepJson(nullptr)));
  proto::Sweep legacy = made;
  legacy.spec.early_terminate = {{"type", "envelope"}};
  WriteSet writes;
  writes.sweeps.push_back(legacy);
  ASSERT_TRUE(store_->Commit(writes).ok());
  Restart();
  ASSERT_TRUE(service_->GetSweep(made.id).ok());
  const proto::Trial t = Lease("a");
  EXPECT_FALSE(Report(t, "a", 1, 1.0).stop);
}

TEST_F(StoppingServiceTest, AHeartbeatReJudgesARunningTrialAgainstWhatCompletedSince) {
  Apply(service_->CreateSweep(SweepJson({{"type", "median"}, {"min_trials", 1}})));
  const proto::Trial a = Lease("a"), b = Lease("b");
  // b reports first: no completed trial at step 1 yet, so it continues.
  EXPECT_FALSE(Report(b, "b", 1, 0.9).stop);
  EXPECT_FALSE(Report(a, "a", 1, 0.1).stop);
  Apply(service_->Complete(a.id, {"a", {{"loss", 0.1}}}));
  // b's heartbeat: its step-1 value is now worse than the median (0.1) of
  // the completed trials at step 1.
  proto::Decision beat = Apply(service_->Heartbeat(b.id, {"b"}));
  ASSERT_TRUE(beat.stop);
  EXPECT_NE(beat.reason.find("median"), std::string::npos) << beat.reason;
  EXPECT_NE(beat.reason.find("(on heartbeat)"), std::string::npos) << beat.reason;
  const proto::Trial pruned = service_->GetTrial(b.id).value();
  EXPECT_EQ(pruned.state, TrialState::kPruned);
  ASSERT_TRUE(pruned.prune);
  EXPECT_EQ(pruned.prune->step, 1);
  EXPECT_EQ(pruned.final_values.at("loss"), 0.9);
  // Stored: a restart reads the same verdict back.
  Restart();
  EXPECT_EQ(service_->GetTrial(b.id)->state, TrialState::kPruned);
}

TEST_F(StoppingServiceTest, HeartbeatsDoNotReJudgeAshaRungDecisions) {
  Apply(service_->CreateSweep(SweepJson({{"type", "asha"}, {"min_iter", 1}, {"eta", 2}})));
  const proto::Trial a = Lease("a"), b = Lease("b"), c = Lease("c");
  EXPECT_FALSE(Report(a, "a", 1, 0.5).stop);  // first at rung 0
  EXPECT_FALSE(Report(b, "b", 1, 0.1).stop);  // 1 of 2: top 1 continues
  EXPECT_FALSE(Report(c, "c", 1, 0.05).stop);  // best of 3: top 1 continues
  // a now ranks 3 of 3 at rung 0, but it was promoted when it got there.
  EXPECT_FALSE(Apply(service_->Heartbeat(a.id, {"a"})).stop);
}

}  // namespace
}  // namespace hpsweep::coordinator
