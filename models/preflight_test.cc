// PreflightZooProgram on a TorchScript module with its own metrics(): the
// sweep metric may be one of them, and one the module does not report is
// refused before any trial starts, naming /metric/name.
#include "models/preflight.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "proto/sweep_spec.h"

namespace hpsweep::models {
namespace {

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

proto::SweepSpec Spec(const std::string& metric,
                      const std::string& module = "models/testdata/tiny_regressor_metrics.pt") {
  const proto::Json json = {
      {"name", "preflight"},
      {"metric", {{"name", metric}, {"goal", "minimize"}}},
      {"method", "random"},
      {"max_trials", 2},
      {"parameters", {{"lr", {{"min", 0.001}, {"max", 0.1}}}}},
      {"program",
       {{"model", "torchscript"},
        {"args",
         {{"module", module},
          {"train_data", "models/testdata/regression.npy"},
          {"epochs", 1}}}}}};
  auto spec = proto::ParseSweepSpec(json);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : proto::SweepSpec();
}

TEST(PreflightTest, AModuleMetricMayBeTheSweepMetric) {
  Status s = PreflightZooProgram(Spec("val_mae"), ".");
  EXPECT_TRUE(s.ok()) << s;
}

TEST(PreflightTest, AMetricNoOneReportsIsRefusedAtMetricName) {
  Status s = PreflightZooProgram(Spec("val_mse"), ".");
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(s.field(), "/metric/name");
  EXPECT_NE(s.message().find("val_mae"), std::string::npos) << "names what the model reports: " << s;
}

// A module whose metrics() answers the wrong type is refused before any trial
// starts, at the module's field, naming the module file and the method; the
// module file and its data are left as they were.
TEST(PreflightTest, AMetricsMethodOfTheWrongTypeIsRefusedNamingModuleAndMethod) {
  struct Case {
    const char* module;
    const char* expected;  // what the message says was found
  };
  for (const Case& c : {Case{"models/testdata/bad_metrics_not_a_dict.pt", "got Tensor"},
                        Case{"models/testdata/bad_metrics_not_scalar.pt",
                             "metrics()[\"val_abs_err\"] must be a number or a one-element tensor"}}) {
    SCOPED_TRACE(c.module);
    const std::string before = ReadBytes(c.module);
    ASSERT_FALSE(before.empty());
    Status s = PreflightZooProgram(Spec("val_loss", c.module), ".");
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(s.field(), "/program/args/module") << s;
    EXPECT_NE(s.message().find(c.module), std::string::npos) << "names the module file: " << s;
    EXPECT_NE(s.message().find("metrics(output, target)"), std::string::npos)
        << "names the method: " << s;
    EXPECT_NE(s.message().find(c.expected), std::string::npos) << s;
    EXPECT_EQ(ReadBytes(c.module), before) << "the module file is unchanged";
  }
}

TEST(PreflightTest, ACommandProgramHasNothingToBuild) {
  proto::SweepSpec spec = Spec("val_loss");
  spec.program = proto::ProgramSpec();
  spec.program.command = {"/usr/bin/python3", "train.py", "${args}"};
  EXPECT_TRUE(PreflightZooProgram(spec, "/no/such/dir").ok());
}

// fno1d's probabilistic metrics exist only in its gaussian mode: a sweep that
// fixes the mode may target them; one that leaves the default is refused.
TEST(PreflightTest, Fno1dGaussianMetricsAreSweepMetricsOnlyInGaussianMode) {
  auto spec_for = [](const std::string& metric, const nlohmann::json& extra) {
    proto::Json args = {{"pde", "heat"},      {"grid", 16},      {"modes", 4}, {"width", 4},
                        {"train_size", 16}, {"val_size", 16}};
    args.update(extra);
    auto spec = proto::ParseSweepSpec(
        {{"name", "fno"},
         {"metric", {{"name", metric}, {"goal", "minimize"}}},
         {"method", "random"},
         {"max_trials", 2},
         {"parameters", {{"nll_beta", {{"min", 0.0}, {"max", 1.0}}}}},
         {"program", {{"model", "fno1d"}, {"args", args}}}});
    EXPECT_TRUE(spec.ok()) << spec.status();
    return spec.ok() ? *spec : proto::SweepSpec();
  };
  for (const char* metric : {"val_nll", "val_calibration_error", "val_coverage90", "val_rel_l2"}) {
    Status s = PreflightZooProgram(spec_for(metric, {{"uncertainty", "gaussian"}}), ".");
    EXPECT_TRUE(s.ok()) << metric << ": " << s;
  }
  Status s = PreflightZooProgram(spec_for("val_nll", proto::Json::object()), ".");
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(s.field(), "/metric/name");
}

}  // namespace
}  // namespace hpsweep::models
