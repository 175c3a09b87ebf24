// Command programs in a sweep file: "program": {"command": [...], ...}.
#include <string>

#include "gtest/gtest.h"
#include "proto/messages.h"
#include "proto/sweep_spec.h"

namespace hpsweep::proto {
namespace {

Json CommandSpec(Json program) {
  Json spec = Json::parse(R"({
    "name": "script", "metric": {"name": "val_loss"}, "method": "random",
    "parameters": {"lr": {"min": 0.001, "max": 0.1}, "opt": {"values": ["sgd", "adam"]},
                   "momentum": {"min": 0.1, "max": 0.9,
                                "condition": {"parent": "opt", "values": ["sgd"]}}}
  })");
  spec["program"] = std::move(program);
  return spec;
}

TEST(SweepSpecCommandTest, ParsesACommandProgramWithDefaults) {
  auto spec = ParseSweepSpec(CommandSpec({{"command", {"/usr/bin/python3", "train.py", "${args}"}}}));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->program.IsCommand());
  EXPECT_FALSE(spec->program.external);
  EXPECT_EQ(spec->program.model, "");
  EXPECT_EQ(spec->program.command,
            (std::vector<std::string>{"/usr/bin/python3", "train.py", "${args}"}));
  EXPECT_EQ(spec->program.workdir, "");
  EXPECT_EQ(spec->program.stop_grace_seconds, 10);
  EXPECT_EQ(spec->program.env, Json::object());
}

TEST(SweepSpecCommandTest, RoundTripsThroughCanonicalJsonAndLeasedTrials) {
  Json program = {{"command", {"python3", "train.py", "--lr=${lr}", "--opt", "${opt}"}},
                  {"workdir", "scripts"},
                  {"env", {{"OMP_NUM_THREADS", "1"}}},
                  {"stop_grace_seconds", 2.5}};
  auto spec = ParseSweepSpec(CommandSpec(program));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->program.workdir, "scripts");
  EXPECT_EQ(spec->program.env["OMP_NUM_THREADS"], "1");
  EXPECT_EQ(spec->program.stop_grace_seconds, 2.5);
  auto again = ParseSweepSpec(ToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ToJson(*again), ToJson(*spec));

  // A worker reads the program back from an ask's answer.
  LeasedTrial leased{Trial{}, spec->metric, spec->program};
  AskResponse response;
  response.trials.push_back(leased);
  AskResponse read;
  ASSERT_TRUE(FromJson(ToJson(response), &read).ok());
  ASSERT_EQ(read.trials.size(), 1u);
  EXPECT_EQ(read.trials[0].program.command, spec->program.command);
  EXPECT_EQ(read.trials[0].program.workdir, "scripts");
  EXPECT_EQ(read.trials[0].program.stop_grace_seconds, 2.5);
}

struct BadCommand {
  const char* program;  // JSON
  const char* field;
  const char* message_part;
};

class SweepSpecCommandErrorTest : public ::testing::TestWithParam<BadCommand> {};

TEST_P(SweepSpecCommandErrorTest, NamesTheField) {
  auto spec = ParseSweepSpec(CommandSpec(Json::parse(GetParam().program)));
  ASSERT_FALSE(spec.ok()) << GetParam().program;
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().field(), GetParam().field) << spec.status();
  EXPECT_NE(spec.status().message().find(GetParam().message_part), std::string::npos)
      << spec.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SweepSpecCommandErrorTest,
    ::testing::Values(
        BadCommand{R"({"command": []})", "/program/command", "non-empty array"},
        BadCommand{R"({"command": "python3 train.py"})", "/program/command", "array of strings"},
        BadCommand{R"({"command": ["python3", 3]})", "/program/command/1", "expected a string"},
        BadCommand{R"({"command": ["${lr}", "x"]})", "/program/command/0", "plain path"},
        BadCommand{R"({"command": ["python3", "--all=${args}"]})", "/program/command/1",
                   "whole element"},
        BadCommand{R"({"command": ["python3", "--width=${width}"]})", "/program/command/1",
                   "\"${width}\" is not a parameter"},
        BadCommand{R"({"command": ["python3", "--lr=${lr"]})", "/program/command/1",
                   "unterminated"},
        BadCommand{R"({"command": ["python3"], "model": "mlp"})", "/program/command",
                   "one of"},
        BadCommand{R"({"command": ["python3"], "external": true})", "/program/command", "one of"},
        BadCommand{R"({"command": ["python3"], "args": {"a": 1}})", "/program/args",
                   "takes no \"args\""},
        BadCommand{R"({"command": ["python3"], "env": {"1X": "a"}})", "/program/env/1X",
                   "variable name"},
        BadCommand{R"({"command": ["python3"], "env": {"HPSWEEP_PARAMS": "a"}})",
                   "/program/env/HPSWEEP_PARAMS", "set by the worker"},
        BadCommand{R"({"command": ["python3"], "env": {"X": 1}})", "/program/env/X",
                   "expected a string"},
        BadCommand{R"({"command": ["python3"], "stop_grace_seconds": -1})",
                   "/program/stop_grace_seconds", "[0, 3600]"},
        BadCommand{R"({"command": ["python3"], "workdir": 3})", "/program/workdir", "string"},
        BadCommand{R"({"command": ["python3"], "comand": 3})", "/program/comand", ""},
        BadCommand{R"({"model": "mlp", "workdir": "x"})", "/program/workdir",
                   "only a command program"},
        BadCommand{R"({})", "/program/model", "\"command\""}));

}  // namespace
}  // namespace hpsweep::proto
