// End-to-end tests of command programs: the user's own PyTorch scripts
// (tests/command_scripts/, Debian's /usr/bin/python3 with python3-torch) as
// trials, through `hpsweep run` and through a coordinator with worker jobs.
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/subprocess.h"
#include "coordinator/store/rocks_store.h"
#include "coordinator/store/store.h"
#include "gtest/gtest.h"
#include "proto/api_client.h"
#include "proto/sweep_file.h"
#include "tests/coordinator_process.h"

namespace hpsweep {
namespace {

namespace fs = std::filesystem;
using proto::Json;

constexpr char kPython[] = "/usr/bin/python3";

// A process that has exited counts as gone even before it is reaped.
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

std::string Absolute(const std::string& runfile) { return fs::absolute(Runfile(runfile)).string(); }

// A sweep whose command runs `script` (a ${script} parameter when empty).
Json CommandSweep(const std::string& name, Json parameters, const std::string& mark_dir,
                  const std::string& script = "") {
  return {{"name", name},
          {"metric", {{"name", "val_loss"}, {"goal", "minimize"}}},
          {"method", "grid"},
          {"max_restarts", 2},
          {"parameters", std::move(parameters)},
          {"program",
           {{"command", {kPython, script.empty() ? "${script}" : script, "${args}"}},
            {"workdir", "scripts"},
            {"stop_grace_seconds", 2},
            {"env",
             {{"PYTHONPATH", fs::path(Absolute("tools/python/hpsweep.py")).parent_path().string()},
              {"MARK_DIR", mark_dir},
              {"OMP_NUM_THREADS", "1"}}}}}};
}

class CommandE2eTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir(testing::UnitTest::GetInstance()->current_test_info()->name());
    // The sweep file's folder holds the scripts ("workdir": "scripts").
    fs::create_directories(dir_ + "/scripts");
    fs::create_directories(dir_ + "/mark");
    for (const char* s : {"train_helper.py", "train_stdout.py", "fail.py", "ddp.py"}) {
      fs::copy_file(Runfile(std::string("tests/command_scripts/") + s), dir_ + "/scripts/" + s,
                    fs::copy_options::overwrite_existing);
    }
  }

  std::string WriteSweep(const Json& sweep) {
    const std::string path = dir_ + "/sweep.json";
    std::ofstream(path) << sweep.dump(2);
    return path;
  }

  std::vector<std::string> Environment() {
    std::vector<std::string> env = MpiTestEnvironment();
    env.push_back("HPSWEEP_WORKER=" + Runfile("worker/hpsweep-worker"));
    return env;
  }

  Status StartRun(Subprocess& run, const std::string& sweep, const std::string& log) {
    return run.Start({Runfile("tools/cli/hpsweep"), "run", sweep, "--workers", "1", "--data-dir",
                      dir_ + "/data"},
                     dir_ + "/" + log, Environment());
  }

  // `hpsweep run SWEEP` to its end (exit status 0), then a coordinator on its
  // data directory, read from through `client`. Use under
  // ASSERT_NO_FATAL_FAILURE.
  void RunThenServe(const std::string& sweep, Subprocess& coordinator,
                    std::unique_ptr<proto::CoordinatorClient>& client) {
    Subprocess run;
    ASSERT_TRUE(StartRun(run, sweep, "run.log").ok());
    ASSERT_EQ(run.Wait(400), 0) << ReadFile(dir_ + "/run.log")
                                << ReadFile(dir_ + "/data/logs/worker-0.log");
    auto connection = StartCoordinator(coordinator, Runfile("coordinator/hpsweep-coordinator"),
                                       dir_ + "/data", dir_ + "/coordinator.log");
    ASSERT_TRUE(connection.ok()) << connection.status();
    auto created = proto::CoordinatorClient::Create(*connection);
    ASSERT_TRUE(created.ok()) << created.status();
    client = std::move(*created);
  }

