#include "tools/cli/commands.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

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
            "prune_reason,param.lr,param.momentum,param.opt,value.loss");
  EXPECT_EQ(row1, "1,0,completed,0.5,0,,,,,,0.01,,sgd,0.5");
  EXPECT_EQ(row2, "2,1,completed,0.25,0,model,gp,,,,0.01,0.9,\"adam, w\",0.25");
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

}  // namespace
}  // namespace hpsweep::cli
