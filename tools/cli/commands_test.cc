#include "tools/cli/commands.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/cli/report.h"
#include "tools/cli/run_command.h"

namespace hpsweep::cli {
namespace {

proto::Trial MakeTrial(uint64_t id, double objective, const char* opt) {
  proto::Trial t;
  t.id = id;
  t.number = id - 1;
  t.state = proto::TrialState::kCompleted;
  t.objective = objective;
  t.params = {{"lr", 0.01}, {"opt", opt}};
  t.final_values = {{"loss", objective}};
  return t;
}

TEST(CliTest, CsvHasOneColumnPerParameterAndValue) {
  proto::Trial a = MakeTrial(1, 0.5, "sgd");
  proto::Trial b = MakeTrial(2, 0.25, "adam, w");
  b.params["momentum"] = 0.9;
  b.origin.source = "model";
  b.origin.model = "gp";
  const std::string csv = TrialsCsv({a, b});
  std::istringstream lines(csv);
  std::string header, row1, row2;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_EQ(header,
            "trial_id,number,state,objective,attempt,origin,origin_model,prune_step,prune_rung,"
            "prune_reason,param.lr,param.momentum,param.opt,value.loss,error");
  EXPECT_EQ(row1, "1,0,completed,0.5,0,,,,,,0.01,,sgd,0.5,");
  EXPECT_EQ(row2, "2,1,completed,0.25,0,model,gp,,,,0.01,0.9,\"adam, w\",0.25,");
}

TEST(CliTest, PrunedTrialsShowWhereAndWhy) {
  proto::Trial a = MakeTrial(1, 0.5, "sgd");
  proto::Trial b = MakeTrial(2, 0.25, "adam");
  b.state = proto::TrialState::kPruned;
  b.objective.reset();
  b.prune = proto::PruneInfo{3, 1, "asha: rung 1 (step 3): loss 0.9 ranks 2 of 2"};
  b.updated_us = 5;
  const std::string csv = TrialsCsv({a, b});
  EXPECT_NE(csv.find("2,1,pruned,,0,,,3,1,asha: rung 1 (step 3): loss 0.9 ranks 2 of 2,"),
            std::string::npos)
      << csv;
  const std::string table = TrialsTable({a, b});
  EXPECT_NE(table.find("pruned at step 3: asha: rung 1"), std::string::npos) << table;
  EXPECT_EQ(PrunedSummary({a}), "");
  EXPECT_EQ(PrunedSummary({a, b}),
            "pruned 1 trial: 1 at rung 1\n"
            "  latest, trial 2 at step 3: asha: rung 1 (step 3): loss 0.9 ranks 2 of 2\n");
}

TEST(CliTest, PrunedSummaryNamesWhatStoppedEachTrial) {
  proto::Trial asha = MakeTrial(1, 0.5, "sgd"), median = MakeTrial(2, 0.5, "sgd"),
               pbt = MakeTrial(3, 0.5, "sgd");
  for (proto::Trial* t : {&asha, &median, &pbt}) {
    t->state = proto::TrialState::kPruned;
    t->updated_us = t->id;
  }
  asha.prune = proto::PruneInfo{1, 0, "asha: rung 0 (step 1): loss 0.9 ranks 3 of 3"};
  median.prune =
      proto::PruneInfo{4, -1, "median: best loss 0.8 at step 4 is worse than the median 0.5"};
  pbt.prune = proto::PruneInfo{2, -1, "pbt: loss 0.9 at step 2 ranks 2 of 2"};
  EXPECT_EQ(PrunedSummary({asha, median, pbt}),
            "pruned 3 trials: 1 at rung 0, 1 by the median rule, 1 exploited by PBT\n"
            "  latest, trial 3 at step 2: pbt: loss 0.9 at step 2 ranks 2 of 2\n");
}

TEST(CliTest, PbtLineageShowsInTheTableAndTheCsv) {
  proto::Trial a = MakeTrial(1, 0.5, "sgd");
  proto::Trial b = MakeTrial(2, 0.25, "sgd");
  b.parent = proto::TrialParent{1, 120, 4, 3, 0, "lr 0.01 -> 0.012 (x1.2)"};
  const std::string table = TrialsTable({a, b});
  EXPECT_NE(table.find("pbt child of trial 1 from step 4 (checkpoint 120), replacing trial 3: "
                       "lr 0.01 -> 0.012 (x1.2)"),
            std::string::npos)
      << table;
  std::istringstream lines(TrialsCsv({a, b}));
  std::string header, row1, row2;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_NE(header.find("prune_reason,parent_trial_id,parent_start_step,parent_checkpoint_step,"
                        "replaced_trial_id,explore,param.lr"),
            std::string::npos)
      << header;
  EXPECT_NE(row1.find(",,,,,,0.01,"), std::string::npos) << row1;
  EXPECT_NE(row2.find(",1,4,120,3,lr 0.01 -> 0.012 (x1.2),0.01,"), std::string::npos) << row2;
}

TEST(CliTest, CsvAndTableCarryTheError) {
  proto::Trial t = MakeTrial(3, 0, "sgd");
  t.state = proto::TrialState::kFailed;
  t.objective.reset();
  t.final_values.clear();
  t.error = "cannot open \"data.npy\", no such file";
  const std::string csv = TrialsCsv({t});
  EXPECT_NE(csv.find(",\"cannot open \"\"data.npy\"\", no such file\"\n"), std::string::npos)
      << csv;
  const std::string table = TrialsTable({t});
  EXPECT_NE(table.find("ERROR"), std::string::npos) << table;
  EXPECT_NE(table.find("cannot open \"data.npy\""), std::string::npos) << table;
}

TEST(CliTest, FailuresAreGroupedByReasonWithAnExample) {
  std::vector<proto::Trial> trials;
  auto failed = [&](uint64_t id, const std::string& error) {
    proto::Trial t = MakeTrial(id, 0, "sgd");
    t.state = proto::TrialState::kFailed;
    t.error = error;
    trials.push_back(t);
  };
  failed(4, "rank 0: loss is NaN at step 3 (epoch 0)");
  trials.push_back(MakeTrial(5, 0.5, "adam"));
  failed(6, "cannot open data.npy");
  failed(7, "rank 0: loss is NaN at step 17 (epoch 2)");
  EXPECT_EQ(FailureKey("loss is NaN at step 17 (epoch 2)"), "loss is NaN at step # (epoch #)");
  EXPECT_EQ(FailureSummary(trials),
            "failures by reason (3 failed):\n"
            "  2 x  rank 0: loss is NaN at step 3 (epoch 0)  (e.g. trial 4)\n"
            "  1 x  cannot open data.npy  (e.g. trial 6)\n");
  EXPECT_EQ(FailureSummary({MakeTrial(1, 0.5, "sgd")}), "");
}

// An error text is shown on one line, and a control character in it (an
// escape sequence from a script's stderr) cannot reach the terminal raw.
TEST(CliTest, OneLineFlattensAndEscapesControlCharacters) {
  EXPECT_EQ(OneLine("line one\nline\ttwo\r", 80), "line one line two ");
  EXPECT_EQ(OneLine("\x1B[2J\x1B[31mred\xC2\x9B", 80), "\\x1B[2J\\x1B[31mred\\u009B");
  EXPECT_EQ(OneLine(std::string(100, 'x'), 10), "xxxxxxx...");
  EXPECT_EQ(OneLine("caf\xC3\xA9", 80), "caf\xC3\xA9");
}

TEST(CliTest, BestTrialsAreTheTopCompletedUnderTheGoal) {
  proto::SweepSpec spec;
  spec.metric.goal = proto::Goal::kMaximize;
  proto::Trial failed = MakeTrial(4, 9, "sgd");
  failed.state = proto::TrialState::kFailed;
  const auto best = BestTrials(
      {MakeTrial(1, 0.5, "a"), MakeTrial(2, 0.9, "b"), failed, MakeTrial(3, 0.7, "c")}, spec, 2);
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(best[0].id, 2u);
  EXPECT_EQ(best[1].id, 3u);
}

TEST(CliTest, MetricsInLongFormAndAsATable) {
  proto::MetricPoint p1{8, {{"val_loss", 0.5}, {"epoch", 1}}, 100};
  proto::MetricPoint p2{16, {{"val_loss", 0.25}}, 200};
  EXPECT_EQ(MetricsCsvLong({{3, {p1, p2}}}),
            "trial_id,step,metric,value,time_us\n"
            "3,8,epoch,1,100\n"
            "3,8,val_loss,0.5,100\n"
            "3,16,val_loss,0.25,200\n");
  const std::string table = MetricsTable({p1, p2});
  EXPECT_NE(table.find("STEP"), std::string::npos);
  EXPECT_NE(table.find("16        -"), std::string::npos) << table;
}

TEST(CliTest, VersionRunHelpAndBadStatesAnswerWithoutACoordinator) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCli({"--version"}, out, err), 0);
  EXPECT_NE(out.str().find("hpsweep "), std::string::npos);
  std::ostringstream run_out, run_err;
  EXPECT_EQ(RunCli({"run", "--help"}, run_out, run_err), 0);
  EXPECT_NE(run_out.str().find("--worker-binary PATH"), std::string::npos) << run_out.str();
  EXPECT_NE(run_out.str().find("--if-changed"), std::string::npos);
  EXPECT_NE(run_out.str().find("exit status"), std::string::npos);
  std::ostringstream s_out, s_err;
  EXPECT_EQ(
      RunCli({"trials", "1", "--state", "bogus", "--url", "http://127.0.0.1:1"}, s_out, s_err), 2);
  EXPECT_NE(s_err.str().find("pending, leased, running, completed, failed, pruned, cancelled"),
            std::string::npos)
      << s_err.str();
  std::ostringstream d_out, d_err;
  EXPECT_EQ(RunCli({"list", "--data-dir", "no/such/dir"}, d_out, d_err), 1);
  EXPECT_NE(d_err.str().find("data directory no/such/dir does not exist"), std::string::npos)
      << d_err.str();
}

