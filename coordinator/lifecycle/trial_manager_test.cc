#include "coordinator/lifecycle/trial_manager.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "coordinator/store/memory_store.h"
#include "coordinator/store/mutation.h"
#include "coordinator/store/store.h"
#include "coordinator/lifecycle/sweep_manager.h"
#include "coordinator/lifecycle/sweep_service_testing.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::Trial;
using proto::TrialState;

Json SweepJson(int max_trials = 4, int max_restarts = 1) {
  return {{"name", "unit"},
          {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
          {"method", "random"},
          {"parameters", {{"x", {{"min", 0.0}, {"max", 1.0}}}}},
          {"max_trials", max_trials},
          {"max_restarts", max_restarts},
          {"program", {{"external", true}}}};
}

// A searcher that counts as slow (its suggestions come from fits on the
// executor) and proposes x = number / 100.
class SlowSearcher final : public Searcher {
 public:
  explicit SlowSearcher(double max_wait_seconds) : max_wait_seconds_(max_wait_seconds) {}
  StatusOr<std::optional<Json>> Suggest(const std::vector<TrialView>&, uint64_t number) override {
    return std::optional<Json>(Json{{"x", static_cast<double>(number) / 100}});
  }
  bool IsSlow() const override { return true; }
  double MaxWaitSeconds() const override { return max_wait_seconds_; }

 private:
  double max_wait_seconds_;
};

// The two managers as the service composes them, over the in-memory store
// and a fake clock.
class TrialManagerTest : public testing::Test {
 protected:
  TrialManagerTest() : store_(NewMemoryStore()) {}

  template <typename T>
  T Apply(StatusOr<Mutation<T>> m) {
    return coordinator::Apply(*store_, std::move(m));
  }
  uint64_t Create(const Json& spec) { return Apply(sweeps_->CreateSweep(spec)).id; }
  Trial Lease(const std::string& client, int lease_seconds = 10) {
    proto::AskResponse r = Apply(AskNow(*trials_, AskFor(client, 1, lease_seconds)));
    EXPECT_EQ(r.trials.size(), 1u);
    return r.trials.empty() ? Trial() : r.trials[0].trial;
  }
  ServiceStats Stats() const {
    ServiceStats stats;
    trials_->FillStats(stats);
    return stats;
  }
  std::vector<uint64_t> ActiveTrials(const std::string& client) {
    for (const proto::ClientInfo& c : trials_->ListClients()) {
      if (c.client_id == client) return c.active_trials;
    }
    return {};
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  EventLog events_{&clock_};
  std::unique_ptr<SweepManager> sweeps_ =
      std::make_unique<SweepManager>(&clock_, SweepManagerOptions(), &events_);
  std::unique_ptr<TrialManager> trials_ =
      std::make_unique<TrialManager>(&clock_, TrialManagerOptions(), sweeps_.get(), &events_);
};

TEST_F(TrialManagerTest, AskLeasesUntilNowPlusLeaseSeconds) {
  Create(SweepJson());
  const Trial t = Lease("c1", 30);
  EXPECT_EQ(t.state, TrialState::kLeased);
  EXPECT_EQ(t.lease_owner, "c1");
  EXPECT_EQ(t.lease_deadline_us, clock_.NowMicros() + 30'000'000);
  EXPECT_EQ(ActiveTrials("c1"), std::vector<uint64_t>{t.id});
  clock_.AdvanceSeconds(7);
  auto beat = trials_->Heartbeat(t.id, {"c1"});
  ASSERT_TRUE(beat.ok());
  EXPECT_EQ(beat->response.lease_deadline_us, clock_.NowMicros() + 30'000'000);
}

TEST_F(TrialManagerTest, ExpiredLeaseRequeuesWithTheNextAttempt) {
  Create(SweepJson(4, /*max_restarts=*/2));
  const Trial t = Lease("dead", 5);
  clock_.AdvanceSeconds(5);
  EXPECT_TRUE(trials_->ExpireLeases().empty()) << "the deadline itself is still inside the lease";
  clock_.AdvanceMicros(1);
  WriteSet expired = trials_->ExpireLeases();
  ASSERT_EQ(expired.trials.size(), 1u);
  EXPECT_EQ(expired.trials[0].state, TrialState::kPending);
  EXPECT_EQ(expired.trials[0].attempt, 1);
  EXPECT_TRUE(expired.trials[0].lease_owner.empty());
  ASSERT_EQ(expired.events.size(), 1u);
  EXPECT_EQ(expired.events[0].type, "lease_expired");
  EXPECT_EQ(expired.events[0].detail, "dead; requeued");
  ASSERT_TRUE(store_->Commit(expired).ok());
  EXPECT_TRUE(ActiveTrials("dead").empty());
  EXPECT_EQ(Stats().leases_expired, 1);
  EXPECT_EQ(Stats().trials_requeued, 1);
  // The requeued trial goes to the next asker before any new one, same point.
  const Trial next = Lease("alive");
  EXPECT_EQ(next.id, t.id);
  EXPECT_EQ(next.params, t.params);
  EXPECT_EQ(next.attempt, 1);
  // The dead client's late calls are refused: its lease is gone.
  EXPECT_EQ(trials_->Report(t.id, {"dead", 1, {{"loss", 1}}}).status().code(),
            StatusCode::kAborted);
}

TEST_F(TrialManagerTest, ExpiryPastMaxRestartsFailsTheTrial) {
  const uint64_t sweep = Create(SweepJson(1, /*max_restarts=*/0));
  const Trial t = Lease("dead", 5);
  clock_.AdvanceSeconds(6);
  ASSERT_TRUE(store_->Commit(trials_->ExpireLeases()).ok());
  const Trial failed = *sweeps_->GetTrial(t.id);
  EXPECT_EQ(failed.state, TrialState::kFailed);
  EXPECT_EQ(failed.error, "lease expired (owner \"dead\") after 1 attempts");
  EXPECT_EQ(sweeps_->GetSweep(sweep)->state, proto::SweepState::kCompleted);
}

TEST_F(TrialManagerTest, HeartbeatFromAnotherClientIsRejectedAndChangesNothing) {
  Create(SweepJson());
  const Trial t = Lease("owner", 5);
  clock_.AdvanceSeconds(3);
  auto stolen = trials_->Heartbeat(t.id, {"intruder"});
  EXPECT_EQ(stolen.status().code(), StatusCode::kAborted);
  EXPECT_NE(stolen.status().message().find("leased to \"owner\""), std::string::npos);
  EXPECT_EQ(sweeps_->GetTrial(t.id)->lease_deadline_us, t.lease_deadline_us);
  EXPECT_EQ(trials_->Heartbeat(424242, {"owner"}).status().code(), StatusCode::kNotFound);
}

TEST_F(TrialManagerTest, RepeatCompleteIsIdempotent) {
  const uint64_t sweep = Create(SweepJson());
  const Trial t = Lease("c1");
  const Trial done = Apply(trials_->Complete(t.id, {"c1", {{"loss", 0.5}}}));
  EXPECT_EQ(done.state, TrialState::kCompleted);
  EXPECT_TRUE(ActiveTrials("c1").empty());
  for (const char* client : {"c1", "someone-else"}) {
    auto again = trials_->Complete(t.id, {client, {{"loss", 0.9}}});
    ASSERT_TRUE(again.ok()) << client;
    EXPECT_TRUE(again->writes.empty()) << client;
    EXPECT_DOUBLE_EQ(*again->response.objective, 0.5) << client;
  }
  EXPECT_EQ(sweeps_->GetSweep(sweep)->counters.completed, 1);
  // Other lease calls on the finished trial are refused as too late.
  EXPECT_EQ(trials_->Fail(t.id, {"c1", "boom"}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(trials_->Heartbeat(t.id, {"c1"}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(TrialManagerTest, FirstReportStartsTheTrialAndRecordsAPoint) {
  Create(SweepJson());
  const Trial t = Lease("c1");
  auto first = trials_->Report(t.id, {"c1", 3, {{"loss", 0.4}}});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->writes.metrics.size(), 1u);
  EXPECT_EQ(first->writes.metrics[0].first, t.id);
  EXPECT_EQ(first->writes.metrics[0].second.step, 3);
  ASSERT_EQ(first->writes.events.size(), 1u);
  EXPECT_EQ(first->writes.events[0].type, "trial_running");
  EXPECT_EQ(first->writes.trials.at(0).state, TrialState::kRunning);
  auto second = trials_->Report(t.id, {"c1", 2, {{"loss", 0.3}}});
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->writes.events.empty()) << "only the first report starts the trial";
  EXPECT_EQ(second->writes.trials.at(0).last_step, 3) << "last_step never goes back";
  // Completing without values takes the last report's metric.
  EXPECT_DOUBLE_EQ(*Apply(trials_->Complete(t.id, {"c1", {}})).objective, 0.3);
}

TEST_F(TrialManagerTest, StoppedTrialIsAnsweredStop) {
  const uint64_t sweep = Create(SweepJson());
  const Trial t = Lease("c1");
  Apply(sweeps_->CancelSweep(sweep));
  EXPECT_TRUE(ActiveTrials("c1").empty()) << "cancelling ended the lease";
  for (auto decision : {trials_->Heartbeat(t.id, {"c1"}), trials_->Report(t.id, {"c1", 1, {}})}) {
    ASSERT_TRUE(decision.ok());
    EXPECT_TRUE(decision->response.stop);
    EXPECT_EQ(decision->response.reason, "trial cancelled");
    EXPECT_TRUE(decision->writes.empty());
  }
  auto failed = trials_->Fail(t.id, {"c1", "late"});
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->response.state, TrialState::kCancelled);
}

TEST_F(TrialManagerTest, ReleaseRequeuesWithTheSameAttempt) {
  Create(SweepJson());
  const Trial t = Lease("leaving");
  EXPECT_EQ(trials_->Release(t.id, {"intruder"}).status().code(), StatusCode::kAborted);
  const Trial released = Apply(trials_->Release(t.id, {"leaving"}));
  EXPECT_EQ(released.state, TrialState::kPending);
  EXPECT_EQ(released.attempt, 0);
  EXPECT_TRUE(ActiveTrials("leaving").empty());
  auto twice = trials_->Release(t.id, {"leaving"});
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(twice->writes.empty());
  EXPECT_EQ(Lease("next").id, t.id);
}

TEST_F(TrialManagerTest, CheckpointsNeedTheLeaseAndOnlyMoveForward) {
  Create(SweepJson());
  const Trial t = Lease("c1");
  EXPECT_TRUE(trials_->CheckCheckpointUpload(t.id, "c1").ok());
  EXPECT_EQ(trials_->CheckCheckpointUpload(t.id, "c2").code(), StatusCode::kAborted);
  EXPECT_EQ(Apply(trials_->CheckpointStored(t.id, 10)).checkpoint_step, 10);
  auto older = trials_->CheckpointStored(t.id, 5);
  ASSERT_TRUE(older.ok());
  EXPECT_TRUE(older->writes.empty());
  EXPECT_EQ(older->response.checkpoint_step, 10);
}

TEST_F(TrialManagerTest, IdleClientsLeaveTheRegistryAndBusyOnesStay) {
  Create(SweepJson());
  const Trial t1 = Lease("c1", 1000);
  const Trial t2 = Lease("c2", 1000);
  Apply(trials_->Complete(t2.id, {"c2", {{"loss", 0.5}}}));
  clock_.AdvanceMicros(static_cast<int64_t>(TrialManagerOptions().forget_idle_client_seconds * 1e6) - 1);
  (void)trials_->ExpireLeases();
  EXPECT_EQ(trials_->ListClients().size(), 2u) << "not idle for long enough yet";
  clock_.AdvanceMicros(2);
  (void)trials_->ExpireLeases();
  const auto clients = trials_->ListClients();
  ASSERT_EQ(clients.size(), 1u) << "c2 holds nothing and was idle past the bound";
  EXPECT_EQ(clients[0].client_id, "c1");
  EXPECT_EQ(clients[0].active_trials, std::vector<uint64_t>{t1.id});
}

TEST_F(TrialManagerTest, RecoverRebuildsLeasesAndClients) {
  Create(SweepJson());
  const Trial t = Lease("c1", 5);
  auto sweeps = std::make_unique<SweepManager>(&clock_, SweepManagerOptions(), &events_);
  auto trials = std::make_unique<TrialManager>(&clock_, TrialManagerOptions(), sweeps.get(), &events_);
  ASSERT_TRUE(sweeps->Recover(*store_).ok());
  trials->Recover();
  ASSERT_EQ(trials->ListClients().size(), 1u);
  EXPECT_EQ(trials->ListClients()[0].active_trials, std::vector<uint64_t>{t.id});
  // The re-ask returns the live trial; the recovered lease still expires.
  auto again = AskNow(*trials, AskFor("c1", 1, 5));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->response.trials.size(), 1u);
  EXPECT_EQ(again->response.trials[0].trial.id, t.id);
  clock_.AdvanceSeconds(6);
  EXPECT_EQ(trials->ExpireLeases().trials.size(), 1u);
}

// --- asks that wait for a model fit ----------------------------------------------

class WaitingAskTest : public TrialManagerTest {
 protected:
  WaitingAskTest() {
    trials_.reset();  // it is registered with the sweep manager replaced here
    sweeps_ = std::make_unique<SweepManager>(
        &clock_, SweepManagerOptions(), &events_, nullptr,
        [](const SearchSpace&) -> StatusOr<std::unique_ptr<Searcher>> {
          return std::unique_ptr<Searcher>(std::make_unique<SlowSearcher>(2.0));
        });
    trials_ = std::make_unique<TrialManager>(&clock_, TrialManagerOptions(), sweeps_.get(),
                                             &events_);
    sweeps_->SetSuggestionExecutor(executor_.Get());
    trials_->SetSuggestionExecutor(executor_.Get());
  }
  ManualExecutor executor_;
};

TEST_F(WaitingAskTest, AskWaitsForTheFitAndIsAnsweredWhenItDelivers) {
  Create(SweepJson());
  PendingAsk ask;
  trials_->Ask(AskFor("c1"), ask.Callback());
  EXPECT_FALSE(ask.answer.has_value());
  EXPECT_EQ(Stats().asks_waiting, 1);
  ASSERT_EQ(executor_.background.size(), 1u) << "the ask started a fit";
  clock_.AdvanceSeconds(0.5);
  executor_.RunAll();
  ASSERT_TRUE(ask.answer.has_value());
  ASSERT_TRUE(ask.answer->ok());
  const Trial& t = ask.trial();
  EXPECT_EQ(t.params, (Json{{"x", 0.0}}));
  EXPECT_DOUBLE_EQ(t.origin.wait_seconds, 0.5);
  EXPECT_EQ(Stats().asks_waiting, 0);
  EXPECT_EQ(Stats().asks_deferred, 1);
  EXPECT_EQ(Stats().suggestions_fallback, 0);
}

TEST_F(WaitingAskTest, AnAskPastItsWaitBoundGetsAFallback) {
  Create(SweepJson());
  PendingAsk ask;
  trials_->Ask(AskFor("c1"), ask.Callback());
  clock_.AdvanceSeconds(1);
  trials_->ExpireWaits();
  EXPECT_FALSE(ask.answer.has_value()) << "still inside the 2 s bound";
  clock_.AdvanceSeconds(1);
  trials_->ExpireWaits();
  ASSERT_TRUE(ask.answer.has_value());
  ASSERT_TRUE(ask.answer->ok());
  const Trial& t = ask.trial();
  EXPECT_EQ(t.origin.source, "fallback");
  EXPECT_NE(t.origin.reason.find("max_wait_seconds (2 s)"), std::string::npos) << t.origin.reason;
  EXPECT_EQ(Stats().suggestions_fallback, 1);
  EXPECT_EQ(Stats().asks_waiting, 0);
}

TEST_F(WaitingAskTest, AReleasedTrialGoesToAWaitingAsk) {
  Create(SweepJson());
  PendingAsk first;
  trials_->Ask(AskFor("c1"), first.Callback());
  executor_.RunAll();
  const uint64_t id = first.trial().id;
  PendingAsk second;
  trials_->Ask(AskFor("c2"), second.Callback());
  ASSERT_FALSE(second.answer.has_value());
  ASSERT_TRUE(trials_->Release(id, {"c1"}).ok());
  ASSERT_EQ(executor_.delivered.size(), 1u) << "the release posted a serve";
  executor_.Deliver();  // before any new fit
  ASSERT_TRUE(second.answer.has_value());
  EXPECT_EQ(second.trial().id, id);
}

TEST_F(WaitingAskTest, CancellingTheSweepAnswersItsWaitingAsks) {
  const uint64_t sweep = Create(SweepJson());
  PendingAsk ask;
  trials_->Ask(AskFor("c1"), ask.Callback());
  ASSERT_TRUE(sweeps_->CancelSweep(sweep).ok());
  executor_.RunAll();
  ASSERT_TRUE(ask.answer.has_value());
  ASSERT_TRUE(ask.answer->ok());
  EXPECT_TRUE(ask.answer->value().response.trials.empty());
  EXPECT_TRUE(ask.answer->value().response.done);
}

TEST_F(WaitingAskTest, ShutdownAnswersWaitingAsksWithAskAgain) {
  Create(SweepJson());
  PendingAsk ask;
  trials_->Ask(AskFor("c1"), ask.Callback());
  trials_->AnswerWaitingAsks();
  ASSERT_TRUE(ask.answer.has_value());
  ASSERT_TRUE(ask.answer->ok());
  EXPECT_TRUE(ask.answer->value().response.trials.empty());
  EXPECT_GT(ask.answer->value().response.retry_after_seconds, 0);
}

}  // namespace
}  // namespace hpsweep::coordinator
