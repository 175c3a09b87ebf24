// Multi-objective and constrained sweeps through the SweepService and the
// HTTP API: every searcher runs them, complete requires every objective and
// constraint metric, the best trial is never infeasible, and the Pareto
// route serves the non-dominated feasible trials.
#include <cmath>
#include <set>
#include <string>

#include "coordinator/http/api_stack.h"
#include "coordinator/search/bo/pareto.h"
#include "coordinator/http/http_request.h"
#include "coordinator/search/outcomes.h"
#include "coordinator/store/storage_health.h"
#include "coordinator/lifecycle/sweep_service.h"
#include "coordinator/lifecycle/sweep_service_testing.h"
#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;

// A ZDT1-like pair on [0,1]^3 (f1 minimized, `score` = -f2 maximized), with
// the constraint mem = x0 + x1 <= 1.
Json MoSweep(const std::string& method, int max_trials) {
  return {{"name", "mo"},
          {"metrics", {{{"name", "f1"}, {"goal", "minimize"}}, {{"name", "score"}, {"goal", "maximize"}}}},
          {"constraints", {"mem <= 1"}},
          {"method", method},
          {"seed", 5},
          {"parameters",
           {{"x0", {{"min", 0.0}, {"max", 1.0}}},
            {"x1", {{"min", 0.0}, {"max", 1.0}}},
            {"x2", {{"min", 0.0}, {"max", 1.0}}}}},
          {"max_trials", max_trials},
          {"program", {{"external", true}}}};
}

proto::Values Evaluate(const Json& params) {
  const double x0 = params["x0"], x1 = params["x1"], x2 = params["x2"];
  const double g = 1 + 4.5 * (x1 + x2);
  const double f2 = g * (1 - std::sqrt(x0 / g));
  return {{"f1", x0}, {"score", -f2}, {"mem", x0 + x1}};
}

// Runs the sweep to its end, `batch` trials at a time.
void RunSweep(SweepService& service, int batch) {
  while (true) {
    auto ask = AskNow(service, AskFor("c", batch));
    ASSERT_TRUE(ask.ok()) << ask.status();
    if (ask->response.trials.empty()) break;
    for (const auto& lt : ask->response.trials) {
      auto done = service.Complete(lt.trial.id, {"c", Evaluate(lt.trial.params)});
      ASSERT_TRUE(done.ok()) << done.status();
    }
  }
}

std::vector<proto::Trial> AllTrials(SweepService& service, uint64_t sweep) {
  auto page = service.ListTrials(sweep, "", 1000, std::nullopt);
  EXPECT_TRUE(page.ok());
  return page.ok() ? page->trials : std::vector<proto::Trial>();
}

// The front computed independently: feasible completed trials, minimized.
std::set<uint64_t> ExpectedFront(const std::vector<proto::Trial>& trials) {
  std::vector<bo::Point> points;
  std::vector<bool> feasible;
  for (const auto& t : trials) {
    points.push_back({t.final_values.at("f1"), -t.final_values.at("score")});
    feasible.push_back(t.final_values.at("mem") <= 1);
  }
  std::set<uint64_t> ids;
  for (size_t i : bo::NonDominated(points, feasible)) ids.insert(trials[i].id);
  return ids;
}

void CheckResults(SweepService& service, uint64_t sweep, int expected_trials) {
  const std::vector<proto::Trial> trials = AllTrials(service, sweep);
  ASSERT_EQ(static_cast<int>(trials.size()), expected_trials);
  int infeasible = 0;
  for (const auto& t : trials) {
    ASSERT_EQ(t.state, proto::TrialState::kCompleted);
    EXPECT_EQ(t.final_values.size(), 3u);  // every metric is stored
    EXPECT_EQ(*t.objective, t.final_values.at("f1"));  // the first objective
    infeasible += t.final_values.at("mem") > 1;
  }
  auto front = service.ParetoTrials(sweep);
  ASSERT_TRUE(front.ok()) << front.status();
  std::set<uint64_t> ids;
  for (const auto& t : front->trials) ids.insert(t.id);
  EXPECT_EQ(ids, ExpectedFront(trials));
  EXPECT_FALSE(ids.empty());
  auto best = service.BestTrial(sweep);
  ASSERT_TRUE(best.ok());
  EXPECT_LE(best->final_values.at("mem"), 1) << "the best trial must be feasible";
}

