// End-to-end tests against a real hpsweep-coordinator process on loopback:
// the ask/tell loop, kill -9 and restart, lease expiry, bad input, checkpoints
// and graceful stop.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/http_client.h"
#include "gtest/gtest.h"
#include "proto/api_client.h"
#include "common/subprocess.h"
#include "tests/coordinator_process.h"
#include "tools/cli/commands.h"

namespace hpsweep {
namespace {

using proto::Json;
using ::hpsweep::MakeTempDir;
using ::hpsweep::ReadFile;
using ::hpsweep::Runfile;
using ::hpsweep::Subprocess;

class CoordinatorProcess {
 public:
  explicit CoordinatorProcess(std::string dir) : dir_(std::move(dir)) {}

  // Starts the coordinator on a free port and waits until it serves.
  void Start() {
    auto connection = StartCoordinator(process_, Runfile("coordinator/hpsweep-coordinator"), dir_,
                                       dir_ + "/coordinator.log");
    ASSERT_TRUE(connection.ok()) << connection.status();
    connection_ = *connection;
  }

  std::unique_ptr<proto::CoordinatorClient> Client() {
    return std::move(proto::CoordinatorClient::Create(connection_).value());
  }
  std::unique_ptr<HttpClient> RawClient(const std::string& token) {
    return std::move(HttpClient::Create(connection_.url, token).value());
  }
  int Kill(int signal) { return process_.Kill(signal); }
  std::string Log() const { return ReadFile(dir_ + "/coordinator.log"); }
  const proto::Connection& connection() const { return connection_; }

 private:
  std::string dir_;
  Subprocess process_;
  proto::Connection connection_;
};

Json ExternalSweep(const char* method, int max_trials, int concurrency = 0, int max_restarts = 3) {
  return {{"name", std::string("e2e-") + method},
          {"metric", {{"name", "loss"}, {"goal", "minimize"}}},
          {"method", method},
          {"parameters",
           {{"x", {{"min", -2.0}, {"max", 2.0}}},
            {"opt", {{"values", {"sgd", "adam"}}}},
            {"momentum", {{"min", 0.0}, {"max", 0.9}, {"condition", {{"parent", "opt"}, {"values", {"sgd"}}}}}}}},
          {"max_trials", max_trials},
          {"max_concurrent_trials", concurrency},
          {"max_restarts", max_restarts},
          {"seed", 11},
          {"program", {{"external", true}}}};
}

double Objective(const Json& params) {
  const double x = params["x"].get<double>();
  return (x - 0.5) * (x - 0.5) + (params["opt"] == "adam" ? 0.1 : 0.0);
}

proto::AskRequest Ask(const std::string& client, uint64_t sweep, int lease_seconds = 30) {
  proto::AskRequest r;
  r.client_id = client;
  r.sweep_id = sweep;
  r.lease_seconds = lease_seconds;
  return r;
}

// Runs one trial through report x3 and complete; returns the objective.
double RunTrial(proto::CoordinatorClient& c, const std::string& client, const proto::Trial& t) {
  const double y = Objective(t.params);
  for (int step = 0; step < 3; ++step) {
    auto d = c.Report(t.id, {client, step, {{"loss", y + 1.0 / (step + 1)}}});
    EXPECT_TRUE(d.ok()) << d.status();
    EXPECT_FALSE(d->stop);
  }
  auto done = c.Complete(t.id, {client, {{"loss", y}}});
  EXPECT_TRUE(done.ok()) << done.status();
  return y;
}

TEST(CoordinatorE2eTest, AskTellLoopRunsASweepToCompletion) {
  CoordinatorProcess coordinator(MakeTempDir("ask_tell"));
  coordinator.Start();
  auto client = coordinator.Client();
  auto sweep = client->CreateSweep(ExternalSweep("sobol", 12, 4));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  std::vector<std::thread> threads;
  std::atomic<int> ran{0};
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      auto c = coordinator.Client();
      const std::string id = "client-" + std::to_string(w);
      while (true) {
        auto ask = c->Ask(Ask(id, sweep->id));
        ASSERT_TRUE(ask.ok()) << ask.status();
        if (ask->done) return;
        if (ask->trials.empty()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;
        }
        RunTrial(*c, id, ask->trials[0].trial);
        ++ran;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ran.load(), 12);
  auto final_sweep = client->GetSweep(sweep->id);
  ASSERT_TRUE(final_sweep.ok());
  EXPECT_EQ(final_sweep->state, proto::SweepState::kCompleted);
  EXPECT_EQ(final_sweep->counters.completed, 12);
  auto trials = client->AllTrials(sweep->id);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 12u);
  double best = 1e9;
  for (const auto& t : *trials) {
    EXPECT_EQ(t.params.contains("momentum"), t.params["opt"] == "sgd") << t.params.dump();
    best = std::min(best, *t.objective);
    auto curve = client->TrialMetrics(t.id);
    ASSERT_TRUE(curve.ok());
    ASSERT_EQ(curve->size(), 3u);
    for (int s = 0; s < 3; ++s) EXPECT_EQ((*curve)[s].step, s);
  }
  EXPECT_DOUBLE_EQ(*final_sweep->best_value, best);
  // The CLI agrees.
  std::ostringstream out, err;
  ASSERT_EQ(cli::RunCli({"best", std::to_string(sweep->id), "--url", coordinator.connection().url},
                        out, err),
            0)
      << err.str();
  EXPECT_NE(out.str().find(std::to_string(final_sweep->best_trial_id)), std::string::npos);
  std::ostringstream csv;
  ASSERT_EQ(cli::RunCli({"export", std::to_string(sweep->id), "--format", "csv", "--url",
                         coordinator.connection().url},
                        csv, err),
            0);
  const std::string text = csv.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 13);  // header + 12
}

