// bayes and tpe searchers through the SweepService: the way the coordinator
// uses them (inline, and through a background executor run by hand: deferred
// asks, freshness, the wait bound, restarts).
#include <cmath>
#include <optional>
#include <set>

#include "coordinator/lifecycle/sweep_service.h"
#include "coordinator/lifecycle/sweep_service_testing.h"
#include "coordinator/store/memory_store.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

double Branin(double x1, double x2) {
  const double pi = 3.14159265358979323846;
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  return std::pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) + 10;
}

Json BraninSweep(const char* method, int max_trials, const char* goal = "minimize") {
  return {{"name", "branin"},
          {"metric", {{"name", "y"}, {"goal", goal}}},
          {"method", method},
          {"seed", 7},
          {"parameters", {{"x1", {{"min", -5.0}, {"max", 10.0}}}, {"x2", {{"min", 0.0}, {"max", 15.0}}}}},
          {"max_trials", max_trials},
          {"program", {{"external", true}}}};
}

proto::AskRequest AskFor(const std::string& client, int count) {
  proto::AskRequest r;
  r.client_id = client;
  r.count = count;
  return r;
}

// Runs a sweep to the end in batches of `batch` and returns the best value.
double RunBatches(SweepService& service, uint64_t sweep, int batch, double sign,
                  std::set<std::string>* seen) {
  while (true) {
    auto ask = AskNow(service, AskFor("c", batch));
    EXPECT_TRUE(ask.ok()) << ask.status();
    if (!ask.ok() || ask->response.trials.empty()) break;
    for (const auto& lt : ask->response.trials) {
      EXPECT_TRUE(seen->insert(lt.trial.params.dump()).second) << "repeated " << lt.trial.params;
      const double y = Branin(lt.trial.params["x1"], lt.trial.params["x2"]);
      EXPECT_TRUE(service.Complete(lt.trial.id, {"c", {{"y", sign * y}}}).ok());
    }
  }
  return *service.GetSweep(sweep)->best_value;
}

TEST(BoSearchersTest, BayesFindsBraninsMinimumWithFourInFlight) {
  FakeClock clock;
  SweepService service(&clock, SweepServiceOptions());
  auto sweep = service.CreateSweep(BraninSweep("bayes", 32));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  std::set<std::string> seen;
  const double best = RunBatches(service, sweep->response.id, 4, 1.0, &seen);
  EXPECT_EQ(seen.size(), 32u);
  EXPECT_LT(best - 0.397887, 0.1) << "regret after 32 evaluations in batches of 4";
}

TEST(BoSearchersTest, TpeMaximizesAndBeatsItsOwnStartupDesign) {
  FakeClock clock;
  SweepService service(&clock, SweepServiceOptions());
  auto sweep = service.CreateSweep(BraninSweep("tpe", 40, "maximize"));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  std::set<std::string> seen;
  // Maximizing -branin: the best value approaches -0.398 from below.
  const double best = RunBatches(service, sweep->response.id, 1, -1.0, &seen);
  EXPECT_GT(best, -3.0);
}

TEST(BoSearchersTest, RebuiltSearcherProposesTheSamePoint) {
  FakeClock clock;
  auto store = NewMemoryStore();
  SweepService a(&clock, SweepServiceOptions());
  auto created = a.CreateSweep(BraninSweep("bayes", 20));
  ASSERT_TRUE(store->Commit(created->writes).ok());
  for (int i = 0; i < 8; ++i) {
    auto ask = AskNow(a, AskFor("c", 1));
    ASSERT_TRUE(store->Commit(ask->writes).ok());
    const auto& t = ask->response.trials.at(0).trial;
    auto done = a.Complete(t.id, {"c", {{"y", Branin(t.params["x1"], t.params["x2"])}}});
    ASSERT_TRUE(store->Commit(done->writes).ok());
  }
  SweepService b(&clock, SweepServiceOptions());
  ASSERT_TRUE(b.Recover(*store).ok());
  auto next_a = AskNow(a, AskFor("c", 1));
  auto next_b = AskNow(b, AskFor("c", 1));
  ASSERT_TRUE(next_a.ok() && next_b.ok());
  EXPECT_EQ(next_a->response.trials.at(0).trial.params, next_b->response.trials.at(0).trial.params);
  EXPECT_EQ(next_a->response.trials.at(0).trial.origin.source, "model");
}

class DeferredAskTest : public testing::Test {
 protected:
  DeferredAskTest() { service_.SetSuggestionExecutor(executor_.Get()); }

  uint64_t Create(Json spec) {
    auto created = service_.CreateSweep(spec);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->response.id : 0;
  }
  // Asks, runs every fit and delivery, and returns the leased trial.
  proto::Trial AskAndRun(const std::string& client) {
    PendingAsk ask;
    service_.Ask(AskFor(client, 1), ask.Callback());
    executor_.RunAll();
    EXPECT_TRUE(ask.answer.has_value());
    EXPECT_TRUE(ask.answer->ok());
    return ask.trial();
  }
  void CompleteBranin(const proto::Trial& t, const std::string& client) {
    ASSERT_TRUE(
        service_.Complete(t.id, {client, {{"y", Branin(t.params["x1"], t.params["x2"])}}}).ok());
  }