TEST(CliTest, TrialsTableShowsHowEachTrialWasChosen) {
  proto::Trial a = MakeTrial(1, 0.5, "sgd");
  a.origin.source = "fallback";
  a.origin.reason = "no fresh model suggestion within max_wait_seconds (30 s)";
  proto::Trial b = MakeTrial(2, 0.25, "adam");
  b.origin.source = "model";
  b.origin.model = "tpe";
  const std::string table = TrialsTable({a, b});
  EXPECT_NE(table.find("ORIGIN"), std::string::npos);
  EXPECT_NE(table.find("fallback"), std::string::npos);
  EXPECT_NE(table.find("model:tpe"), std::string::npos);
}

TEST(CliTest, HelpPrintsUsage) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCli({"--help"}, out, err), 0);
  EXPECT_NE(out.str().find("usage: hpsweep COMMAND"), std::string::npos);
  EXPECT_EQ(RunCli({"run", "--help"}, out, err), 0);
  EXPECT_TRUE(err.str().empty()) << err.str();
}

TEST(CliTest, UsageErrorsExitWithTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCli({}, out, err), 2);
  EXPECT_EQ(RunCli({"frobnicate"}, out, err), 2);
  EXPECT_NE(err.str().find("unknown command \"frobnicate\""), std::string::npos);
  EXPECT_EQ(RunCli({"status", "abc", "--url", "http://127.0.0.1:1"}, out, err), 2);
  EXPECT_EQ(RunCli({"list", "--bogus"}, out, err), 2);
}

