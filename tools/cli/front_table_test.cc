#include "tools/cli/front_table.h"

#include "gtest/gtest.h"

namespace hpsweep::cli {
namespace {

TEST(FrontTableTest, ObjectivesConstraintsAndOrder) {
  proto::SweepSpec spec;
  spec.objectives = {{"acc", proto::Goal::kMaximize}, {"latency", proto::Goal::kMinimize}};
  spec.metric = spec.objectives[0];
  spec.constraints = {{"mem", proto::ConstraintSpec::Op::kAtMost, 4}};
  proto::Trial a, b;
  a.id = 3;
  a.params = {{"lr", 0.01}};
  a.final_values = {{"acc", 0.8}, {"latency", 5}, {"mem", 1}};
  b.id = 7;
  b.params = {{"lr", 0.1}};
  b.final_values = {{"acc", 0.9}, {"latency", 9}, {"mem", 2}};
  EXPECT_EQ(FrontTable(spec, {a, b}),
            "pareto front (2 trials; acc maximize, latency minimize; mem <= 4)\n"
            "ID      acc           latency       mem           PARAMETERS\n"
            "7       0.9           9             2             lr=0.1\n"
            "3       0.8           5             1             lr=0.01\n");
  EXPECT_EQ(FrontTable(spec, {}),
            "pareto front (0 trials; acc maximize, latency minimize; mem <= 4)\n"
            "no feasible completed trial yet\n");
}

}  // namespace
}  // namespace hpsweep::cli