  // A client of the coordinator `hpsweep run` started (or of one started on
  // the data directory afterwards).
  std::unique_ptr<proto::CoordinatorClient> Client() {
    auto conn = proto::ResolveConnection("", "", dir_ + "/data");
    if (!conn.ok()) return nullptr;
    auto client = proto::CoordinatorClient::Create(*conn);
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::string dir_;
};

const proto::Trial* WithParam(const std::vector<proto::Trial>& trials, const std::string& value) {
  for (const auto& t : trials) {
    if (t.params.value("script", "") == value) return &t;
  }
  return nullptr;
}

// One `hpsweep run`: the helper script completes reporting every epoch, the
// stdout script completes through its "hpsweep:" lines, the raising script
// fails with its traceback's last lines.
TEST_F(CommandE2eTest, HelperStdoutAndFailingScriptsThroughHpsweepRun) {
  const std::string sweep = WriteSweep(CommandSweep(
      "scripts",
      {{"script", {{"values", {"train_helper.py", "train_stdout.py", "fail.py"}}}},
       {"lr", {{"value", 0.05}}}},
      dir_ + "/mark"));
  Subprocess coordinator;
  std::unique_ptr<proto::CoordinatorClient> client;
  ASSERT_NO_FATAL_FAILURE(RunThenServe(sweep, coordinator, client));
  auto trials = client->AllTrials(1);
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 3u);
  const std::string worker_log = ReadFile(dir_ + "/data/logs/worker-0.log");
  for (const char* script : {"train_helper.py", "train_stdout.py"}) {
    const proto::Trial* t = WithParam(*trials, script);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->state, proto::TrialState::kCompleted) << script << ": " << t->error << worker_log;
    ASSERT_TRUE(t->objective.has_value()) << script;
    EXPECT_LT(*t->objective, 0.2) << script << " learned the regression";
    auto metrics = client->TrialMetrics(t->id);
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    ASSERT_EQ((*metrics).size(), 4u) << script << ": one report per epoch";
    for (int e = 0; e < 4; ++e) {
      EXPECT_EQ((*metrics)[e].step, e);
      EXPECT_TRUE((*metrics)[e].values.count("val_loss"));
    }
    EXPECT_DOUBLE_EQ((*metrics)[3].values.at("val_loss"), *t->objective) << script;
  }
  const proto::Trial* failed = WithParam(*trials, "fail.py");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->state, proto::TrialState::kFailed);
  EXPECT_NE(failed->error.find("exited with status 1"), std::string::npos) << failed->error;
  EXPECT_NE(failed->error.find("ValueError: boom: learning rate 1 rejected"), std::string::npos)
      << failed->error;
  EXPECT_NE(failed->error.find("Traceback"), std::string::npos) << failed->error;
  coordinator.Kill(SIGTERM);
}

// tools/examples/lstm_freq_script.yaml, the example as a user runs it: its
// YAML, its train.py (plain PyTorch with the stdlib helper) and its search
// space, through `hpsweep run`, shortened by overriding three parameters
// (two trials of one epoch on a few short sequences) to stay seconds-fast.
TEST_F(CommandE2eTest, TheLstmFreqScriptExampleRunsAsWritten) {
  auto example = proto::ReadSweepFile(Runfile("tools/examples/lstm_freq_script.yaml"));
  ASSERT_TRUE(example.ok()) << example.status();
  Json spec = example->json;
  spec["max_trials"] = 2;
  spec["parameters"]["epochs"] = {{"value", 2}};
  spec["parameters"]["mixes"] = {{"value", 2}};
  spec["parameters"]["length"] = {{"value", 40}};
  // The example's workdir is relative to its own folder; this sweep file
  // lives elsewhere.
  spec["program"]["workdir"] = Absolute("tools/examples/lstm_freq_script");
  const std::string sweep = WriteSweep(spec);
  Subprocess coordinator;
  std::unique_ptr<proto::CoordinatorClient> client;
  ASSERT_NO_FATAL_FAILURE(RunThenServe(sweep, coordinator, client));
  auto trials = client->AllTrials(1);
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 2u);
  for (const proto::Trial& t : *trials) {
    SCOPED_TRACE(t.id);
    EXPECT_EQ(t.state, proto::TrialState::kCompleted) << t.error;
    ASSERT_TRUE(t.objective.has_value());
    EXPECT_TRUE(std::isfinite(*t.objective));
    auto metrics = client->TrialMetrics(t.id);
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    ASSERT_EQ(metrics->size(), 2u) << "train.py reports val_mse every epoch";
    EXPECT_EQ((*metrics)[1].values.at("val_mse"), *t.objective);
  }
  coordinator.Kill(SIGTERM);
}