TEST(CliTest, BadFlagValuesAreUsageErrorsNamingFlagAndValue) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"run", "sweep.json", "--workers", "abc"},
       "--workers must be a whole number in [1, 1024], found \"abc\""},
      {{"run", "sweep.json", "--ranks-per-worker=0"}, "--ranks-per-worker must be"},
      {{"watch", "1", "--interval", "soon"}, "--interval must be a number"},
      {{"status", "0"}, "a sweep id must be a whole number"},
      {{"list", "--url"}, "--url needs a value"},
  };
  for (const Case& c : cases) {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli(c.args, out, err), 2) << c.message;
    EXPECT_NE(err.str().find(c.message), std::string::npos) << err.str();
  }
}

TEST(CliTest, InvalidSweepFileIsRejectedBeforeContactingAnyone) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/bad.json";
  FILE* f = fopen(path.c_str(), "w");
  fputs(R"({"name": "x", "metric": {"name": "loss"}, "method": "random",
            "parameters": {"lr": {"min": 1, "max": 0.1}}, "program": {"external": true}})",
        f);
  fclose(f);
  std::ostringstream out, err;
  // No coordinator runs at this URL: failing on the file proves it was checked first.
  EXPECT_EQ(RunCli({"submit", path, "--url", "http://127.0.0.1:1"}, out, err), 1);
  EXPECT_NE(err.str().find("/parameters/lr/max"), std::string::npos) << err.str();
}

TEST(CliTest, UnreachableCoordinatorSaysSo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCli({"list", "--url", "http://127.0.0.1:1"}, out, err), 1);
  EXPECT_NE(err.str().find("cannot reach the coordinator at http://127.0.0.1:1"), std::string::npos)
      << err.str();
}

TEST(CliTest, SuggestedCommandsCallTheCliAsItCanBeFound) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "rerun";
  fs::remove_all(dir);
  fs::create_directories(dir / "bin");
  fs::create_directories(dir / "elsewhere");
  const fs::path real = dir / "bin" / "hpsweep";
  std::ofstream(real) << "#!/bin/sh\n";
  fs::permissions(real, fs::perms::owner_all);
  // Found by PATH: the short name.
  EXPECT_EQ(CommandToRerun("hpsweep", "", real.string()), "hpsweep");
  EXPECT_EQ(CommandToRerun((dir / "bin" / "hpsweep").string(), "/nowhere:" + (dir / "bin").string(),
                           real.string()),
            "hpsweep");
  // A symlink on PATH to this binary counts as this binary.
  fs::create_symlink(real, dir / "elsewhere" / "hpsweep");
  EXPECT_EQ(CommandToRerun("bazel-bin/tools/cli/hpsweep", (dir / "elsewhere").string(), real.string()),
            "hpsweep");
  // Not on PATH (or another hpsweep there): the path it was started by.
  EXPECT_EQ(CommandToRerun("bazel-bin/tools/cli/hpsweep", "/nowhere", real.string()),
            "bazel-bin/tools/cli/hpsweep");
  EXPECT_EQ(CommandToRerun("bazel-bin/tools/cli/hpsweep", "/usr/bin:/bin", real.string()),
            "bazel-bin/tools/cli/hpsweep");
  EXPECT_EQ(CommandToRerun("/tmp/my dir/it's/hpsweep", "", real.string()),
            "'/tmp/my dir/it'\\''s/hpsweep'");
}

}  // namespace
}  // namespace hpsweep::cli
