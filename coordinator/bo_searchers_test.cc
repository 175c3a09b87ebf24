// bayes and tpe searchers through the SweepService: the way the coordinator
// uses them (inline here, and through a background executor).
#include <cmath>
#include <deque>
#include <set>

#include "coordinator/sweep_service.h"
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
    auto ask = service.Ask(AskFor("c", batch));
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
    auto ask = a.Ask(AskFor("c", 1));
    ASSERT_TRUE(store->Commit(ask->writes).ok());
    const auto& t = ask->response.trials.at(0).trial;
    auto done = a.Complete(t.id, {"c", {{"y", Branin(t.params["x1"], t.params["x2"])}}});
    ASSERT_TRUE(store->Commit(done->writes).ok());
  }
  SweepService b(&clock, SweepServiceOptions());
  ASSERT_TRUE(b.Recover(*store).ok());
  auto next_a = a.Ask(AskFor("c", 1));
  auto next_b = b.Ask(AskFor("c", 1));
  ASSERT_TRUE(next_a.ok() && next_b.ok());
  EXPECT_EQ(next_a->response.trials.at(0).trial.params, next_b->response.trials.at(0).trial.params);
}

TEST(BoSearchersTest, LeasePathNeverWaitsForAFit) {
  FakeClock clock;
  SweepService service(&clock, SweepServiceOptions());
  std::deque<Task> background, delivered;
  service.SetSuggestionExecutor({[&](Task t) { background.push_back(std::move(t)); },
                                 [&](Task t) { delivered.push_back(std::move(t)); }});
  auto sweep = service.CreateSweep(BraninSweep("bayes", 10));
  ASSERT_TRUE(sweep.ok());
  ASSERT_EQ(background.size(), 1u) << "suggestions start computing at creation";
  // The fit has not run: the ask is answered at once with a quasi-random point.
  auto first = service.Ask(AskFor("c", 1));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->response.trials.size(), 1u);
  EXPECT_EQ(service.Stats().suggestions_fallback, 1);
  // The fit runs and its result is delivered: the next ask uses it.
  background.front()();
  background.pop_front();
  ASSERT_EQ(delivered.size(), 1u);
  delivered.front()();
  delivered.pop_front();
  EXPECT_GE(service.Stats().suggestions_computed, 2);
  auto second = service.Ask(AskFor("d", 1));  // another client: "c" would get its trial back
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(service.Stats().suggestions_fallback, 1) << "served from the queue";
  EXPECT_NE(second->response.trials[0].trial.params, first->response.trials[0].trial.params);
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
