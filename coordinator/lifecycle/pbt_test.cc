// PbtScheduler's decisions on hand-made populations: which trials are
// exploited at a perturbation point (quantiles, goal), which donors qualify,
// the lineage a child records, and explore (perturb, resample, neighbouring
// categories, fixed parameters untouched, bounds respected).
#include "coordinator/lifecycle/pbt.h"

#include <map>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "proto/pbt_options.h"

namespace hpsweep::coordinator {
namespace {

using proto::Json;
using proto::Trial;

proto::SweepSpec Spec(const Json& method_options, bool maximize = false) {
  Json j = Json::parse(R"({
    "name": "pbt",
    "metric": {"name": "loss", "goal": "minimize"},
    "method": "pbt",
    "parameters": {
      "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 1e-1},
      "layers": {"distribution": "int_uniform", "min": 1, "max": 8},
      "act": {"values": ["relu", "tanh", "gelu"]},
      "width": {"distribution": "int_uniform", "min": 16, "max": 256}
    },
    "max_trials": 100,
    "program": {"external": true}
  })");
  j["method_options"] = method_options;
  if (maximize) j["metric"]["goal"] = "maximize";
  auto spec = proto::ParseSweepSpec(j);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

PbtScheduler Make(const Json& method_options, bool maximize = false) {
  proto::SweepSpec spec = Spec(method_options, maximize);
  auto options = proto::ParsePbtOptions(spec);
  EXPECT_TRUE(options.ok()) << options.status();
  return PbtScheduler(spec, *options);
}

const Json kFourEvery2 = Json::parse(
    R"({"population_size": 4, "perturbation_interval": 2, "hyperparam_mutations": ["lr"]})");

// A live population: trial ids 1..n with checkpoints at step `ckpt`.
std::map<uint64_t, Trial> Population(int n, int64_t ckpt = 2) {
  std::map<uint64_t, Trial> trials;
  for (int i = 1; i <= n; ++i) {
    Trial t;
    t.id = i;
    t.number = i - 1;
    t.params = {{"lr", 0.01 * i}, {"layers", 2}, {"act", "tanh"}, {"width", 32 * i}};
    t.checkpoint_step = 100 * ckpt;  // the store key: optimizer steps
    t.checkpoint_report_step = ckpt;
    trials[t.id] = t;
  }
  return trials;
}

// Every trial reports `values[i]` at `step`; returns the ids exploited.
std::vector<uint64_t> Round(PbtScheduler& pbt, std::map<uint64_t, Trial>& trials,
                            const std::vector<double>& values, int64_t step,
                            std::map<uint64_t, ExploitPlan>* plans = nullptr) {
  std::vector<uint64_t> exploited;
  uint64_t next = trials.size();
  for (size_t i = 0; i < values.size(); ++i) {
    const Trial& t = trials.at(i + 1);
    auto plan = pbt.Report(t, step, values[i], trials, next, true);
    if (plan) {
      exploited.push_back(t.id);
      if (plans) plans->emplace(t.id, *plan);
      ++next;
    }
  }
  return exploited;
}

TEST(PbtTest, OnlyTheBottomQuantileAtAPerturbationPointIsExploited) {
  PbtScheduler pbt = Make(kFourEvery2);
  auto trials = Population(4);
  // Step 1 is no perturbation point (interval 2): nobody is judged.
  EXPECT_TRUE(Round(pbt, trials, {0.4, 0.9, 0.1, 0.5}, 1).empty());
  // Step 2: n = 4, q = ceil(4 * 0.25) = 1. Trial 2 reports last but its rank
  // counts only when it is judged: the first three are judged against a
  // population where trial 2's latest value (0.9, step 1) is the worst.
  EXPECT_EQ(Round(pbt, trials, {0.4, 0.9, 0.1, 0.5}, 2), (std::vector<uint64_t>{2}));
  // Step 3: not a perturbation point again for anyone.
  EXPECT_TRUE(Round(pbt, trials, {0.4, 0.9, 0.1, 0.5}, 3).empty());
}

TEST(PbtTest, EightTrialsExploitTheWorstTwoAndMaximizeFlipsTheOrder) {
  const Json options = Json::parse(
      R"({"population_size": 8, "perturbation_interval": 2, "hyperparam_mutations": ["lr"]})");
  const std::vector<double> values = {0.3, 0.8, 0.1, 0.5, 0.7, 0.2, 0.6, 0.4};
  {
    PbtScheduler pbt = Make(options);
    auto trials = Population(8);
    Round(pbt, trials, values, 1);
    EXPECT_EQ(Round(pbt, trials, values, 2), (std::vector<uint64_t>{2, 5}));
  }
  {
    PbtScheduler pbt = Make(options, /*maximize=*/true);
    auto trials = Population(8);
    Round(pbt, trials, values, 1);
    EXPECT_EQ(Round(pbt, trials, values, 2), (std::vector<uint64_t>{3, 6}));
  }
}

TEST(PbtTest, QuantileIsAtMostHalfThePopulation) {
  PbtScheduler pbt = Make(Json::parse(
      R"({"population_size": 3, "perturbation_interval": 1, "quantile_fraction": 0.5,
          "hyperparam_mutations": ["lr"]})"));
  auto trials = Population(3);
  Round(pbt, trials, {0.1, 0.2, 0.3}, 1);
  // n = 3: ceil(1.5) = 2 > floor(3 / 2) = 1, so only the worst goes.
  EXPECT_EQ(Round(pbt, trials, {0.1, 0.2, 0.3}, 2), (std::vector<uint64_t>{3}));
}

TEST(PbtTest, TheChildRecordsItsLineageFromATopQuantileDonor) {
  PbtScheduler pbt = Make(kFourEvery2);
  auto trials = Population(4, /*ckpt=*/2);
  trials.at(3).parent = proto::TrialParent{9, 50, 1, 7, /*root_number=*/5, "x"};
  Round(pbt, trials, {0.4, 0.9, 0.1, 0.5}, 1);
  std::map<uint64_t, ExploitPlan> plans;
  Round(pbt, trials, {0.4, 0.9, 0.1, 0.5}, 2, &plans);
  ASSERT_EQ(plans.size(), 1u);
  const ExploitPlan& plan = plans.at(2);
  EXPECT_EQ(plan.parent.trial_id, 3u) << "the top quantile is trial 3 alone";
  EXPECT_EQ(plan.parent.checkpoint_step, 200);
  EXPECT_EQ(plan.parent.start_step, 2) << "in report units, not optimizer steps";
  EXPECT_EQ(plan.parent.replaced_trial_id, 2u);
  EXPECT_EQ(plan.parent.root_number, 5u) << "the donor's lineage root";
  EXPECT_NE(plan.reason.find("pbt: loss 0.9 at step 2 ranks 4 of 4"), std::string::npos)
      << plan.reason;
  // Fixed parameters come from the donor, not from the exploited trial.
  EXPECT_EQ(plan.params["width"], 96);
  EXPECT_EQ(plan.params["layers"], 2);
  EXPECT_EQ(plan.params["act"], "tanh");
}

TEST(PbtTest, NoDonorWithACheckpointOrNoBudgetMeansTheTrialContinues) {
  {
    PbtScheduler pbt = Make(kFourEvery2);
    auto trials = Population(4);
    trials.at(3).checkpoint_step = -1;
    trials.at(3).checkpoint_report_step = -1;
    Round(pbt, trials, {0.4, 0.9, 0.1, 0.5}, 1);
    EXPECT_TRUE(Round(pbt, trials, {0.4, 0.9, 0.1, 0.5}, 2).empty());
  }
  {
    PbtScheduler pbt = Make(kFourEvery2);
    auto trials = Population(4);
    EXPECT_FALSE(pbt.Report(trials.at(1), 2, 0.1, trials, 4, false));
    EXPECT_FALSE(pbt.Report(trials.at(3), 2, 0.2, trials, 4, false));
    EXPECT_FALSE(pbt.Report(trials.at(4), 2, 0.3, trials, 4, false));
    EXPECT_FALSE(pbt.Report(trials.at(2), 2, 0.9, trials, 4, /*may_create=*/false));
  }
}

TEST(PbtTest, FinishedTrialsLeaveThePopulation) {
  PbtScheduler pbt = Make(kFourEvery2);
  auto trials = Population(4);
  pbt.Report(trials.at(1), 1, 0.1, trials, 4, true);
  pbt.Report(trials.at(2), 1, 0.2, trials, 4, true);
  pbt.Report(trials.at(3), 1, 0.3, trials, 4, true);
  pbt.Finished(1);
  pbt.Finished(2);
  // Live: trials 3 and 4 only, so q = 1: trial 4 (0.9) is exploited by
  // trial 3 (0.3), not by the better trials that ended.
  auto plan = pbt.Report(trials.at(4), 2, 0.9, trials, 4, true);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->parent.trial_id, 3u);
}

TEST(PbtTest, AChildIsFirstJudgedAnIntervalAfterItsStartStep) {
  PbtScheduler pbt = Make(kFourEvery2);
  auto trials = Population(4);
  trials.at(4).parent = proto::TrialParent{1, 200, 6, 2, 0, ""};
  Round(pbt, trials, {0.1, 0.2, 0.3, 0.9}, 7);
  // Trial 4 started at step 6: step 7 is 1 past it, no judgement.
  EXPECT_FALSE(pbt.Report(trials.at(4), 7, 0.95, trials, 4, true));
  EXPECT_TRUE(pbt.Report(trials.at(4), 8, 0.95, trials, 4, true));
}

TEST(PbtTest, RecoveryByObserveRestoresThePerturbationSchedule) {
  // A rebuilt scheduler (Observe, no decisions) judges at the same steps as
  // the one that saw the reports live.
  PbtScheduler live = Make(kFourEvery2), rebuilt = Make(kFourEvery2);
  auto trials = Population(4);
  for (int64_t step = 1; step <= 3; ++step) {
    for (uint64_t id = 1; id <= 4; ++id) {
      const double v = 0.1 * static_cast<double>(id);
      live.Report(trials.at(id), step, id == 4 ? 0.1 : v, trials, 4, false);
      rebuilt.Observe(trials.at(id), step, id == 4 ? 0.1 : v);
    }
  }
  // Both judged every trial at step 2; step 3 is not a perturbation point,
  // step 4 is — and trial 3 (0.3 then) ranks last of 4 with q = 1.
  for (PbtScheduler* s : {&live, &rebuilt}) {
    EXPECT_FALSE(s->Report(trials.at(1), 4, 0.1, trials, 4, true));
    EXPECT_FALSE(s->Report(trials.at(2), 4, 0.2, trials, 4, true));
    EXPECT_FALSE(s->Report(trials.at(4), 4, 0.1, trials, 4, true));
    auto plan = s->Report(trials.at(3), 4, 0.3, trials, 4, true);
    ASSERT_TRUE(plan);
  }
}

TEST(PbtTest, PerturbMultipliesClampsAndRoundsAndLeavesFixedParameters) {
  PbtScheduler pbt = Make(Json::parse(
      R"({"resample_probability": 0, "perturbation_factors": [3],
          "hyperparam_mutations": ["lr", "layers"]})"));
  std::mt19937_64 rng(1);
  const Json donor = {{"lr", 0.01}, {"layers", 2}, {"act", "relu"}, {"width", 64}};
  Explored e = pbt.Explore(donor, rng);
  EXPECT_DOUBLE_EQ(e.params["lr"].get<double>(), 0.03);
  EXPECT_EQ(e.params["layers"], 6);
  EXPECT_TRUE(e.params["layers"].is_number_integer());
  EXPECT_EQ(e.params["act"], "relu");
  EXPECT_EQ(e.params["width"], 64);
  EXPECT_NE(e.description.find("lr 0.01 -> 0.03 (x3)"), std::string::npos) << e.description;
  // Again: lr 0.09 -> 0.27 clamps to max 0.1; layers 6 -> 18 clamps to 8.
  e = pbt.Explore(e.params, rng);
  e = pbt.Explore(e.params, rng);
  EXPECT_DOUBLE_EQ(e.params["lr"].get<double>(), 0.1);
  EXPECT_EQ(e.params["layers"], 8);
}

TEST(PbtTest, CategoricalsMoveToANeighbour) {
  PbtScheduler pbt = Make(
      Json::parse(R"({"resample_probability": 0, "hyperparam_mutations": ["act"]})"));
  std::mt19937_64 rng(3);
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    Explored e = pbt.Explore({{"act", "tanh"}, {"lr", 0.01}}, rng);
    seen.insert(e.params["act"].get<std::string>());
    EXPECT_EQ(e.params["lr"], 0.01);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"relu", "gelu"}));
  for (int i = 0; i < 20; ++i) {
    const std::string v = pbt.Explore({{"act", "relu"}}, rng).params["act"];
    EXPECT_TRUE(v == "relu" || v == "tanh") << v;  // clipped at the first value
  }
}

TEST(PbtTest, ResampledValuesStayInTheirDistributions) {
  PbtScheduler pbt = Make(Json::parse(
      R"({"resample_probability": 1, "hyperparam_mutations": ["lr", "layers", "act"]})"));
  std::mt19937_64 rng(5);
  std::set<int64_t> layers;
  for (int i = 0; i < 400; ++i) {
    Explored e = pbt.Explore({{"lr", 0.01}, {"layers", 2}, {"act", "relu"}, {"width", 40}}, rng);
    const double lr = e.params["lr"];
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1e-1);
    ASSERT_TRUE(e.params["layers"].is_number_integer());
    layers.insert(e.params["layers"].get<int64_t>());
    EXPECT_EQ(e.params["width"], 40);
    EXPECT_NE(e.description.find("resampled"), std::string::npos);
  }
  EXPECT_EQ(layers, (std::set<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

}  // namespace
}  // namespace hpsweep::coordinator
