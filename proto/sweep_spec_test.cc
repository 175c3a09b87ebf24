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

// Issue 11, cases 4-5: every numeric bound is one its kind can represent and
// sample, or the sweep is refused naming the bound.
TEST(SweepSpecTest, NumericBoundsMustBeRepresentable) {
  struct Case {
    const char* parameter;
    const char* field;
  };
  const Case cases[] = {
      {R"({"min": 0, "max": 9223372036854775807})", "/parameters/x/max"},
      {R"({"min": -9223372036854775808, "max": 0})", "/parameters/x/min"},
      {R"({"min": 0, "max": 18446744073709551615})", "/parameters/x/max"},
      {R"({"distribution": "int_uniform", "min": 0, "max": 1e300})", "/parameters/x/max"},
      {R"({"min": 0, "max": 9007199254740993})", "/parameters/x/max"},
      {R"({"distribution": "int_log_uniform", "min": 1, "max": 1e17})", "/parameters/x/max"},
      {R"({"min": -1.797e308, "max": 1.797e308})", "/parameters/x/max"},
      {R"({"distribution": "uniform", "min": -1e308, "max": 1e308})", "/parameters/x/max"},
      {R"({"distribution": "log_uniform", "min": 0, "max": 1})", "/parameters/x/min"},
      {R"({"min": 1.5, "max": 1.5})", "/parameters/x/max"},
  };
  for (const Case& c : cases) {
    Json spec = ValidSpec();
    spec["parameters"] = {{"x", Json::parse(c.parameter)}};
    auto parsed = ParseSweepSpec(spec);
    ASSERT_FALSE(parsed.ok()) << c.parameter;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().field(), c.field) << c.parameter << ": " << parsed.status();
  }
}

// The accepted extremes survive a round trip through their stored form.
TEST(SweepSpecTest, AcceptedExtremesRoundTrip) {
  const char* accepted[] = {
      R"({"min": -9007199254740992, "max": 9007199254740992})",
      R"({"distribution": "int_log_uniform", "min": 1, "max": 9007199254740992})",
      R"({"min": -8.98e307, "max": 8.98e307})",
      R"({"min": 0, "max": 1.7976931348623157e308})",
      R"({"distribution": "log_uniform", "min": 5e-324, "max": 1.7976931348623157e308})",
      R"({"values": [1e308, -1e-308, "a", true, [1, {"b": null}]]})",
  };
  for (const char* p : accepted) {
    Json spec = ValidSpec();
    spec["parameters"] = {{"x", Json::parse(p)}};
    auto parsed = ParseSweepSpec(spec);
    ASSERT_TRUE(parsed.ok()) << p << ": " << parsed.status();
    const std::string text = DumpJson(ToJson(*parsed));
    auto again = ParseJsonText(text);
    ASSERT_TRUE(again.ok()) << again.status();
    auto reparsed = ParseSweepSpec(*again);
    ASSERT_TRUE(reparsed.ok()) << p << ": " << reparsed.status();
    EXPECT_EQ(ToJson(*reparsed), ToJson(*parsed)) << p;
    EXPECT_EQ(reparsed->parameters[0].min, parsed->parameters[0].min);
    EXPECT_EQ(reparsed->parameters[0].max, parsed->parameters[0].max);
  }
}

// Issue 11, case 7: every name, value and block has a length cap.
TEST(SweepSpecTest, LengthsAreCapped) {
  const std::string long_name(kMaxNameBytes + 1, 'n');
  const std::string long_value(kMaxValueBytes, 'v');  // + 2 quotes > the cap
  struct Case {
    std::string what;
    Json spec;
    std::string field;
  };
  std::vector<Case> cases;
  auto with = [&](const std::string& what, auto edit, const std::string& field) {
    Json spec = ValidSpec();
    edit(spec);
    cases.push_back({what, spec, field});
  };
  with("sweep name", [&](Json& s) { s["name"] = std::string(kMaxSweepNameBytes + 1, 's'); }, "/name");
  with("metric name", [&](Json& s) { s["metric"]["name"] = long_name; }, "/metric/name");
  with("parameter name", [&](Json& s) { s["parameters"][long_name] = {{"value", 1}}; }, "/parameters");
  with("categorical value", [&](Json& s) { s["parameters"]["optimizer"]["values"][1] = long_value; },
       "/parameters/optimizer/values/1");
  with("constant value", [&](Json& s) { s["parameters"]["epochs"]["value"] = long_value; },
       "/parameters/epochs/value");
  with("condition value",
       [&](Json& s) { s["parameters"]["momentum"]["condition"]["values"][0] = long_value; },
       "/parameters/momentum/condition/values/0");
  with("too many values", [&](Json& s) {
         Json values = Json::array();
         for (size_t i = 0; i <= kMaxValues; ++i) values.push_back(i);
         s["parameters"]["optimizer"]["values"] = values;
       }, "/parameters/optimizer/values");
  with("too many parameters", [&](Json& s) {
         for (size_t i = 0; i <= kMaxParameters; ++i) s["parameters"]["p" + std::to_string(i)] = {{"value", 1}};
       }, "/parameters");
  with("parameters too large together", [&](Json& s) {
         for (int i = 0; i < 100; ++i) {
           s["parameters"]["p" + std::to_string(i)] = {{"value", std::string(kMaxValueBytes - 2, 'v')}};
         }
       }, "/parameters");
  with("model", [&](Json& s) { s["program"]["model"] = std::string(kMaxModelNameBytes + 1, 'm'); },
       "/program/model");
  with("args", [&](Json& s) { s["program"]["args"]["blob"] = std::string(kMaxBlockBytes, 'a'); },
       "/program/args");
  with("method_options", [&](Json& s) { s["method_options"]["blob"] = std::string(kMaxBlockBytes, 'a'); },
       "/method_options");
  with("early_terminate", [&](Json& s) { s["early_terminate"]["blob"] = std::string(kMaxBlockBytes, 'a'); },
       "/early_terminate");
  for (const Case& c : cases) {
    auto parsed = ParseSweepSpec(c.spec);
    ASSERT_FALSE(parsed.ok()) << c.what;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(parsed.status().field(), c.field) << c.what << ": " << parsed.status();
    EXPECT_LT(parsed.status().message().size(), 400u) << c.what;
  }
  // Exactly at the caps is fine.
  Json spec = ValidSpec();
  spec["name"] = std::string(kMaxSweepNameBytes, 's');
  spec["metric"]["name"] = std::string(kMaxNameBytes, 'm');
  spec["parameters"][std::string(kMaxNameBytes, 'p')] = {{"values", {std::string(kMaxValueBytes - 2, 'v')}}};
  EXPECT_TRUE(ParseSweepSpec(spec).ok()) << ParseSweepSpec(spec).status();
}

}  // namespace
}  // namespace hpsweep::proto
