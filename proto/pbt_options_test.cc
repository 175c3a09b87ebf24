#include "proto/pbt_options.h"

#include <string>

#include "gtest/gtest.h"

namespace hpsweep::proto {
namespace {

Json PbtSpec(Json method_options) {
  Json j = Json::parse(R"({
    "name": "pbt",
    "metric": {"name": "val_loss", "goal": "minimize"},
    "method": "pbt",
    "parameters": {
      "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 1e-1},
      "width": {"distribution": "int_uniform", "min": 16, "max": 256},
      "optimizer": {"values": ["sgd", "adam"]},
      "activation": {"values": ["relu", "tanh"]},
      "momentum": {"min": 0.5, "max": 0.99, "condition": {"parent": "optimizer", "values": ["sgd"]}},
      "epochs": {"value": 3}
    },
    "max_trials": 20,
    "program": {"model": "mlp"}
  })");
  j["method_options"] = std::move(method_options);
  return j;
}

StatusOr<PbtOptions> Parse(const Json& method_options) {
  auto spec = ParseSweepSpec(PbtSpec(method_options));
  if (!spec.ok()) return spec.status();
  return ParsePbtOptions(*spec);
}

TEST(PbtOptionsTest, DefaultsAreRayTunes) {
  auto o = Parse(Json::parse(R"({"hyperparam_mutations": ["lr"]})"));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->population_size, 8);
  EXPECT_EQ(o->perturbation_interval, 4);
  EXPECT_DOUBLE_EQ(o->quantile_fraction, 0.25);
  EXPECT_DOUBLE_EQ(o->resample_probability, 0.25);
  EXPECT_EQ(o->perturbation_factors, (std::vector<double>{1.2, 0.8}));
  EXPECT_EQ(o->hyperparam_mutations, (std::vector<std::string>{"lr"}));
}

TEST(PbtOptionsTest, ParsesEveryField) {
  auto o = Parse(Json::parse(R"({"population_size": 4, "perturbation_interval": 2,
      "quantile_fraction": 0.5, "resample_probability": 0, "perturbation_factors": [2, 0.5],
      "hyperparam_mutations": ["lr", "width", "activation"]})"));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->population_size, 4);
  EXPECT_EQ(o->perturbation_interval, 2);
  EXPECT_DOUBLE_EQ(o->quantile_fraction, 0.5);
  EXPECT_DOUBLE_EQ(o->resample_probability, 0);
  EXPECT_EQ(o->perturbation_factors, (std::vector<double>{2, 0.5}));
  EXPECT_EQ(o->hyperparam_mutations.size(), 3u);
}

TEST(PbtOptionsTest, BadFieldsNameTheField) {
  struct Case {
    const char* options;
    const char* field;
  };
  const Case cases[] = {
      {R"({})", "/method_options/hyperparam_mutations"},
      {R"({"hyperparam_mutations": []})", "/method_options/hyperparam_mutations"},
      {R"({"hyperparam_mutations": "lr"})", "/method_options/hyperparam_mutations"},
      {R"({"hyperparam_mutations": ["nope"]})", "/method_options/hyperparam_mutations/0"},
      {R"({"hyperparam_mutations": ["lr", 3]})", "/method_options/hyperparam_mutations/1"},
      {R"({"hyperparam_mutations": ["lr", "lr"]})", "/method_options/hyperparam_mutations/1"},
      {R"({"hyperparam_mutations": ["epochs"]})", "/method_options/hyperparam_mutations/0"},
      {R"({"hyperparam_mutations": ["momentum"]})", "/method_options/hyperparam_mutations/0"},
      {R"({"hyperparam_mutations": ["lr", "optimizer"]})",
       "/method_options/hyperparam_mutations/1"},
      {R"({"hyperparam_mutations": ["lr"], "population_size": 1})", "/method_options/population_size"},
      {R"({"hyperparam_mutations": ["lr"], "population_size": 21})", "/method_options/population_size"},
      {R"({"hyperparam_mutations": ["lr"], "population_size": "4"})", "/method_options/population_size"},
      {R"({"hyperparam_mutations": ["lr"], "perturbation_interval": 0})",
       "/method_options/perturbation_interval"},
      {R"({"hyperparam_mutations": ["lr"], "quantile_fraction": 0.6})",
       "/method_options/quantile_fraction"},
      {R"({"hyperparam_mutations": ["lr"], "quantile_fraction": 0})",
       "/method_options/quantile_fraction"},
      {R"({"hyperparam_mutations": ["lr"], "resample_probability": 1.5})",
       "/method_options/resample_probability"},
      {R"({"hyperparam_mutations": ["lr"], "perturbation_factors": []})",
       "/method_options/perturbation_factors"},
      {R"({"hyperparam_mutations": ["lr"], "perturbation_factors": [1.2, -1]})",
       "/method_options/perturbation_factors/1"},
      {R"({"hyperparam_mutations": ["lr"], "perturbation_intervall": 3})",
       "/method_options/perturbation_intervall"},
  };
  for (const Case& c : cases) {
    auto o = Parse(Json::parse(c.options));
    ASSERT_FALSE(o.ok()) << c.options;
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument) << c.options;
    EXPECT_EQ(o.status().field(), c.field) << c.options << ": " << o.status();
  }
}

TEST(PbtOptionsTest, RefusesCommandPrograms) {
  Json j = PbtSpec(Json::parse(R"({"hyperparam_mutations": ["lr"]})"));
  j["program"] = Json::parse(R"({"command": ["python3", "train.py", "${args}"]})");
  auto spec = ParseSweepSpec(j);
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto o = ParsePbtOptions(*spec);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().field(), "/program/command");
}

}  // namespace
}  // namespace hpsweep::proto