  FakeClock clock_;
  ManualExecutor executor_;
  SweepService service_{&clock_, SweepServiceOptions()};
};

Json QuickBayes(double max_wait_seconds = 30) {
  Json spec = BraninSweep("bayes", 30);
  spec["method_options"] = {{"n_initial", 2}, {"max_wait_seconds", max_wait_seconds}};
  return spec;
}

TEST_F(DeferredAskTest, AskWaitsForTheFitWhileOtherRequestsAreServed) {
  const uint64_t sweep = Create(QuickBayes());
  for (int i = 0; i < 3; ++i) CompleteBranin(AskAndRun("c"), "c");
  const proto::Trial held = AskAndRun("other");  // in flight while "c" waits

  PendingAsk ask;
  service_.Ask(AskFor("c", 1), ask.Callback());
  EXPECT_FALSE(ask.answer.has_value()) << "no suggestion is ready: the ask waits for a fit";
  ASSERT_EQ(executor_.background.size(), 1u) << "the ask started one fit";
  EXPECT_EQ(service_.Stats().asks_waiting, 1);

  // Meanwhile the service answers everything else.
  EXPECT_TRUE(service_.GetSweep(sweep).ok());
  EXPECT_TRUE(service_.Heartbeat(held.id, {"other"}).ok());
  const uint64_t random = Create(BraninSweep("random", 5));
  proto::AskRequest random_ask = AskFor("r", 1);
  random_ask.sweep_id = random;
  auto other = AskNow(service_, random_ask);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_EQ(other->response.trials.size(), 1u);
  EXPECT_EQ(other->response.trials[0].trial.origin.source, "random");

  clock_.AdvanceMicros(40'000);
  executor_.RunFit();
  EXPECT_FALSE(ask.answer.has_value()) << "answered on the service strand, not the fit's thread";
  executor_.Deliver();
  ASSERT_TRUE(ask.answer.has_value());
  ASSERT_TRUE(ask.answer->ok()) << ask.answer->status();
  const proto::TrialOrigin& origin = ask.trial().origin;
  EXPECT_EQ(origin.source, "model");
  EXPECT_EQ(origin.model, "gp");
  EXPECT_EQ(origin.observations, 3);
  EXPECT_EQ(origin.pending, 1) << "the trial in flight is accounted for";
  EXPECT_NEAR(origin.wait_seconds, 0.04, 1e-9);
  EXPECT_EQ(service_.Stats().suggestions_fallback, 0);
  EXPECT_EQ(service_.Stats().asks_waiting, 0);
}

TEST_F(DeferredAskTest, SuggestionComputedBeforeAResultIsNotServedAfterIt) {
  Create(QuickBayes());
  for (int i = 0; i < 2; ++i) CompleteBranin(AskAndRun("a"), "a");
  const proto::Trial in_flight = AskAndRun("a");

  PendingAsk ask;
  service_.Ask(AskFor("b", 1), ask.Callback());
  ASSERT_EQ(executor_.background.size(), 1u);
  // A result arrives while the fit runs: what it computes is stale.
  CompleteBranin(in_flight, "a");
  executor_.RunFit();
  executor_.Deliver();
  EXPECT_FALSE(ask.answer.has_value()) << "a stale suggestion was served";
  // The running fit was told to stop (or, had it finished first, its
  // suggestions were dropped as stale).
  EXPECT_GE(service_.Stats().suggestion_fits_cancelled + service_.Stats().suggestions_stale, 1);
  ASSERT_EQ(executor_.background.size(), 1u) << "a fresh fit replaces the stale one";
  executor_.RunAll();
  ASSERT_TRUE(ask.answer.has_value());
  EXPECT_EQ(ask.trial().origin.observations, 3) << "computed from every result before it";
  EXPECT_EQ(ask.trial().origin.pending, 0);
}

TEST_F(DeferredAskTest, PastTheWaitBoundAFallbackIsServedAndRecorded) {
  const uint64_t sweep = Create(QuickBayes(/*max_wait_seconds=*/5));
  for (int i = 0; i < 2; ++i) CompleteBranin(AskAndRun("c"), "c");
  PendingAsk ask;
  service_.Ask(AskFor("c", 1), ask.Callback());
  clock_.AdvanceSeconds(4);
  service_.ExpireWaits();
  EXPECT_FALSE(ask.answer.has_value()) << "still within the bound";
  clock_.AdvanceSeconds(2);
  service_.ExpireWaits();
  ASSERT_TRUE(ask.answer.has_value());
  ASSERT_TRUE(ask.answer->ok());
  const proto::Trial fallback = ask.trial();
  EXPECT_EQ(fallback.origin.source, "fallback");
  EXPECT_NE(fallback.origin.reason.find("max_wait_seconds"), std::string::npos)
      << fallback.origin.reason;
  EXPECT_NEAR(fallback.origin.wait_seconds, 6.0, 1e-9);
  EXPECT_EQ(service_.Stats().suggestions_fallback, 1);
  // Recorded: the stored trial and its JSON say so.
  auto stored = service_.GetTrial(fallback.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->origin.source, "fallback");
  EXPECT_EQ(proto::ToJson(*stored)["origin"]["source"], "fallback");
  // The late fit saw no new result, so what it computed is still fresh and
  // serves the next ask at once.
  executor_.RunAll();
  auto next = AskNow(service_, AskFor("d", 1));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->response.trials.at(0).trial.origin.source, "model");
  EXPECT_EQ(service_.GetSweep(sweep)->counters.created, 4);
}

