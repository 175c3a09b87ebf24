#include "coordinator/lifecycle/sweep_manager.h"

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "coordinator/store/memory_store.h"
#include "coordinator/store/mutation.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_service_testing.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::SweepState;
using proto::Trial;
using proto::TrialState;

Json SweepJson(const char* goal = "minimize", int max_trials = 4) {
  return {{"name", "unit"},
          {"metric", {{"name", "loss"}, {"goal", goal}}},
          {"method", "random"},
          {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
          {"max_trials", max_trials},
          {"program", {{"external", true}}}};
}

// The sweep manager alone, driven the way the trial manager drives it, with
// listeners that record what they are told.
class SweepManagerTest : public testing::Test {
 protected:
  SweepManagerTest() : store_(NewMemoryStore()) { manager_ = MakeManager(); }

  std::unique_ptr<SweepManager> MakeManager() {
    auto manager = std::make_unique<SweepManager>(&clock_, SweepManagerOptions(), &events_);
    SweepListeners listeners;
    listeners.lease_ended = [this](const Trial& t) { ended_.push_back(t.lease_owner); };
    listeners.sweep_cancelled = [this](uint64_t id) { cancelled_.push_back(id); };
    manager->SetListeners(std::move(listeners));
    return manager;
  }

  template <typename T>
  T Apply(StatusOr<Mutation<T>> m) {
    return coordinator::Apply(*store_, std::move(m));
  }
  SweepRun& Run(uint64_t sweep_id) { return *manager_->FindRun(sweep_id).value(); }

  // A new trial of `run`, leased to `owner` (what an ask does), committed.
  Trial& Lease(SweepRun& run, const std::string& owner) {
    Trial fresh;
    fresh.sweep_id = run.sweep.id;
    fresh.number = static_cast<uint64_t>(run.sweep.counters.created);
    fresh.params = {{"x", 0.5}};
    Trial& t = manager_->AddTrial(run, std::move(fresh));
    manager_->SetTrialState(run, t, TrialState::kLeased);
    t.lease_owner = owner;
    t.lease_seconds = 10;
    t.lease_deadline_us = clock_.NowMicros() + 10'000'000;
    Commit(t);
    return t;
  }
  void Complete(SweepRun& run, Trial& t, double value) {
    t.objective = value;
    manager_->SetTrialState(run, t, TrialState::kCompleted);
    run.OfferBest(t);
    Commit(t);
  }
  void Commit(const Trial& t) {
    WriteSet w;
    w.trials.push_back(t);
    ASSERT_TRUE(store_->Commit(w).ok());
  }

  FakeClock clock_;
  EventLog events_{&clock_};
  std::unique_ptr<Store> store_;
  std::unique_ptr<SweepManager> manager_;
  std::vector<std::string> ended_;
  std::vector<uint64_t> cancelled_;
};

TEST_F(SweepManagerTest, CreateSweepWritesTheSweepAndANumberedEvent) {
  auto created = manager_->CreateSweep(SweepJson());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->response.id, 1u);
  EXPECT_EQ(created->response.state, SweepState::kPending);
  ASSERT_EQ(created->writes.sweeps.size(), 1u);
  ASSERT_EQ(created->writes.events.size(), 1u);
  EXPECT_EQ(created->writes.events[0].type, "sweep_created");
  EXPECT_EQ(created->writes.events[0].seq, 1u);
  ASSERT_EQ(created->writes.meta.size(), 1u);
  EXPECT_EQ(created->writes.meta[0], std::make_pair(std::string("next_event_seq"), std::string("2")));
  EXPECT_EQ(Apply(manager_->CreateSweep(SweepJson())).id, 2u);
}