TEST(CoordinatorE2eTest, KillNineLosesNothingAcknowledgedAndTheSweepContinues) {
  const std::string dir = MakeTempDir("kill9");
  std::map<uint64_t, double> acknowledged;
  uint64_t sweep_id = 0, live_trial = 0;
  proto::Json live_params;
  {
    CoordinatorProcess coordinator(dir);
    coordinator.Start();
    auto c = coordinator.Client();
    auto sweep = c->CreateSweep(ExternalSweep("random", 20));
    ASSERT_TRUE(sweep.ok());
    sweep_id = sweep->id;
    for (int i = 0; i < 8; ++i) {
      auto ask = c->Ask(Ask("w", sweep_id));
      ASSERT_TRUE(ask.ok());
      const proto::Trial& t = ask->trials.at(0).trial;
      acknowledged[t.id] = RunTrial(*c, "w", t);
    }
    auto ask = c->Ask(Ask("w", sweep_id, 600));
    live_trial = ask->trials.at(0).trial.id;
    live_params = ask->trials.at(0).trial.params;
    ASSERT_TRUE(c->Report(live_trial, {"w", 7, {{"loss", 3.5}}}).ok());
    EXPECT_EQ(coordinator.Kill(SIGKILL), 128 + SIGKILL);
  }
  CoordinatorProcess coordinator(dir);
  coordinator.Start();
  auto c = coordinator.Client();
  auto trials = c->AllTrials(sweep_id);
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 9u) << "nothing lost, nothing duplicated";
  for (const auto& t : *trials) {
    if (t.id == live_trial) {
      EXPECT_EQ(t.state, proto::TrialState::kRunning);
      EXPECT_EQ(t.last_step, 7);
      continue;
    }
    ASSERT_TRUE(acknowledged.count(t.id)) << t.id;
    EXPECT_EQ(t.state, proto::TrialState::kCompleted);
    EXPECT_DOUBLE_EQ(*t.objective, acknowledged[t.id]);
  }
  auto curve = c->TrialMetrics(live_trial);
  ASSERT_TRUE(curve.ok());
  ASSERT_EQ(curve->size(), 1u);
  EXPECT_DOUBLE_EQ(curve->at(0).values.at("loss"), 3.5);
  // The worker asks again after the restart and gets its trial back.
  auto again = c->Ask(Ask("w", sweep_id));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->trials.size(), 1u);
  EXPECT_EQ(again->trials[0].trial.id, live_trial);
  EXPECT_EQ(again->trials[0].trial.params, live_params);
  RunTrial(*c, "w", again->trials[0].trial);
  while (true) {
    auto ask = c->Ask(Ask("w", sweep_id));
    ASSERT_TRUE(ask.ok());
    if (ask->done) break;
    RunTrial(*c, "w", ask->trials.at(0).trial);
  }
  auto all = c->AllTrials(sweep_id);
  ASSERT_EQ(all->size(), 20u);
  std::set<uint64_t> numbers;
  for (const auto& t : *all) {
    numbers.insert(t.number);
    EXPECT_EQ(t.state, proto::TrialState::kCompleted);
  }
  EXPECT_EQ(numbers.size(), 20u);
  EXPECT_EQ(*numbers.rbegin(), 19u);
  EXPECT_EQ(c->GetSweep(sweep_id)->state, proto::SweepState::kCompleted);
}