TEST(MoSweepTest, EverySearcherRunsAMultiObjectiveConstrainedSweep) {
  for (const std::string method : {"random", "sobol", "tpe", "bayes"}) {
    SCOPED_TRACE(method);
    FakeClock clock;
    SweepService service(&clock, SweepServiceOptions());
    const int n = method == "bayes" ? 14 : 24;
    auto sweep = service.CreateSweep(MoSweep(method, n));
    ASSERT_TRUE(sweep.ok()) << sweep.status();
    RunSweep(service, 2);
    CheckResults(service, sweep->response.id, n);
    if (method == "tpe" || method == "bayes") {
      // Past the initial design, suggestions come from the model.
      // Provenance names the multi-objective model: qParEGO for bayes,
      // MOTPE for tpe, on every trial (the initial design included).
      int from_model = 0;
      for (const auto& t : AllTrials(service, sweep->response.id)) {
        from_model += t.origin.source == "model";
        EXPECT_EQ(t.origin.model, method == "bayes" ? "qparego" : "motpe") << t.number;
      }
      EXPECT_GT(from_model, 0);
    }
  }
  // Grid over a small space.
  FakeClock clock;
  SweepService service(&clock, SweepServiceOptions());
  Json grid = MoSweep("grid", 0);
  grid["parameters"] = {{"x0", {{"values", {0.1, 0.5, 0.9}}}}, {"x1", {{"values", {0.0, 0.6}}}},
                        {"x2", {{"value", 0.0}}}};
  auto sweep = service.CreateSweep(grid);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  RunSweep(service, 4);
  CheckResults(service, sweep->response.id, 6);
}

TEST(MoSweepTest, CompleteNeedsEveryObjectiveAndConstraintMetric) {
  FakeClock clock;
  SweepService service(&clock, SweepServiceOptions());
  auto sweep = service.CreateSweep(MoSweep("random", 2));
  ASSERT_TRUE(sweep.ok());
  auto ask = AskNow(service, AskFor("c", 1));
  ASSERT_TRUE(ask.ok());
  const uint64_t id = ask->response.trials.at(0).trial.id;
  auto missing = service.Complete(id, {"c", {{"f1", 0.5}, {"score", -1}}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().field(), "/values");
  EXPECT_NE(missing.status().message().find("\"mem\""), std::string::npos) << missing.status();
  EXPECT_EQ(service.GetTrial(id)->state, proto::TrialState::kLeased);  // nothing changed
  // A report carried it: the last reported value is used.
  ASSERT_TRUE(service.Report(id, {"c", 1, {{"mem", 0.25}}}).ok());
  auto done = service.Complete(id, {"c", {{"f1", 0.5}, {"score", -1}}});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->response.final_values.at("mem"), 0.25);
}

TEST(MoSweepTest, AConstrainedSweepNeverReportsAnInfeasibleTrialAsBest) {
  FakeClock clock;
  SweepService service(&clock, SweepServiceOptions());
  Json spec = MoSweep("random", 4);
  spec.erase("metrics");
  spec["metric"] = {{"name", "f1"}, {"goal", "minimize"}};
  auto sweep = service.CreateSweep(spec);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  auto ask = AskNow(service, AskFor("c", 4));
  ASSERT_TRUE(ask.ok());
  const auto& t = ask->response.trials;
  ASSERT_EQ(t.size(), 4u);
  // The lowest f1 values are infeasible.
  ASSERT_TRUE(service.Complete(t[0].trial.id, {"c", {{"f1", 0.0}, {"mem", 3}}}).ok());
  EXPECT_FALSE(service.BestTrial(sweep->response.id).ok()) << "no feasible trial yet";
  EXPECT_FALSE(service.GetSweep(sweep->response.id)->best_value.has_value());
  ASSERT_TRUE(service.Complete(t[1].trial.id, {"c", {{"f1", 0.7}, {"mem", 1}}}).ok());
  ASSERT_TRUE(service.Complete(t[2].trial.id, {"c", {{"f1", 0.1}, {"mem", 1.01}}}).ok());
  ASSERT_TRUE(service.Complete(t[3].trial.id, {"c", {{"f1", 0.9}, {"mem", 0}}}).ok());
  auto best = service.BestTrial(sweep->response.id);
  ASSERT_TRUE(best.ok());
  EXPECT_EQ(best->id, t[1].trial.id);
  EXPECT_EQ(*service.GetSweep(sweep->response.id)->best_value, 0.7);
  // Single objective: the front is the best feasible value.
  auto front = service.ParetoTrials(sweep->response.id);
  ASSERT_TRUE(front.ok());
  ASSERT_EQ(front->trials.size(), 1u);
  EXPECT_EQ(front->trials[0].id, t[1].trial.id);
}