TEST_F(SweepManagerTest, ARefusedSweepUsesNoId) {
  Json bad = SweepJson();
  bad["parameters"]["x"]["max"] = -1;
  auto refused = manager_->CreateSweep(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(manager_->ListSweeps().empty());
  EXPECT_EQ(Apply(manager_->CreateSweep(SweepJson())).id, 1u);
}

TEST_F(SweepManagerTest, TrialStateChangesKeepCountersHistoryAndThePendingSet) {
  const uint64_t id = Apply(manager_->CreateSweep(SweepJson())).id;
  SweepRun& run = Run(id);
  Trial& t = Lease(run, "c1");
  EXPECT_EQ(run.sweep.counters.created, 1);
  EXPECT_EQ(run.sweep.counters.running, 1);
  EXPECT_EQ(run.sweep.counters.pending, 0);
  ASSERT_EQ(run.history.size(), 1u);
  EXPECT_EQ(run.history[0].state, TrialState::kLeased);

  // Back to pending (an expiry or a release): the lease ends and is reported
  // with its holder, and the trial waits in the pending set.
  run.last_values[t.id] = {{"loss", 1}};
  manager_->SetTrialState(run, t, TrialState::kPending);
  EXPECT_EQ(ended_, std::vector<std::string>{"c1"});
  EXPECT_TRUE(t.lease_owner.empty());
  EXPECT_EQ(t.lease_deadline_us, 0);
  EXPECT_TRUE(run.last_values.empty());
  EXPECT_EQ(run.requeued.count(t.id), 1u);
  EXPECT_EQ(run.sweep.counters.pending, 1);
  EXPECT_EQ(run.sweep.counters.running, 0);
  EXPECT_EQ(run.history[0].state, TrialState::kPending);
  EXPECT_TRUE(run.HasMoreWork());

  manager_->SetTrialState(run, t, TrialState::kLeased);
  EXPECT_TRUE(run.requeued.empty());
  EXPECT_EQ(ended_.size(), 1u) << "only leaving a live state ends a lease";
}

TEST_F(SweepManagerTest, CancelEndsLeasesOfUnfinishedTrialsOnly) {
  const uint64_t id = Apply(manager_->CreateSweep(SweepJson())).id;
  SweepRun& run = Run(id);
  Trial& done = Lease(run, "c1");
  Complete(run, done, 0.5);
  const uint64_t live = Lease(run, "c2").id;
  EXPECT_EQ(ended_, std::vector<std::string>{"c1"}) << "completing ended c1's lease";
  ended_.clear();

  auto cancelled = manager_->CancelSweep(id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->response.state, SweepState::kCancelled);
  ASSERT_EQ(cancelled->writes.trials.size(), 1u) << "the completed trial is left as it is";
  EXPECT_EQ(cancelled->writes.trials[0].id, live);
  EXPECT_EQ(cancelled->writes.trials[0].state, TrialState::kCancelled);
  EXPECT_EQ(ended_, std::vector<std::string>{"c2"});
  EXPECT_EQ(cancelled_, std::vector<uint64_t>{id});
  EXPECT_EQ(manager_->GetTrial(done.id)->state, TrialState::kCompleted);
  EXPECT_FALSE(run.HasMoreWork());

  auto again = manager_->CancelSweep(id);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->writes.empty()) << "cancelling a finished sweep changes nothing";
  EXPECT_EQ(manager_->CancelSweep(99).status().code(), StatusCode::kNotFound);
}

TEST_F(SweepManagerTest, BestTrialFollowsTheGoal) {
  for (const char* goal : {"minimize", "maximize"}) {
    const uint64_t id = Apply(manager_->CreateSweep(SweepJson(goal))).id;
    EXPECT_EQ(manager_->BestTrial(id).status().code(), StatusCode::kNotFound);
    SweepRun& run = Run(id);
    const double values[] = {0.5, 0.2, 0.9};
    for (double v : values) Complete(run, Lease(run, "c"), v);
    const double expected = std::string(goal) == "minimize" ? 0.2 : 0.9;
    EXPECT_DOUBLE_EQ(*manager_->BestTrial(id)->objective, expected) << goal;
    EXPECT_DOUBLE_EQ(*manager_->GetSweep(id)->best_value, expected) << goal;
  }
}

TEST_F(SweepManagerTest, FinishesTheSweepWhenNothingIsLeftToRun) {
  const uint64_t id = Apply(manager_->CreateSweep(SweepJson("minimize", 2))).id;
  SweepRun& run = Run(id);
  Trial& a = Lease(run, "c");
  Trial& b = Lease(run, "c");
  Complete(run, a, 1);
  WriteSet writes;
  manager_->MaybeFinishSweep(run, writes);
  EXPECT_TRUE(writes.empty()) << "a trial still runs";
  Complete(run, b, 2);
  manager_->MaybeFinishSweep(run, writes);
  EXPECT_EQ(run.sweep.state, SweepState::kCompleted);
  ASSERT_EQ(writes.sweeps.size(), 1u);
  ASSERT_EQ(writes.events.size(), 1u);
  EXPECT_EQ(writes.events[0].type, "sweep_completed");
}

