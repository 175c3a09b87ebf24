// End-to-end tests of issue 14 ("runs a person can trust") through real
// `hpsweep run` processes (embedded coordinator, mpirun workers):
//   - pre-flight refuses a wrong data path, an out-of-range categorical value
//     and a metric the model does not report before any worker starts;
//   - a sweep whose every trial fails (data that trains to NaN) is stopped
//     by fail-fast, exits 3 and prints the reason, grouped, with an example;
//   - its results are read afterwards with no coordinator running (the store
//     opened read-only): status with the reason, trials and CSV with the
//     error, best saying why there is none; bad names get clear errors;
//   - a completed TorchScript sweep (module and data beside the sweep file,
//     relative paths) keeps its final step as a checkpoint, only the latest
//     per trial (retention), shows a trial's curve, exports it in long form,
//     and `checkpoint get` writes a module LibTorch loads and runs — and,
//     in the test tagged python-torch, Debian's python3 torch.jit.load too;
//   - running an edited sweep file asks for --if-changed, and `new` starts a
//     new sweep in the same data directory.
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/subprocess.h"
#include "coordinator/store/rocks_store.h"
#include "coordinator/store/store.h"
#include "gtest/gtest.h"
#include "proto/json_reader.h"
#include "tests/coordinator_process.h"

namespace hpsweep {
namespace {

namespace fs = std::filesystem;
using proto::Json;

// A TorchScript sweep over the tiny regressor; paths relative to the sweep
// file, as a user who copies an example into their own folder has them.
Json TorchScriptSweep(const std::string& name, int trials, int epochs,
                      const std::string& data = "model/regression.npy") {
  return {{"name", name},
          {"metric", {{"name", "val_loss"}, {"goal", "minimize"}}},
          {"method", "random"},
          {"seed", 3},
          {"max_trials", trials},
          {"parameters",
           {{"lr", {{"distribution", "log_uniform"}, {"min", 0.001}, {"max", 0.05}}}}},
          {"program",
           {{"model", "torchscript"},
            {"args",
             {{"module", "model/tiny_regressor.pt"},
              {"train_data", data},
              {"loss", "mse"},
              {"batch_size", 32},
              {"epochs", epochs}}}}}};
}

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

class TrustE2eTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir(testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ + "/model");
    fs::copy_file(Runfile("models/testdata/tiny_regressor.pt"), dir_ + "/model/tiny_regressor.pt");
    fs::copy_file(Runfile("models/testdata/regression.npy"), dir_ + "/model/regression.npy");
    data_ = dir_ + "/data";
  }

  std::string WriteSweep(const Json& sweep) {
    const std::string path = dir_ + "/sweep.json";
    std::ofstream(path) << sweep.dump(2);
    return path;
  }

  // Runs `hpsweep ARGS` to completion (stdout and stderr in one log).
  Result Cli(std::vector<std::string> args, int timeout_seconds = 60) {
    static int n = 0;
    const std::string log = dir_ + "/cli-" + std::to_string(++n) + ".log";
    std::vector<std::string> environment = MpiTestEnvironment();
    environment.push_back("HPSWEEP_WORKER=" + Runfile("worker/hpsweep-worker"));
    args.insert(args.begin(), Runfile("tools/cli/hpsweep"));
    Subprocess p;
    Status started = p.Start(args, log, environment);
    EXPECT_TRUE(started.ok()) << started;
    Result r;
    r.code = p.Wait(timeout_seconds);
    if (r.code == -1) p.Kill(SIGKILL);
    r.out = ReadFile(log);
    return r;
  }

  Result Run(const std::string& sweep, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", sweep, "--workers", "2", "--data-dir", data_};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cli(args, 600);
  }

  std::string dir_, data_;
};