TEST(CoordinatorE2eTest, ExpiredLeaseGoesToTheNextAsker) {
  CoordinatorProcess coordinator(MakeTempDir("lease"));
  coordinator.Start();
  auto c = coordinator.Client();
  auto sweep = c->CreateSweep(ExternalSweep("random", 3));
  auto first = c->Ask(Ask("silent", sweep->id, /*lease_seconds=*/1));
  ASSERT_TRUE(first.ok());
  const proto::Trial t = first->trials.at(0).trial;
  std::this_thread::sleep_for(std::chrono::milliseconds(1700));
  auto second = c->Ask(Ask("alive", sweep->id));
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->trials.size(), 1u);
  EXPECT_EQ(second->trials[0].trial.id, t.id);
  EXPECT_EQ(second->trials[0].trial.attempt, 1);
  auto late = c->Report(t.id, {"silent", 1, {{"loss", 1}}});
  EXPECT_EQ(late.status().code(), StatusCode::kAborted) << late.status();
  auto metrics = c->MetricsText();
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->find("hpsweep_leases_expired_total 1"), std::string::npos) << *metrics;
}

TEST(CoordinatorE2eTest, BadInputIsRejectedAndNothingIsStored) {
  CoordinatorProcess coordinator(MakeTempDir("bad_input"));
  coordinator.Start();
  auto raw = coordinator.RawClient(coordinator.connection().token);
  struct Case {
    std::string what, method, target, body, token;
    int status;
    std::string code, field;
  };
  const std::string token = coordinator.connection().token;
  const std::string valid = ExternalSweep("random", 5).dump();
  Json wrong_type = ExternalSweep("random", 5);
  wrong_type["max_trials"] = "five";
  std::vector<Case> cases = {
      {"malformed JSON", "POST", "/api/v1/sweeps", "{\"name\": ", token, 400, "INVALID_ARGUMENT", ""},
      {"wrong type", "POST", "/api/v1/sweeps", wrong_type.dump(), token, 400, "INVALID_ARGUMENT",
       "/max_trials"},
      {"oversized body", "POST", "/api/v1/sweeps", std::string(2 << 20, ' '), token, 413,
       "RESOURCE_EXHAUSTED", ""},
      {"no token", "POST", "/api/v1/sweeps", valid, "", 401, "UNAUTHENTICATED", ""},
      {"wrong token", "POST", "/api/v1/sweeps", valid, "not-the-token", 401, "UNAUTHENTICATED", ""},
      {"ask without token", "POST", "/api/v1/ask", R"({"client_id":"x"})", "", 401,
       "UNAUTHENTICATED", ""},
      {"ask with bad count", "POST", "/api/v1/ask", R"({"client_id":"x","count":"1"})", token, 400,
       "INVALID_ARGUMENT", "/count"},
      {"report to unknown trial", "POST", "/api/v1/trials/99/report",
       R"({"client_id":"x","step":1,"values":{"loss":1}})", token, 404, "NOT_FOUND", ""},
      {"unknown endpoint", "GET", "/api/v1/nothing", "", token, 404, "NOT_FOUND", ""},
      {"bad sweep id", "GET", "/api/v1/sweeps/abc", "", token, 400, "INVALID_ARGUMENT", ""},
  };
  for (const Case& c : cases) {
    auto client = coordinator.RawClient(c.token);
    auto reply = client->Send(c.method, c.target, c.body);
    ASSERT_TRUE(reply.ok()) << c.what << ": " << reply.status();
    EXPECT_EQ(reply->status, c.status) << c.what << ": " << reply->body;
    Json body = Json::parse(reply->body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << c.what;
    EXPECT_EQ(body["error"]["code"], c.code) << c.what;
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty()) << c.what;
    if (!c.field.empty()) {
      EXPECT_EQ(body["error"]["field"], c.field) << c.what;
    }
  }
  auto sweeps = coordinator.Client()->ListSweeps();
  ASSERT_TRUE(sweeps.ok());
  EXPECT_TRUE(sweeps->empty()) << "a rejected request stored something";
  // Reads need no token.
  auto open = coordinator.RawClient("")->Send("GET", "/api/v1/sweeps");
  EXPECT_EQ(open->status, 200);
}