TEST_F(DeferredAskTest, ZeroWaitBoundServesAFallbackAtOnce) {
  Create(QuickBayes(/*max_wait_seconds=*/0));
  auto ask = AskNow(service_, AskFor("c", 1));
  ASSERT_TRUE(ask.ok()) << ask.status();
  EXPECT_EQ(ask->response.trials.at(0).trial.origin.source, "fallback");
}

TEST_F(DeferredAskTest, ConcurrentAsksShareOneFit) {
  Create(QuickBayes());
  for (int i = 0; i < 3; ++i) CompleteBranin(AskAndRun("c"), "c");
  std::vector<PendingAsk> asks(4);
  for (int i = 0; i < 4; ++i) service_.Ask(AskFor("w" + std::to_string(i), 1), asks[i].Callback());
  // The first ask started a fit for one; the other three wait for the next,
  // which computes their three points as one batch.
  executor_.RunFit();
  executor_.Deliver();
  EXPECT_TRUE(asks[0].answer.has_value());
  ASSERT_EQ(executor_.background.size(), 1u);
  executor_.RunFit();
  executor_.Deliver();
  std::set<std::string> points;
  for (auto& a : asks) {
    ASSERT_TRUE(a.answer.has_value());
    EXPECT_EQ(a.trial().origin.source, "model");
    points.insert(a.trial().params.dump());
  }
  EXPECT_EQ(points.size(), 4u) << "no duplicate suggestions";
  EXPECT_EQ(asks[3].trial().origin.pending, 1) << "the batch accounts for the trial in flight";
  EXPECT_TRUE(executor_.background.empty());
}

TEST_F(DeferredAskTest, CancellingTheSweepAnswersItsWaitingAsks) {
  const uint64_t sweep = Create(QuickBayes());
  for (int i = 0; i < 2; ++i) CompleteBranin(AskAndRun("c"), "c");
  PendingAsk ask;
  service_.Ask(AskFor("c", 1), ask.Callback());
  ASSERT_TRUE(service_.CancelSweep(sweep).ok());
  executor_.RunAll();
  ASSERT_TRUE(ask.answer.has_value());
  ASSERT_TRUE(ask.answer->ok());
  EXPECT_TRUE(ask.answer->value().response.trials.empty());
  EXPECT_TRUE(ask.answer->value().response.done);
}

TEST_F(DeferredAskTest, RestartGivesTheSameSuggestionsThroughTheExecutor) {
  auto store = NewMemoryStore();
  auto created = service_.CreateSweep(QuickBayes());
  ASSERT_TRUE(store->Commit(created->writes).ok());
  for (int i = 0; i < 6; ++i) {
    PendingAsk ask;
    service_.Ask(AskFor("c", 1), ask.Callback());
    executor_.RunAll();
    ASSERT_TRUE(store->Commit(ask.answer->value().writes).ok());
    const proto::Trial& t = ask.trial();
    auto done = service_.Complete(t.id, {"c", {{"y", Branin(t.params["x1"], t.params["x2"])}}});
    ASSERT_TRUE(store->Commit(done->writes).ok());
  }
  ManualExecutor other_executor;
  SweepService restarted(&clock_, SweepServiceOptions());
  restarted.SetSuggestionExecutor(other_executor.Get());
  ASSERT_TRUE(restarted.Recover(*store).ok());
  PendingAsk before, after;
  service_.Ask(AskFor("c", 1), before.Callback());
  executor_.RunAll();
  restarted.Ask(AskFor("c", 1), after.Callback());
  other_executor.RunAll();
  ASSERT_TRUE(before.answer.has_value() && after.answer.has_value());
  EXPECT_EQ(before.trial().params, after.trial().params);
  EXPECT_EQ(after.trial().origin.source, "model");
}

TEST(BoSearchersTest, UnknownMethodOptionIsRejectedWithItsField) {
  FakeClock clock;
  SweepService service(&clock, SweepServiceOptions());
  Json spec = BraninSweep("bayes", 10);
  spec["method_options"] = {{"n_inital", 5}};
  auto created = service.CreateSweep(spec);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().field(), "/method_options/n_inital");
}

}  // namespace
}  // namespace hpsweep::coordinator