// A cancel stops a script that ignores SIGTERM: SIGKILL after the grace.
TEST_F(CommandE2eTest, CancelEndsTheScriptWithinTheGracePeriod) {
  const std::string sweep = WriteSweep(CommandSweep(
      "cancel",
      {{"lr", {{"value", 0.05}}}, {"epochs", {{"value", 100000}}}, {"sleep", {{"value", 0.2}}},
       {"ignore_sigterm", {{"value", true}}}},
      dir_ + "/mark", "train_helper.py"));
  Subprocess run;
  ASSERT_TRUE(StartRun(run, sweep, "run.log").ok());
  std::unique_ptr<proto::CoordinatorClient> client;
  int64_t last_step = -1;
  for (int i = 0; i < 1200 && last_step < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!client) client = Client();
    if (!client) continue;
    auto t = client->GetTrial(1);
    if (t.ok()) last_step = t->last_step;
  }
  ASSERT_GE(last_step, 2) << ReadFile(dir_ + "/run.log")
                          << ReadFile(dir_ + "/data/logs/worker-0.log");
  const Json start = Json::parse(ReadFile(dir_ + "/mark/1.starts"));
  const pid_t pid = start["pid"].get<int>();
  ASSERT_TRUE(Alive(pid)) << "the script runs";
  ASSERT_TRUE(client->CancelSweep(1).ok());
  // The script ignores SIGTERM; the worker SIGKILLs it 2 s later (bounded
  // wait, not a timing assertion).
  bool gone = false;
  for (int i = 0; i < 600 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gone = !Alive(pid);
  }
  EXPECT_TRUE(gone) << "script " << pid << " still runs after the cancel\n"
                    << ReadFile(dir_ + "/data/logs/worker-0.log");
  // `hpsweep run` ends with the cancelled sweep: no completed trial, status 3
  // (its embedded coordinator goes with it, so the trial is read from the
  // store afterwards, read-only).
  EXPECT_EQ(run.Wait(120), 3) << ReadFile(dir_ + "/run.log");
  auto store = coordinator::OpenRocksStoreReadOnly(dir_ + "/data/db", {}, "test");
  ASSERT_TRUE(store.ok()) << store.status();
  auto trials = (*store)->LoadTrials(1, 0, 0);
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_FALSE(trials->empty());
  EXPECT_EQ(trials->front().state, proto::TrialState::kCancelled);
}