TEST_F(TrustE2eTest, PreflightRefusesWhatWouldFailEveryTrialBeforeAnyStarts) {
  struct Case {
    Json sweep;
    std::string field, message;
  };
  Json bad_batch = TorchScriptSweep("bad-batch", 10, 2);
  bad_batch["parameters"]["batch_size"] = {{"values", {0, 32}}};
  Json bad_metric = TorchScriptSweep("bad-metric", 10, 2);
  bad_metric["metric"]["name"] = "val_mse";
  const std::vector<Case> cases = {
      {TorchScriptSweep("wrong-path", 10, 2, "model/no_such_data.npy"), "/program/args/train_data",
       "no_such_data.npy"},
      {bad_batch, "/parameters/batch_size/values/0", "batch_size"},
      {bad_metric, "/metric/name", "not the sweep metric \"val_mse\""},
  };
  for (const Case& c : cases) {
    const Result run = Run(WriteSweep(c.sweep));
    EXPECT_EQ(run.code, 1) << run.out;
    EXPECT_NE(run.out.find("(at " + c.field + ")"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find(c.message), std::string::npos) << run.out;
    EXPECT_FALSE(fs::exists(data_ + "/logs")) << "no worker started";
  }
}

TEST_F(TrustE2eTest, EveryTrialFailingIsStoppedByFailFastAndEveryReadSaysWhy) {
  // Data that loads but trains to a NaN loss at the first step: what
  // pre-flight cannot see, every trial fails the same way.
  {
    std::ofstream csv(dir_ + "/model/nan.csv");
    csv << "a,b,c,d,y\n";
    for (int i = 0; i < 64; ++i) csv << i << ",1,2,3,nan\n";
  }
  const std::string sweep = WriteSweep(TorchScriptSweep("nan-data", 30, 3, "model/nan.csv"));
  const Result run = Run(sweep);
  ASSERT_EQ(run.code, 3) << run.out;
  EXPECT_NE(run.out.find("last failure: trial"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("failures by reason (5 failed):"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("5 x  "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("loss is NaN at step 0"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("(e.g. trial "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("is failed: 0 completed, 5 failed"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("reason: stopped after 5 trials failed in a row "
                         "(max_consecutive_failures 5)"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("was stopped by fail-fast"), std::string::npos) << run.out;

  // No coordinator runs now: every read opens the store read-only.
  const Result status = Cli({"status", "1", "--data-dir", data_});
  ASSERT_EQ(status.code, 0) << status.out;
  EXPECT_NE(status.out.find("failed  method=random"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("reason: stopped after 5 trials failed in a row"), std::string::npos)
      << status.out;
  const Result failed = Cli({"trials", "1", "--state", "failed", "--data-dir", data_});
  ASSERT_EQ(failed.code, 0) << failed.out;
  EXPECT_NE(failed.out.find("ERROR"), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("loss is NaN"), std::string::npos) << failed.out;
  const Result csv = Cli({"export", "1", "--data-dir", data_});  // csv by default
  ASSERT_EQ(csv.code, 0) << csv.out;
  EXPECT_NE(csv.out.find(",error\n"), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find("loss is NaN"), std::string::npos) << csv.out;
  const Result json = Cli({"export", "1", "--format", "json", "--data-dir", data_});
  ASSERT_EQ(json.code, 0) << json.out;
  EXPECT_NE(json.out.find("\"error\": "), std::string::npos) << json.out;
  const Result best = Cli({"best", "1", "--data-dir", data_});
  EXPECT_EQ(best.code, 1);
  EXPECT_NE(best.out.find("sweep 1 has no completed trial: 5 failed"), std::string::npos)
      << best.out;

  const Result missing = Cli({"list", "--data-dir", dir_ + "/no/such/dir"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("data directory " + dir_ + "/no/such/dir does not exist"),
            std::string::npos)
      << missing.out;
  const Result bogus = Cli({"trials", "1", "--state", "bogus", "--data-dir", data_});
  EXPECT_EQ(bogus.code, 2);
  EXPECT_NE(bogus.out.find("pending, leased, running, completed, failed, pruned, cancelled"),
            std::string::npos)
      << bogus.out;
}

// Loads `path` with LibTorch and runs it on one row of 4 features.
void ExpectLoadsAndRuns(const std::string& path) {
  torch::jit::Module module = torch::jit::load(path);
  torch::Tensor out = module.forward({torch::ones({1, 4})}).toTensor();
  EXPECT_EQ(out.numel(), 1);
  EXPECT_TRUE(std::isfinite(out.item<float>()));
}

TEST_F(TrustE2eTest, ACompletedSweepKeepsTheTrainedModelAndItsCurveReadableOffline) {
  const std::string sweep = WriteSweep(TorchScriptSweep("tiny-ts", 3, 4));
  const Result run = Run(sweep);
  ASSERT_EQ(run.code, 0) << run.out;
  EXPECT_NE(run.out.find("sweep 1 is completed: 3 completed, 0 failed"), std::string::npos)
      << run.out;

  // The store, read directly: the final step is each trial's checkpoint, and
  // retention (keep_checkpoints 1) left only that one.
  {
    auto store = coordinator::OpenRocksStoreReadOnly(data_ + "/db", {}, "test");
    ASSERT_TRUE(store.ok()) << store.status();
    auto trials = (*store)->LoadTrials(1, 0, 0);
    ASSERT_TRUE(trials.ok());
    ASSERT_EQ(trials->size(), 3u);
    for (const proto::Trial& t : *trials) {
      EXPECT_EQ(t.state, proto::TrialState::kCompleted) << t.error;
      // Reports count epochs (last_step is the last epoch) and checkpoints
      // count optimizer steps: the final checkpoint is at the end of the last
      // epoch, a whole number of epochs' steps. (worker_e2e_test checks the
      // exact step where the steps per epoch are known.)
      EXPECT_GT(t.checkpoint_step, 0) << "trial " << t.id;
      EXPECT_EQ(t.checkpoint_step % t.last_step, 0) << "trial " << t.id << ": the last step is kept";
      auto kept = (*store)->ListCheckpoints(t.id);
      ASSERT_TRUE(kept.ok());
      ASSERT_EQ(kept->size(), 1u) << "trial " << t.id;
      EXPECT_EQ(kept->front().step, t.checkpoint_step);
    }
  }

  const Result curve = Cli({"metrics", "1", "--data-dir", data_});
  ASSERT_EQ(curve.code, 0) << curve.out;
  EXPECT_NE(curve.out.find("STEP"), std::string::npos) << curve.out;
  EXPECT_NE(curve.out.find("val_loss"), std::string::npos) << curve.out;
  EXPECT_EQ(std::count(curve.out.begin(), curve.out.end(), '\n'), 5) << "a header and 4 epochs\n"
                                                                    << curve.out;
  const Result long_form = Cli({"export", "1", "--format", "metrics", "--data-dir", data_});
  ASSERT_EQ(long_form.code, 0) << long_form.out;
  EXPECT_EQ(long_form.out.rfind("trial_id,step,metric,value,time_us\n", 0), 0u) << long_form.out;
  EXPECT_NE(long_form.out.find("\n3,"), std::string::npos) << "every trial's rows";
  EXPECT_NE(long_form.out.find(",val_loss,"), std::string::npos);
  const Result top = Cli({"best", "1", "--top", "2", "--data-dir", data_});
  ASSERT_EQ(top.code, 0) << top.out;
  EXPECT_EQ(std::count(top.out.begin(), top.out.end(), '\n'), 3) << top.out;

  const std::string model = dir_ + "/trained.pt";
  const Result got = Cli({"checkpoint", "get", "2", "-o", model, "--data-dir", data_});
  ASSERT_EQ(got.code, 0) << got.out;
  EXPECT_NE(got.out.find("a TorchScript module"), std::string::npos) << got.out;
  ExpectLoadsAndRuns(model);
  // The trained parameters, not the module's initial ones.
  torch::jit::Module initial = torch::jit::load(dir_ + "/model/tiny_regressor.pt");
  torch::jit::Module trained = torch::jit::load(model);
  auto first_parameter = [](const torch::jit::Module& m) {
    for (const auto& p : m.named_parameters()) return p.value;
    return torch::Tensor();
  };
  EXPECT_FALSE(torch::equal(first_parameter(initial), first_parameter(trained)));

  // An edited sweep file: run stops and asks, then starts a new sweep.
  const std::string edited = WriteSweep(TorchScriptSweep("tiny-ts", 2, 2));
  const Result asked = Run(edited);
  EXPECT_EQ(asked.code, 1) << asked.out;
  EXPECT_NE(asked.out.find("differs from sweep 1"), std::string::npos) << asked.out;
  EXPECT_NE(asked.out.find("--if-changed resume"), std::string::npos) << asked.out;
  const Result fresh = Run(edited, {"--if-changed", "new"});
  ASSERT_EQ(fresh.code, 0) << fresh.out;
  EXPECT_NE(fresh.out.find("sweep 2 is completed: 2 completed"), std::string::npos) << fresh.out;
  const Result listed = Cli({"list", "--data-dir", data_});
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 3) << listed.out;
}

// Tagged python-torch: Debian's python3 with torch loads what checkpoint get
// wrote.
TEST_F(TrustE2eTest, PythonTorchJitLoadsTheDownloadedModule) {
  const std::string sweep = WriteSweep(TorchScriptSweep("py-ts", 1, 2));
  const Result run = Run(sweep);
  ASSERT_EQ(run.code, 0) << run.out;
  const std::string model = dir_ + "/trained.pt";
  const Result got = Cli({"checkpoint", "get", "1", "-o", model, "--data-dir", data_});
  ASSERT_EQ(got.code, 0) << got.out;
  Subprocess python;
  const std::string log = dir_ + "/python.log";
  ASSERT_TRUE(python
                  .Start({"/usr/bin/python3", "-c",
                          "import sys, torch\n"
                          "m = torch.jit.load(sys.argv[1])\n"
                          "y = m(torch.ones(1, 4))\n"
                          "assert y.numel() == 1 and torch.isfinite(y).all()\n"
                          "print('loaded', tuple(y.shape))\n",
                          model},
                         log)
                  .ok());
  EXPECT_EQ(python.Wait(120), 0) << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("loaded (1, 1)"), std::string::npos) << ReadFile(log);
}

}  // namespace
}  // namespace hpsweep
