#include "coordinator/search/outcomes.h"

#include <cmath>

#include "gtest/gtest.h"

namespace hpsweep::coordinator {
namespace {

proto::SweepSpec Spec() {
  proto::SweepSpec s;
  s.objectives = {{"acc", proto::Goal::kMaximize}, {"latency", proto::Goal::kMinimize}};
  s.metric = s.objectives[0];
  s.constraints = {{"mem", proto::ConstraintSpec::Op::kAtMost, 4}};
  return s;
}

proto::Trial Completed(uint64_t id, proto::Values values) {
  proto::Trial t;
  t.id = id;
  t.number = id;
  t.state = proto::TrialState::kCompleted;
  t.objective = values.count("acc") ? std::optional<double>(values.at("acc")) : std::nullopt;
  t.final_values = std::move(values);
  return t;
}

TEST(OutcomesTest, FeasibilityAndViews) {
  const proto::SweepSpec spec = Spec();
  EXPECT_TRUE(HasOutcomes(spec));
  EXPECT_TRUE(IsFeasible(spec, {{"mem", 4}}));
  EXPECT_FALSE(IsFeasible(spec, {{"mem", 4.5}}));
  EXPECT_FALSE(IsFeasible(spec, {}));  // missing: not feasible
  const TrialView v = ViewOf(spec, Completed(3, {{"acc", 0.9}, {"latency", 12}, {"mem", 2}}));
  EXPECT_EQ(v.number, 3u);
  EXPECT_EQ(v.objectives, (std::vector<double>{0.9, 12}));  // user direction
  EXPECT_EQ(v.constraint_values, (std::vector<double>{2}));
  proto::Trial running = Completed(4, {});
  running.state = proto::TrialState::kRunning;
  EXPECT_TRUE(ViewOf(spec, running).objectives.empty());
  proto::SweepSpec plain;
  plain.metric = {"loss", proto::Goal::kMinimize};
  EXPECT_FALSE(HasOutcomes(plain));
  EXPECT_TRUE(ViewOf(plain, Completed(1, {{"loss", 1}})).objectives.empty());
}

TEST(OutcomesTest, FrontHonoursGoalsFeasibilityAndTies) {
  const proto::SweepSpec spec = Spec();
  std::vector<proto::Trial> trials = {
      Completed(1, {{"acc", 0.9}, {"latency", 10}, {"mem", 1}}),   // front
      Completed(2, {{"acc", 0.8}, {"latency", 5}, {"mem", 1}}),    // front
      Completed(3, {{"acc", 0.8}, {"latency", 11}, {"mem", 1}}),   // dominated by 1
      Completed(4, {{"acc", 0.99}, {"latency", 1}, {"mem", 9}}),   // infeasible
      Completed(5, {{"acc", 0.8}, {"latency", 5}, {"mem", 3}}),    // tie with 2: front
      Completed(6, {{"acc", NAN}, {"latency", 1}, {"mem", 1}}),    // no value: skipped
  };
  proto::Trial pending;
  pending.id = 7;
  trials.push_back(pending);
  std::vector<const proto::Trial*> ptrs;
  for (const auto& t : trials) ptrs.push_back(&t);
  std::vector<uint64_t> ids;
  for (const auto& t : ParetoFront(spec, ptrs)) ids.push_back(t.id);
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2, 5}));
}

}  // namespace
}  // namespace hpsweep::coordinator
