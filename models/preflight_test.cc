// PreflightZooProgram on a TorchScript module with its own metrics(): the
// sweep metric may be one of them, and one the module does not report is
// refused before any trial starts, naming /metric/name.
#include "models/preflight.h"

#include <gtest/gtest.h>

#include "proto/sweep_spec.h"

namespace hpsweep::models {
namespace {

proto::SweepSpec Spec(const std::string& metric) {
  const proto::Json json = {
      {"name", "preflight"},
      {"metric", {{"name", metric}, {"goal", "minimize"}}},
      {"method", "random"},
      {"max_trials", 2},
      {"parameters", {{"lr", {{"min", 0.001}, {"max", 0.1}}}}},
      {"program",
       {{"model", "torchscript"},
        {"args",
         {{"module", "models/testdata/tiny_regressor_metrics.pt"},
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