// proto/sweep_schema.md: early stopping on a multi-objective sweep judges
// the first objective's reported values, in its goal's direction; reports
// without it are not judged.
TEST(MoSweepTest, EarlyStoppingJudgesTheFirstObjective) {
  FakeClock clock;
  SweepService service(&clock, SweepServiceOptions());
  Json spec = MoSweep("random", 3);
  spec["metrics"] = {{{"name", "score"}, {"goal", "maximize"}}, {{"name", "f1"}, {"goal", "minimize"}}};
  spec["early_terminate"] = {{"type", "asha"}, {"min_iter", 1}, {"eta", 2}};
  auto sweep = service.CreateSweep(spec);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  auto ask = AskNow(service, AskFor("c", 3));
  ASSERT_TRUE(ask.ok());
  ASSERT_EQ(ask->response.trials.size(), 3u);
  const uint64_t a = ask->response.trials[0].trial.id, b = ask->response.trials[1].trial.id,
                 c = ask->response.trials[2].trial.id;
  auto report = [&](uint64_t id, proto::Values values) {
    auto r = service.Report(id, {"c", 1, std::move(values)});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && r->response.stop;
  };
  EXPECT_FALSE(report(a, {{"score", 0.9}, {"f1", 0.9}})) << "first at the rung";
  // b's second objective is the best seen, but only the first one counts:
  // a report without it is not judged.
  EXPECT_FALSE(report(b, {{"f1", 0.0}}));
  // Maximized: 0.1 ranks below 0.9 (a minimizing rule would keep it).
  EXPECT_TRUE(report(b, {{"score", 0.1}, {"f1", 0.0}}));
  EXPECT_EQ(service.GetTrial(b)->state, proto::TrialState::kPruned);
  EXPECT_FALSE(report(c, {{"score", 0.95}, {"f1", 1.0}}));
  EXPECT_EQ(service.GetTrial(c)->state, proto::TrialState::kRunning);
}

TEST(MoSweepTest, ParetoRouteServesTheFront) {
  StorageHealth storage;
  ApiStack stack(ApiOptions{"secret", &storage, 7}, 8, [](const Status&) {});
  ASSERT_TRUE(stack.Start().ok());
  auto send = [&](const std::string& method, const std::string& target, const std::string& body) {
    return stack.Send(method, target, body, "secret");
  };
  HttpResponse created = send("POST", "/api/v1/sweeps", MoSweep("random", 3).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string sweep = std::to_string(Json::parse(created.body)["id"].get<uint64_t>());
  HttpResponse asked = send("POST", "/api/v1/ask", R"({"client_id":"c","count":3})");
  ASSERT_EQ(asked.status, 200) << asked.body;
  const Json trials = Json::parse(asked.body)["trials"];
  ASSERT_EQ(trials.size(), 3u);
  const char* values[] = {R"({"f1":0.2,"score":-0.5,"mem":0.5})", R"({"f1":0.1,"score":-0.1,"mem":2})",
                          R"({"f1":0.5,"score":-0.2,"mem":1})"};
  for (int i = 0; i < 3; ++i) {
    const std::string id = std::to_string(trials[i]["trial"]["id"].get<uint64_t>());
    HttpResponse r = send("POST", "/api/v1/trials/" + id + "/complete",
                          std::string(R"({"client_id":"c","values":)") + values[i] + "}");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  HttpResponse front = send("GET", "/api/v1/sweeps/" + sweep + "/pareto", "");
  ASSERT_EQ(front.status, 200) << front.body;
  const Json page = Json::parse(front.body);
  // Trial 2 dominates everything but is infeasible; 1 and 3 trade off.
  ASSERT_EQ(page["trials"].size(), 2u) << front.body;
  EXPECT_EQ(page["trials"][0]["final_values"]["f1"], 0.2);
  EXPECT_EQ(page["trials"][1]["final_values"]["f1"], 0.5);
  EXPECT_EQ(send("GET", "/api/v1/sweeps/99/pareto", "").status, 404);
  HttpResponse spec = send("GET", "/api/v1/sweeps/" + sweep, "");
  EXPECT_EQ(Json::parse(spec.body)["spec"]["metrics"].size(), 2u) << spec.body;
}

}  // namespace
}  // namespace hpsweep::coordinator
