#include "proto/sweep_spec.h"

#include <string>

#include "gtest/gtest.h"

namespace hpsweep::proto {
namespace {

Json ValidSpec() {
  return Json::parse(R"({
    "name": "mlp-demo",
    "metric": {"name": "val_loss", "goal": "minimize"},
    "method": "random",
    "parameters": {
      "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 1e-1},
      "width": {"distribution": "int_uniform", "min": 16, "max": 256},
      "layers": {"min": 1, "max": 4},
      "dropout": {"min": 0.0, "max": 0.5},
      "optimizer": {"values": ["sgd", "adam"]},
      "momentum": {"min": 0.5, "max": 0.99, "condition": {"parent": "optimizer", "values": ["sgd"]}},
      "epochs": {"value": 3}
    },
    "max_trials": 20,
    "max_concurrent_trials": 4,
    "seed": 7,
    "program": {"model": "mlp", "args": {"task": "classification"}},
    "resources": {"ranks_per_trial": 2},
    "early_terminate": {"type": "hyperband", "min_iter": 1}
  })");
}

TEST(SweepSpecTest, ParsesAFullSpec) {
  auto spec = ParseSweepSpec(ValidSpec());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "mlp-demo");
  EXPECT_EQ(spec->method, Method::kRandom);
  EXPECT_EQ(spec->metric.goal, Goal::kMinimize);
  EXPECT_EQ(spec->max_trials, 20);
  EXPECT_EQ(spec->max_concurrent_trials, 4);
  EXPECT_EQ(spec->max_restarts, 3);
  EXPECT_EQ(spec->seed, 7u);
  EXPECT_EQ(spec->ranks_per_trial, 2);
  EXPECT_EQ(spec->program.model, "mlp");
  EXPECT_EQ(spec->early_terminate["type"], "hyperband");
  EXPECT_EQ(FindParameter(*spec, "lr")->kind, ParamKind::kLogUniform);
  EXPECT_EQ(FindParameter(*spec, "layers")->kind, ParamKind::kIntUniform);  // inferred from ints
  EXPECT_EQ(FindParameter(*spec, "dropout")->kind, ParamKind::kUniform);
  EXPECT_EQ(FindParameter(*spec, "optimizer")->kind, ParamKind::kCategorical);
  EXPECT_EQ(FindParameter(*spec, "epochs")->kind, ParamKind::kConstant);
  ASSERT_TRUE(FindParameter(*spec, "momentum")->condition.has_value());
}

TEST(SweepSpecTest, ParentsPrecedeConditionalChildren) {
  auto spec = ParseSweepSpec(ValidSpec());
  ASSERT_TRUE(spec.ok());
  int optimizer = -1, momentum = -1;
  for (size_t i = 0; i < spec->parameters.size(); ++i) {
    if (spec->parameters[i].name == "optimizer") optimizer = static_cast<int>(i);
    if (spec->parameters[i].name == "momentum") momentum = static_cast<int>(i);
  }
  EXPECT_LT(optimizer, momentum);
}

TEST(SweepSpecTest, RoundTripsThroughCanonicalJson) {
  auto spec = ParseSweepSpec(ValidSpec());
  ASSERT_TRUE(spec.ok());
  auto again = ParseSweepSpec(ToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ToJson(*spec), ToJson(*again));
}

TEST(SweepSpecTest, DefaultsWhenOptionalFieldsAreAbsent) {
  Json j = {{"name", "x"},
            {"metric", {{"name", "acc"}}},
            {"method", "grid"},
            {"parameters", {{"a", {{"values", {1, 2}}}}}},
            {"program", {{"external", true}}}};
  auto spec = ParseSweepSpec(j);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->metric.goal, Goal::kMinimize);
  EXPECT_EQ(spec->max_trials, 0);  // grid: whole grid
  EXPECT_EQ(spec->ranks_per_trial, 1);
  EXPECT_TRUE(spec->program.external);
  j["method"] = "sobol";
  EXPECT_EQ(ParseSweepSpec(j)->max_trials, 50);
}

struct BadCase {
  std::string description;
  std::string pointer;  // JSON pointer to modify (set to `value`), or remove when value is discarded
  Json value;
  bool remove;
  std::string field;     // expected error field
  std::string message;   // substring of the expected message
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.description; }