TEST_F(SweepManagerTest, ListTrialsFiltersByState) {
  const uint64_t id = Apply(manager_->CreateSweep(SweepJson())).id;
  SweepRun& run = Run(id);
  Complete(run, Lease(run, "c"), 1);
  const uint64_t live = Lease(run, "c").id;
  auto leased = manager_->ListTrials(id, "", 0, TrialState::kLeased);
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->trials.size(), 1u);
  EXPECT_EQ(leased->trials[0].id, live);
  EXPECT_EQ(manager_->ListTrials(id, "", 0, std::nullopt)->trials.size(), 2u);
  EXPECT_EQ(manager_->ListTrials(7, "", 0, std::nullopt).status().code(), StatusCode::kNotFound);
}

// What the stopping policy saw of an ended trial at its levels reaches the
// searcher's history (bayes estimates pruned trials' finals from it,
// bo_history.h), and again after a restart, from the stored curve.
TEST_F(SweepManagerTest, EndedTrialsCarryTheirStoppingLevelsIntoTheHistory) {
  Json spec = SweepJson();
  spec["early_terminate"] = {{"type", "asha"}, {"min_iter", 1}, {"eta", 3}, {"max_iter", 9}};
  const uint64_t id = Apply(manager_->CreateSweep(spec)).id;
  SweepRun& run = Run(id);
  ASSERT_NE(run.stopper, nullptr);
  Trial& t = Lease(run, "c1");
  WriteSet curve;
  for (const auto& [step, loss] :
       std::vector<std::pair<int64_t, double>>{{1, 0.8}, {2, 0.6}, {4, 0.3}}) {
    run.stopper->Report(t.number, step, loss);
    curve.metrics.emplace_back(t.id,
                               proto::MetricPoint{step, {{"loss", loss}}, clock_.NowMicros()});
  }
  t.last_step = 4;
  ASSERT_TRUE(store_->Commit(curve).ok());
  EXPECT_TRUE(run.history[t.number].levels.empty()) << "filled when the trial ends";
  Complete(run, t, 0.25);
  auto levels_of = [](const TrialView& v) {
    std::vector<std::pair<int64_t, double>> out;
    for (const auto& l : v.levels) out.emplace_back(l.level, l.value);
    return out;
  };
  const std::vector<std::pair<int64_t, double>> want = {{0, 0.8}, {1, 0.3}};  // steps 1 and 3
  EXPECT_EQ(levels_of(run.history[t.number]), want);

  auto reborn = MakeManager();
  ASSERT_TRUE(reborn->Recover(*store_).ok());
  EXPECT_EQ(levels_of(reborn->FindRun(id).value()->history[t.number]), want);
}

TEST_F(SweepManagerTest, RecoverRebuildsRunsFromTheStore) {
  const uint64_t id = Apply(manager_->CreateSweep(SweepJson())).id;
  SweepRun& run = Run(id);
  Complete(run, Lease(run, "c1"), 0.25);
  Trial& live = Lease(run, "c2");
  Trial& requeued = Lease(run, "c3");
  manager_->SetTrialState(run, requeued, TrialState::kPending);
  Commit(requeued);
  WriteSet report;
  report.metrics.emplace_back(live.id, proto::MetricPoint{4, {{"loss", 0.75}}, clock_.NowMicros()});
  live.last_step = 4;
  report.trials.push_back(live);
  ASSERT_TRUE(store_->Commit(report).ok());

  auto reborn = MakeManager();
  ASSERT_TRUE(reborn->Recover(*store_).ok());
  SweepRun& again = *reborn->FindRun(id).value();
  EXPECT_EQ(proto::ToJson(again.sweep), proto::ToJson(run.sweep));
  EXPECT_EQ(again.requeued, std::set<uint64_t>{requeued.id});
  EXPECT_DOUBLE_EQ(again.last_values.at(live.id).at("loss"), 0.75);
  ASSERT_EQ(again.history.size(), 3u);
  EXPECT_EQ(again.history[1].state, TrialState::kLeased);
  ServiceStats stats;
  reborn->FillStats(stats);
  EXPECT_EQ(stats.trials, 3);
  EXPECT_EQ(stats.trials_by_state[TrialState::kRunning], 1);
  EXPECT_EQ(stats.trials_by_state[TrialState::kPending], 1);
  // New trials continue the numbering.
  Trial next;
  next.sweep_id = id;
  next.number = 3;
  EXPECT_EQ(reborn->AddTrial(again, next).id, requeued.id + 1);
}

}  // namespace
}  // namespace hpsweep::coordinator
