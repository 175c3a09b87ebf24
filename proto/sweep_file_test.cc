// Sweep files: YAML and JSON forms of one sweep, and where errors point.
#include "proto/sweep_file.h"

#include "gtest/gtest.h"

namespace hpsweep::proto {
namespace {

constexpr char kJson[] = R"({
  "name": "demo", "metric": {"name": "val_loss", "goal": "minimize"}, "method": "random",
  "parameters": {
    "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 0.1},
    "layers": {"min": 1, "max": 4},
    "opt": {"values": ["sgd", "adam", "1e3", "true"]},
    "flag": {"values": [true, false]},
    "momentum": {"min": 0.0, "max": 0.9, "condition": {"parent": "opt", "values": ["sgd"]}}
  },
  "max_trials": 10,
  "program": {"command": ["/usr/bin/python3", "train.py", "${args}"], "workdir": "s"}
})";

constexpr char kYaml[] = R"(# a comment
name: demo
metric: {name: val_loss, goal: minimize}
method: random
parameters:
  lr:
    distribution: log_uniform
    min: 1e-4
    max: 0.1
  layers: {min: 1, max: 4}
  opt:
    values: [sgd, adam, "1e3", 'true']
  flag:
    values: [true, false]
  momentum:
    min: 0.0
    max: 0.9
    condition:
      parent: opt
      values: [sgd]
max_trials: 10
program:
  command:
    - /usr/bin/python3
    - train.py
    - ${args}
  workdir: s
)";

TEST(SweepFileTest, YamlAndJsonFormsParseToTheSameSweep) {
  auto json = ParseSweepFile(kJson, SweepFileFormat::kJson);
  ASSERT_TRUE(json.ok()) << json.status();
  auto yaml = ParseSweepFile(kYaml, SweepFileFormat::kYaml);
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  EXPECT_EQ(yaml->json, json->json);
  EXPECT_EQ(ToJson(yaml->spec), ToJson(json->spec));
  EXPECT_EQ(FindParameter(yaml->spec, "layers")->kind, ParamKind::kIntUniform);
  EXPECT_EQ(FindParameter(yaml->spec, "opt")->values[2], "1e3") << "quoted stays a string";
}

TEST(SweepFileTest, FormatComesFromTheName) {
  EXPECT_EQ(SweepFileFormatOf("a/b.yaml"), SweepFileFormat::kYaml);
  EXPECT_EQ(SweepFileFormatOf("b.YML"), SweepFileFormat::kYaml);
  EXPECT_EQ(SweepFileFormatOf("b.json"), SweepFileFormat::kJson);
  EXPECT_EQ(SweepFileFormatOf("b"), SweepFileFormat::kJson);
}

TEST(SweepFileTest, SyntaxErrorNamesLineAndColumn) {
  auto bad = ParseSweepFile("name: demo\nmetric: {name: x\nmethod: grid\n", SweepFileFormat::kYaml);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("YAML syntax error at line 3, column"), std::string::npos)
      << bad.status();
}

TEST(SweepFileTest, SpecErrorNamesLineColumnAndField) {
  std::string text = kYaml;
  text.replace(text.find("max: 0.1"), 8, "max: -1.0");
  auto bad = ParseSweepFile(text, SweepFileFormat::kYaml);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "/parameters/lr/max");
  EXPECT_NE(bad.status().message().find("line 9, column 10: expected max > min"), std::string::npos)
      << bad.status();

  text = kYaml;
  text.replace(text.find("method: random"), 14, "method: randm");
  bad = ParseSweepFile(text, SweepFileFormat::kYaml);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "/method");
  EXPECT_NE(bad.status().message().find("line 4, column 9"), std::string::npos) << bad.status();

  // A missing field is reported at the object that lacks it.
  bad = ParseSweepFile("name: x\nmetric:\n  goal: minimize\n", SweepFileFormat::kYaml);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "/metric/name");
  EXPECT_NE(bad.status().message().find("line 3, column 3"), std::string::npos) << bad.status();
}

TEST(SweepFileTest, YamlValuesWithoutAJsonFormAreRefused) {
  for (const char* text : {"name: a\nname: b\n", "? [a, b]\n: 1\n", "x: .inf\n",
                           "x: 99999999999999999999999\n"}) {
    auto bad = ParseSweepFile(text, SweepFileFormat::kYaml);
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.status().message().find("line "), std::string::npos) << bad.status();
  }
  auto dup = ParseSweepFile("name: a\nname: b\n", SweepFileFormat::kYaml);
  EXPECT_EQ(dup.status().field(), "/name");
  EXPECT_NE(dup.status().message().find("duplicate key"), std::string::npos);
  // A JSON file that is not JSON still says so.
  EXPECT_FALSE(ParseSweepFile("name: demo", SweepFileFormat::kJson).ok());
  EXPECT_EQ(ReadSweepFile("/nonexistent/sweep.yaml").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hpsweep::proto