class SweepSpecErrorTest : public testing::TestWithParam<BadCase> {};

TEST_P(SweepSpecErrorTest, NamesTheFieldWhatWasExpectedAndWhatWasFound) {
  const BadCase& c = GetParam();
  Json j = ValidSpec();
  if (c.remove) {
    const Json::json_pointer ptr(c.pointer);
    j[ptr.parent_pointer()].erase(ptr.back());
  } else {
    j[Json::json_pointer(c.pointer)] = c.value;
  }
  auto spec = ParseSweepSpec(j);
  ASSERT_FALSE(spec.ok()) << c.description;
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().field(), c.field) << spec.status();
  EXPECT_NE(spec.status().message().find(c.message), std::string::npos) << spec.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SweepSpecErrorTest,
    testing::Values(
        BadCase{"missing name", "/name", nullptr, true, "/name", "required field is missing"},
        BadCase{"name wrong type", "/name", 5, false, "/name", "expected a string, found number 5"},
        BadCase{"bad goal", "/metric/goal", "up", false, "/metric/goal",
                "expected one of minimize, maximize, found string \"up\""},
        BadCase{"bad method", "/method", "genetic", false, "/method", "expected one of grid"},
        BadCase{"min above max", "/parameters/lr/max", 1e-5, false, "/parameters/lr/max",
                "expected max > min"},
        BadCase{"log with zero min", "/parameters/lr/min", 0, false, "/parameters/lr/min",
                "min > 0"},
        BadCase{"int bound not integer", "/parameters/width/max", 300.5, false,
                "/parameters/width/max", "expected an integer, found 300.5"},
        BadCase{"min as string", "/parameters/dropout/min", "0", false,
                "/parameters/dropout/min", "expected a finite number, found string \"0\""},
        BadCase{"empty values", "/parameters/optimizer/values", Json::array(), false,
                "/parameters/optimizer/values", "non-empty array"},
        BadCase{"duplicate value", "/parameters/optimizer/values", {"sgd", "sgd"}, false,
                "/parameters/optimizer/values/1", "duplicate value"},
        BadCase{"unknown distribution", "/parameters/lr/distribution", "beta", false,
                "/parameters/lr/distribution", "expected one of uniform"},
        BadCase{"unknown parent", "/parameters/momentum/condition/parent", "nope", false,
                "/parameters/momentum/condition/parent", "unknown parent parameter"},
        BadCase{"condition value not in parent", "/parameters/momentum/condition/values",
                {"rmsprop"}, false, "/parameters/momentum/condition/values/0",
                "is not a value of parent"},
        BadCase{"typo in a parameter", "/parameters/lr/maxx", 3, false, "/parameters/lr/maxx",
                "unknown field"},
        BadCase{"typo at top level", "/max_trails", 3, false, "/max_trails", "unknown field"},
        BadCase{"zero max_trials", "/max_trials", 0, false, "/max_trials",
                "expected an integer in [1, 100000000], found 0"},
        BadCase{"negative concurrency", "/max_concurrent_trials", -1, false,
                "/max_concurrent_trials", "expected an integer >= 0"},
        BadCase{"missing model", "/program/model", nullptr, true, "/program/model",
                "required field is missing"},
        BadCase{"zero ranks", "/resources/ranks_per_trial", 0, false,
                "/resources/ranks_per_trial", "expected an integer in [1, 65536]"},
        BadCase{"parameters not an object", "/parameters", "lr", false, "/parameters",
                "expected a non-empty object"}));

TEST(SweepSpecTest, DetectsConditionCycles) {
  Json j = ValidSpec();
  j["parameters"]["a"] = {{"values", {1, 2}}, {"condition", {{"parent", "b"}, {"values", {1}}}}};
  j["parameters"]["b"] = {{"values", {1, 2}}, {"condition", {{"parent", "a"}, {"values", {1}}}}};
  auto spec = ParseSweepSpec(j);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("cycle"), std::string::npos) << spec.status();
}

TEST(SweepSpecTest, RejectsNonObjectDocument) {
  auto spec = ParseSweepSpec(Json::array());
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("expected an object, found an array"), std::string::npos);
}

}  // namespace
}  // namespace hpsweep::proto