TEST(CoordinatorE2eTest, CheckpointsStreamThroughAndSurviveAGracefulRestart) {
  const std::string dir = MakeTempDir("checkpoint");
  std::string bytes(3 << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  uint64_t trial = 0;
  {
    CoordinatorProcess coordinator(dir);
    coordinator.Start();
    auto c = coordinator.Client();
    auto sweep = c->CreateSweep(ExternalSweep("random", 2));
    trial = c->Ask(Ask("w", sweep->id))->trials.at(0).trial.id;
    ASSERT_TRUE(c->UploadCheckpoint(trial, 10, "w", bytes).ok());
    EXPECT_EQ(c->UploadCheckpoint(trial, 11, "intruder", "x").code(), StatusCode::kAborted);
    auto back = c->DownloadCheckpoint(trial, -1);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->first, 10);
    EXPECT_TRUE(back->second == bytes);
    EXPECT_EQ(c->GetTrial(trial)->checkpoint_step, 10);
    EXPECT_EQ(coordinator.Kill(SIGTERM), 0) << coordinator.Log();
  }
  CoordinatorProcess coordinator(dir);
  coordinator.Start();
  auto back = coordinator.Client()->DownloadCheckpoint(trial, 10);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->second == bytes);
  EXPECT_EQ(coordinator.Client()->DownloadCheckpoint(trial, 3).status().code(),
            StatusCode::kNotFound);
}

TEST(CoordinatorE2eTest, SecondCoordinatorOnTheSameDataDirIsTurnedAway) {
  const std::string dir = MakeTempDir("locked");
  CoordinatorProcess first(dir);
  first.Start();
  Subprocess second;
  ASSERT_TRUE(second
                  .Start({Runfile("coordinator/hpsweep-coordinator"), "--data-dir", dir, "--port",
                          "0"},
                         dir + "/second.log")
                  .ok());
  EXPECT_EQ(second.Wait(30), 1);
  EXPECT_NE(ReadFile(dir + "/second.log").find("locked by another coordinator"), std::string::npos)
      << ReadFile(dir + "/second.log");
}

}  // namespace
}  // namespace hpsweep