// A worker killed mid-trial: the trial is leased again and the script
// resumes from its own checkpoint folder (restored_step), not from epoch 0.
TEST_F(CommandE2eTest, KilledWorkersTrialResumesFromTheScriptsCheckpointFolder) {
  Subprocess coordinator;
  auto connection = StartCoordinator(coordinator, Runfile("coordinator/hpsweep-coordinator"),
                                     dir_ + "/data", dir_ + "/coordinator.log");
  ASSERT_TRUE(connection.ok()) << connection.status();
  auto client = proto::CoordinatorClient::Create(*connection).value();
  auto sweep = client->CreateSweep(CommandSweep(
      "resume", {{"lr", {{"value", 0.05}}}, {"epochs", {{"value", 8}}}, {"sleep", {{"value", 0.5}}}},
      dir_ + "/mark", "train_helper.py"));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  auto start_worker = [&](Subprocess& worker, const std::string& log) {
    return worker.Start({"mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                         "-np", "1", Runfile("worker/hpsweep-worker"), "--data-dir",
                         dir_ + "/data", "--idle-wait", "20", "--lease-seconds", "4",
                         "--base-dir", dir_},
                        dir_ + "/" + log, MpiTestEnvironment());
  };
  Subprocess first;
  ASSERT_TRUE(start_worker(first, "first.log").ok());
  int64_t checkpoint = -1;
  for (int i = 0; i < 1200 && checkpoint < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto t = client->GetTrial(1);
    if (t.ok()) checkpoint = t->checkpoint_step;
  }
  ASSERT_GE(checkpoint, 2) << ReadFile(dir_ + "/first.log");
  first.Kill(SIGKILL);  // the whole job: mpirun and its rank
  Subprocess second;
  ASSERT_TRUE(start_worker(second, "second.log").ok());
  ASSERT_EQ(second.Wait(300), 0) << ReadFile(dir_ + "/second.log");
  auto trial = client->GetTrial(1);
  ASSERT_TRUE(trial.ok());
  EXPECT_EQ(trial->state, proto::TrialState::kCompleted) << trial->error;
  EXPECT_GE(trial->attempt, 1);
  std::ifstream starts(dir_ + "/mark/1.starts");
  std::vector<Json> lines;
  for (std::string line; std::getline(starts, line);) lines.push_back(Json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << ReadFile(dir_ + "/second.log");
  EXPECT_EQ(lines[0]["start"], 0);
  EXPECT_GE(lines[1]["start"].get<int>(), checkpoint + 1) << "resumed after the checkpoint";
  EXPECT_FALSE(Alive(lines[0]["pid"].get<int>())) << "the killed worker's script is gone";
  auto metrics = client->TrialMetrics(1);
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ((*metrics).back().step, 7);
  coordinator.Kill(SIGTERM);
}

// Two ranks: both start the DDP script with one rendezvous; parameters are
// identical at the end; a failing rank fails the trial on both.
TEST_F(CommandE2eTest, TwoRankDdpScriptAndAFailingRank) {
  Subprocess coordinator;
  auto connection = StartCoordinator(coordinator, Runfile("coordinator/hpsweep-coordinator"),
                                     dir_ + "/data", dir_ + "/coordinator.log");
  ASSERT_TRUE(connection.ok()) << connection.status();
  auto client = proto::CoordinatorClient::Create(*connection).value();
  Json spec = CommandSweep("ddp", {{"lr", {{"value", 0.05}}}, {"fail_rank", {{"values", {-1, 1}}}}},
                           dir_ + "/mark", "ddp.py");
  spec["resources"] = {{"ranks_per_trial", 2}};
  auto sweep = client->CreateSweep(spec);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  Subprocess worker;
  ASSERT_TRUE(worker
                  .Start({"mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
                          "-np", "2", Runfile("worker/hpsweep-worker"), "--data-dir",
                          dir_ + "/data", "--idle-wait", "5", "--lease-seconds", "8",
                          "--base-dir", dir_},
                         dir_ + "/worker.log", MpiTestEnvironment())
                  .ok());
  ASSERT_EQ(worker.Wait(300), 0) << ReadFile(dir_ + "/worker.log");
  auto trials = client->AllTrials(sweep->id);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 2u);
  for (const auto& t : *trials) {
    if (t.params["fail_rank"] == -1) {
      EXPECT_EQ(t.state, proto::TrialState::kCompleted) << t.error << ReadFile(dir_ + "/worker.log");
      EXPECT_EQ(t.final_values.at("param_diff"), 0.0);
      EXPECT_EQ(t.final_values.at("world_size"), 2.0);
    } else {
      EXPECT_EQ(t.state, proto::TrialState::kFailed);
      EXPECT_NE(t.error.find("rank 1: command exited with status 1"), std::string::npos) << t.error;
      EXPECT_NE(t.error.find("RuntimeError: rank 1 fails on purpose"), std::string::npos) << t.error;
    }
  }
  const Json r0 = Json::parse(ReadFile(dir_ + "/mark/rank0.json"));
  const Json r1 = Json::parse(ReadFile(dir_ + "/mark/rank1.json"));
  EXPECT_EQ(r0["master"], r1["master"]);
  EXPECT_EQ(r0["world"], 2);
  EXPECT_EQ(r1["world"], 2);
  EXPECT_EQ(r1["local_rank"], 1);
  EXPECT_EQ(r0["params"], r1["params"]) << "DDP kept the ranks' parameters identical";
  coordinator.Kill(SIGTERM);
}

}  // namespace
}  // namespace hpsweep
