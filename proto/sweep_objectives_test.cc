// Several objectives and outcome constraints in a sweep file: parsing,
// validation errors naming the field, and the canonical stored form.
#include <string>

#include "gtest/gtest.h"
#include "proto/sweep_spec.h"

namespace hpsweep::proto {
namespace {

Json Base() {
  return Json::parse(R"({
    "name": "mo",
    "method": "tpe",
    "parameters": {"lr": {"min": 0.001, "max": 0.1}},
    "program": {"external": true}
  })");
}

Json WithMetrics(const std::string& metrics_json) {
  Json j = Base();
  j["metrics"] = Json::parse(metrics_json);
  return j;
}

std::string FieldOf(const Json& j) {
  auto spec = ParseSweepSpec(j);
  EXPECT_FALSE(spec.ok());
  return spec.ok() ? "" : spec.status().field();
}

TEST(SweepObjectivesTest, SeveralObjectivesWithGoals) {
  Json j = WithMetrics(R"([{"name": "accuracy", "goal": "maximize"}, {"name": "latency_ms"}])");
  j["constraints"] = Json::parse(R"([{"metric": "mem_gb", "op": "<=", "bound": 4}, "flops >= 1e6"])");
  auto spec = ParseSweepSpec(j);
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_TRUE(IsMultiObjective(*spec));
  ASSERT_EQ(spec->objectives.size(), 2u);
  EXPECT_EQ(spec->metric.name, "accuracy");  // the first objective
  EXPECT_EQ(spec->metric.goal, Goal::kMaximize);
  EXPECT_EQ(spec->objectives[1].goal, Goal::kMinimize);
  ASSERT_EQ(spec->constraints.size(), 2u);
  EXPECT_EQ(spec->constraints[0].metric, "mem_gb");
  EXPECT_EQ(spec->constraints[0].op, ConstraintSpec::Op::kAtMost);
  EXPECT_EQ(spec->constraints[0].bound, 4);
  EXPECT_EQ(spec->constraints[1].metric, "flops");
  EXPECT_EQ(spec->constraints[1].op, ConstraintSpec::Op::kAtLeast);
  EXPECT_EQ(spec->constraints[1].bound, 1e6);
  EXPECT_EQ(RequiredMetrics(*spec),
            (std::vector<std::string>{"accuracy", "latency_ms", "mem_gb", "flops"}));
  EXPECT_TRUE(Satisfies(spec->constraints[0], 4));
  EXPECT_FALSE(Satisfies(spec->constraints[0], 4.01));
  EXPECT_FALSE(Satisfies(spec->constraints[1], std::nan("")));

  // The canonical form round-trips.
  const Json stored = ToJson(*spec);
  EXPECT_FALSE(stored.contains("metric"));
  EXPECT_EQ(stored["metrics"].size(), 2u);
  EXPECT_EQ(stored["constraints"][1], Json::parse(R"({"metric": "flops", "op": ">=", "bound": 1e6})"));
  auto again = ParseSweepSpec(stored);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ToJson(*again), stored);
}

TEST(SweepObjectivesTest, SingleObjectiveSweepsKeepTheirStoredForm) {
  Json j = Base();
  j["metric"] = Json::parse(R"({"name": "loss", "goal": "minimize"})");
  auto spec = ParseSweepSpec(j);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(IsMultiObjective(*spec));
  EXPECT_TRUE(spec->objectives.empty());
  const Json stored = ToJson(*spec);
  EXPECT_EQ(stored["metric"], Json::parse(R"({"name": "loss", "goal": "minimize"})"));
  EXPECT_FALSE(stored.contains("metrics"));
  EXPECT_FALSE(stored.contains("constraints"));
  ASSERT_EQ(Objectives(*spec).size(), 1u);

  // A one-entry `metrics` list is the same single-objective sweep.
  auto listed = ParseSweepSpec(WithMetrics(R"([{"name": "loss"}])"));
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(ToJson(*listed), stored);

  // A constrained single-objective sweep.
  j["constraints"] = Json::parse(R"(["mem <= 2"])");
  auto constrained = ParseSweepSpec(j);
  ASSERT_TRUE(constrained.ok()) << constrained.status();
  EXPECT_FALSE(IsMultiObjective(*constrained));
  EXPECT_EQ(RequiredMetrics(*constrained), (std::vector<std::string>{"loss", "mem"}));
}

TEST(SweepObjectivesTest, ErrorsNameTheField) {
  Json both = WithMetrics(R"([{"name": "a"}, {"name": "b"}])");
  both["metric"] = Json::parse(R"({"name": "a"})");
  EXPECT_EQ(FieldOf(both), "/metrics");
  EXPECT_EQ(FieldOf(Base()), "/metric");
  EXPECT_EQ(FieldOf(WithMetrics("[]")), "/metrics");
  EXPECT_EQ(FieldOf(WithMetrics(R"({"name": "a"})")), "/metrics");
  EXPECT_EQ(FieldOf(WithMetrics(R"([{"name": "a"}, {"name": "b", "goal": "up"}])")), "/metrics/1/goal");
  EXPECT_EQ(FieldOf(WithMetrics(R"([{"name": "a"}, {"name": ""}])")), "/metrics/1/name");
  EXPECT_EQ(FieldOf(WithMetrics(R"([{"name": "a"}, {"name": "a"}])")), "/metrics/1/name");
  EXPECT_EQ(FieldOf(WithMetrics(R"([{"name": "a"}, {"name": "b", "weight": 2}])")), "/metrics/1/weight");
  EXPECT_EQ(FieldOf(WithMetrics(R"([{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"},{"name":"e"},
                                   {"name":"f"},{"name":"g"},{"name":"h"},{"name":"i"}])")),
            "/metrics");

  auto constrained = [](const std::string& constraints) {
    Json j = WithMetrics(R"([{"name": "a"}, {"name": "b"}])");
    j["constraints"] = Json::parse(constraints);
    return j;
  };
  EXPECT_EQ(FieldOf(constrained(R"({"metric": "m"})")), "/constraints");
  EXPECT_EQ(FieldOf(constrained(R"([{"metric": "m", "op": "<", "bound": 1}])")), "/constraints/0/op");
  EXPECT_EQ(FieldOf(constrained(R"([{"metric": "m", "op": "<="}])")), "/constraints/0/bound");
  EXPECT_EQ(FieldOf(constrained(R"([{"op": "<=", "bound": 1}])")), "/constraints/0/metric");
  EXPECT_EQ(FieldOf(constrained(R"([{"metric": "m", "op": "<=", "bound": "x"}])")),
            "/constraints/0/bound");
  EXPECT_EQ(FieldOf(constrained(R"([{"metric": "m", "op": "<=", "bound": 1, "x": 0}])")),
            "/constraints/0/x");
  EXPECT_EQ(FieldOf(constrained(R"(["m <= 1", "m == 3"])")), "/constraints/1");
  EXPECT_EQ(FieldOf(constrained(R"(["m <= lots"])")), "/constraints/0");
  EXPECT_EQ(FieldOf(constrained(R"([" <= 3"])")), "/constraints/0");
  EXPECT_EQ(FieldOf(constrained(R"([3])")), "/constraints/0");
}

}  // namespace
}  // namespace hpsweep::proto
